import type { Diagnosis, HostContext, NetfilterPoint } from '../../api/explain.js';
import type { PacketPath } from '../../api/trace.js';
import { buildFacts, type Answer, type Facts } from './facts.js';
import { RULES } from './library.js';
import type { DiagnosisRule, Need } from './rule.js';
import { nsLabel } from './rule-kit.js';

/** Whether a rule is about this packet: its verdict, and its drop reason or drop function where the rule names some. */
export function applies(rule: DiagnosisRule, f: Facts): boolean {
  if (!rule.verdicts.includes(f.verdict)) return false;
  if (!rule.reasons && !rule.functions) return true;
  if (f.reason && rule.reasons?.includes(f.reason)) return true;
  const fn = f.dropFunction;
  return fn !== undefined && (rule.functions ?? []).some((x) => fn === x || fn.startsWith(`${x}+`));
}

/** What would have supplied the evidence a rule reads but the run lacks, in words. */
function missingFor(needs: readonly Need[], f: Facts): string[] {
  const out = new Set<string>();
  for (const n of needs) {
    if (n === 'reason' && !f.reason)
      out.add(
        'the drop reason: kernels report it from 5.17; before, the drop is placed by kfree_skb’s caller and ' +
          'its kernel stack, and function probes (kernels with bpf_get_attach_cookie, 5.15+) name the deciding function',
      );
    else if (n === 'answer' && f.answers.length === 0)
      out.add(
        `the kernel's answer (ICMP error or RST): trace with a filter that also matches packets back to the sender (e.g. \`host ${f.key?.saddr ?? 'SENDER'}\`)`,
      );
    else if (n === 'counters' && Object.keys(f.counters).length === 0 && f.ns)
      out.add('counter deltas: the host context at trace start and end (both snapshots)');
    else if (n === 'tc' && f.ns && f.ns.tc === undefined)
      out.add(
        `the tc qdiscs and filters of ${nsLabel(f)}: the host has no \`tc\` (iproute2) on root's PATH, or the run was recorded before pktpath read them`,
      );
    else if (n !== 'reason' && n !== 'answer' && n !== 'counters' && !f.ns)
      out.add(`the host context of ${nsLabel(f)} (captured with each trace unless --no-context)`);
  }
  return [...out];
}

export interface Explained {
  diagnosis: Diagnosis;
  netfilter?: NetfilterPoint;
}

/** Runs the library over one packet's facts: the first rule that explains it gives the diagnosis. */
export function diagnoseFacts(f: Facts, rules: readonly DiagnosisRule[] = RULES): Explained | undefined {
  for (const rule of rules) {
    if (!applies(rule, f)) continue;
    const found = rule.explain(f);
    if (!found) continue;
    const missing = missingFor(rule.needs, f);
    return {
      diagnosis: {
        rule: rule.id,
        summary: found.summary,
        advice: found.advice,
        evidence: found.evidence,
        ...(missing.length ? { missing } : {}),
      },
      ...(found.netfilter ? { netfilter: found.netfilter } : {}),
    };
  }
  return undefined;
}

/** The diagnosis of one packet, given its run's host context and the kernel's answers to it. */
export function diagnosePacket(
  p: PacketPath,
  ctx: HostContext | undefined,
  answers: Answer[] = [],
  rules: readonly DiagnosisRule[] = RULES,
): Explained | undefined {
  return diagnoseFacts(buildFacts(p, ctx, answers), rules);
}
