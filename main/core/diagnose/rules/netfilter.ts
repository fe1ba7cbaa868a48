import type { NetfilterPoint } from '../../../api/explain.js';
import type { Facts } from '../facts.js';
import { describeNetfilterPoint } from '../netfilter-point.js';
import { netfilterOf } from '../netfilter-of.js';
import type { DiagnosisRule, Finding } from '../rule.js';
import { answerEvidence, hopEvidence, inNetns, nsLabel } from '../rule-kit.js';

const NF_REASONS = ['NETFILTER_DROP'];
const NF_FUNCTIONS = ['nf_hook_slow', 'nft_do_chain', 'ipt_do_table', 'ip6t_do_table'];

/** "rule `…` (table inet filter, chain input, handle 4)" or "the drop policy of chain input (table …)". */
function what(p: NetfilterPoint, by: string): string {
  if (by === 'policy')
    return `the drop policy of chain ${p.chain ?? '?'} (table ${[p.family, p.table].filter(Boolean).join(' ')}, hook ${p.hook})`;
  return p.engine === 'iptables'
    ? `iptables rule \`${p.rule ?? ''}\` (table ${p.table ?? '?'})`
    : `nftables rule ${describeNetfilterPoint(p)}`;
}

function listCommand(f: Facts, p: NetfilterPoint): string {
  if (p.engine === 'iptables')
    return inNetns(f, `iptables -t ${p.table ?? 'filter'} -L ${p.chain ?? ''} -v -n --line-numbers`);
  return inNetns(f, `nft -a list chain ${p.family ?? 'inet'} ${p.table ?? '?'} ${p.chain ?? '?'}`);
}

/** A netfilter finding whose rule text passes `test`, as this rule's words. */
function netfilterRule(
  f: Facts,
  test: (p: NetfilterPoint, verdict: string | undefined, by: string) => boolean,
  words: (p: NetfilterPoint, by: string) => { summary: string; advice: string[] },
): Finding | undefined {
  const nf = netfilterOf(f);
  if (!nf || nf.by === 'ambiguous' || !test(nf.point, nf.verdict, nf.by)) return undefined;
  const w = words(nf.point, nf.by);
  return {
    summary: w.summary,
    advice: [...w.advice, `List it with its counters: ${listCommand(f, nf.point)}`],
    evidence: [
      ...hopEvidence(f),
      {
        kind: 'context',
        text: `${nf.point.engine ?? 'netfilter'} ruleset of ${nsLabel(f)}: ${what(nf.point, nf.by)}`,
      },
      ...answerEvidence(f),
    ],
    netfilter: nf.point,
  };
}

const isInvalidCt = (r = '') =>
  /ct state (?:\S*,)?invalid|--ctstate (?:\S*,)?INVALID|--state (?:\S*,)?INVALID/.test(r);

export const ctInvalid: DiagnosisRule = {
  id: 'ct-invalid',
  title: 'conntrack marked the packet invalid and a `ct state invalid` rule dropped it',
  verdicts: ['dropped'],
  reasons: NF_REASONS,
  functions: NF_FUNCTIONS,
  needs: ['reason', 'nftables', 'iptables'],
  explain: (f) =>
    netfilterRule(
      f,
      (p) => isInvalidCt(p.rule),
      (p, by) => ({
        summary: `conntrack found no valid state for it (TCP flags or sequence out of window, or no connection) and ${what(p, by)} dropped it in ${nsLabel(f)}`,
        advice: [
          `See why conntrack calls it invalid: ${inNetns(f, 'sysctl -w net.netfilter.nf_conntrack_log_invalid=255')} then \`dmesg\`; the "invalid" counter: ${inNetns(f, 'conntrack -S')}`,
          'Common causes: asymmetric routing (the other direction bypasses this host), a connection picked up mid-stream with net.netfilter.nf_conntrack_tcp_loose=0, or a peer sending impossible TCP flags.',
        ],
      }),
    ),
};

export const iptablesDrop: DiagnosisRule = {
  id: 'iptables-drop',
  title: 'an iptables DROP/REJECT rule (or chain policy) dropped the packet',
  verdicts: ['dropped'],
  reasons: NF_REASONS,
  functions: NF_FUNCTIONS,
  needs: ['reason', 'iptables'],
  explain: (f) =>
    netfilterRule(
      f,
      (p) => p.engine === 'iptables',
      (p, by) => ({
        summary: `dropped by ${what(p, by)}, chain ${p.chain ?? '?'}, in ${nsLabel(f)}`,
        advice: [
          `If the packet should pass, delete or narrow that rule (${inNetns(f, `iptables -t ${p.table ?? 'filter'} -D ${(p.rule ?? '').replace(/^-A /, '')}`)}) or add an ACCEPT before it.`,
        ],
      }),
    ),
};

export const nftReject: DiagnosisRule = {
  id: 'nft-reject',
  title: 'an nftables `reject` rule refused the packet and answered it',
  verdicts: ['dropped'],
  reasons: NF_REASONS,
  functions: NF_FUNCTIONS,
  needs: ['reason', 'nftables', 'answer'],
  explain: (f) =>
    netfilterRule(
      f,
      (p, verdict) => p.engine === 'nftables' && verdict === 'reject',
      (p, by) => ({
        summary: `refused by ${what(p, by)} in ${nsLabel(f)}${f.answers[0] ? `; the sender was told so (packet ${f.answers[0].packet})` : ''}`,
        advice: [
          `If the packet should pass, delete that rule (${inNetns(f, `nft delete rule ${p.family ?? 'inet'} ${p.table ?? '?'} ${p.chain ?? '?'} handle ${p.handle ?? '?'}`)}) or accept it earlier in the chain.`,
        ],
      }),
    ),
};

export const nftDrop: DiagnosisRule = {
  id: 'nft-drop',
  title: "an nftables rule (or a chain's drop policy) dropped the packet",
  verdicts: ['dropped'],
  reasons: NF_REASONS,
  functions: NF_FUNCTIONS,
  needs: ['reason', 'nftables'],
  explain: (f) =>
    netfilterRule(
      f,
      (p) => p.engine === 'nftables',
      (p, by) => ({
        summary: `dropped by ${what(p, by)} in ${nsLabel(f)}`,
        advice: [
          by === 'policy'
            ? `Nothing in that chain accepted it: add an accept rule for it before the policy applies, or change the policy.`
            : `If the packet should pass, delete that rule (${inNetns(f, `nft delete rule ${p.family ?? 'inet'} ${p.table ?? '?'} ${p.chain ?? '?'} handle ${p.handle ?? '?'}`)}) or accept it earlier in the chain.`,
        ],
      }),
    ),
};

export const netfilterDrop: DiagnosisRule = {
  id: 'netfilter-drop',
  title: 'netfilter dropped the packet; the ruleset does not say which rule',
  verdicts: ['dropped'],
  reasons: NF_REASONS,
  functions: NF_FUNCTIONS,
  needs: ['reason', 'nftables', 'iptables'],
  explain: (f) => {
    const nf = netfilterOf(f);
    const which = nf?.by === 'ambiguous' ? `; it is one of: ${nf.candidates.join('; ')}` : '';
    return {
      summary: `dropped by netfilter in ${nsLabel(f)}${which}`,
      advice: [
        `List the rules with their counters and see which one counts up as you retry: ${inNetns(f, 'nft -a list ruleset')} and ${inNetns(f, 'iptables-save -c')}`,
        'Trace with the `netfilter` profile on a kernel where kprobes attach to see the hook and table (nf_hook_slow, nft_do_chain).',
      ],
      evidence: [...hopEvidence(f), ...answerEvidence(f)],
      ...(nf?.point ? { netfilter: nf.point } : {}),
    };
  },
};

export const NETFILTER_RULES = [ctInvalid, iptablesDrop, nftReject, nftDrop, netfilterDrop];
