import type { NetfilterPoint } from '../../api/explain.js';
import { evalIptablesRule, HOOK_CHAIN, parseIptablesSave } from './iptables-rules.js';
import { evalNftRule, type RuleEval } from './nft-rule-eval.js';
import { parseNftRuleset, type NftChain, type NftRule } from './nft-ruleset.js';
import { and, type Match, type PacketKey } from './packet-match.js';

/** Where netfilter decided, and how sure that is. */
export interface NetfilterFinding {
  point: NetfilterPoint;
  /** 'rule': one rule's drop/reject matched; 'policy': no rule did and a chain's policy is drop; 'ambiguous' */
  by: 'rule' | 'policy' | 'ambiguous';
  /** the rule's verdict statement (drop, reject …) */
  verdict?: string;
  /** every candidate rule, for `ambiguous` (as printed, with table/chain) */
  candidates: string[];
}

interface Candidate {
  point: NetfilterPoint;
  verdict: string;
  sure: boolean;
}

/**
 * The rules a packet meets from base chain `chain`, each with how surely it gets there and matches: jumps/gotos
 * are followed only when their own rule may match (loops are cut).
 */
function rulesReached(
  chain: NftChain,
  all: NftChain[],
  k: PacketKey,
  reach: Match = 'yes',
  seen = new Set<string>(),
): { rule: NftRule; e: RuleEval }[] {
  seen.add(`${chain.family} ${chain.table} ${chain.name}`);
  const out: { rule: NftRule; e: RuleEval }[] = [];
  for (const rule of chain.rules) {
    const e0 = evalNftRule(rule.text, k);
    const e = { ...e0, match: and(reach, e0.match) };
    out.push({ rule, e });
    const next = all.find((c) => c.family === chain.family && c.table === chain.table && c.name === e.target);
    if (next && e.match !== 'no' && !seen.has(`${next.family} ${next.table} ${next.name}`))
      out.push(...rulesReached(next, all, k, e.match, seen));
  }
  return out;
}

function nftCandidates(
  text: string,
  hook: string,
  k: PacketKey,
): { cands: Candidate[]; policy?: NetfilterPoint } {
  const set = parseNftRuleset(text);
  const family = k.saddr.includes(':') ? ['ip6', 'inet'] : ['ip', 'inet'];
  const cands: Candidate[] = [];
  let policy: NetfilterPoint | undefined;
  for (const chain of set.chains.filter((c) => c.hook === hook && family.includes(c.family))) {
    if (set.iptablesTables.has(`${chain.family} ${chain.table}`)) continue; // iptables-save says it better
    for (const { rule: r, e } of rulesReached(chain, set.chains, k)) {
      if (e.match === 'no' || (e.verdict !== 'drop' && e.verdict !== 'reject')) continue;
      const point = {
        engine: 'nftables' as const,
        family: r.family,
        hook,
        table: r.table,
        chain: r.chain,
        rule: r.text,
        ...(r.handle !== undefined ? { handle: r.handle } : {}),
      };
      cands.push({ point, verdict: e.verdict, sure: e.match === 'yes' });
    }
    if (chain.policy === 'drop')
      policy = { engine: 'nftables', family: chain.family, hook, table: chain.table, chain: chain.name };
  }
  return { cands, ...(policy ? { policy } : {}) };
}

function iptablesCandidates(text: string, hook: string, k: PacketKey) {
  const set = parseIptablesSave(text);
  const chain = HOOK_CHAIN[hook];
  const cands: Candidate[] = [];
  for (const r of set.rules.filter((x) => x.chain === chain)) {
    if (r.target !== 'DROP' && r.target !== 'REJECT') continue;
    const m = evalIptablesRule(r.text, k);
    if (m === 'no') continue;
    const point = { engine: 'iptables' as const, hook, table: r.table, chain: r.chain, rule: r.text };
    cands.push({ point, verdict: r.target.toLowerCase(), sure: m === 'yes' });
  }
  const pol = [...set.policies].find(([key, v]) => key.endsWith(`/${chain}`) && v === 'DROP');
  const policy = pol ? { engine: 'iptables' as const, hook, table: pol[0].split('/')[0], chain } : undefined;
  return { cands, ...(policy ? { policy } : {}) };
}

const describe = (p: NetfilterPoint) =>
  `${p.engine === 'iptables' ? p.rule : `\`${p.rule}\` (table ${p.family} ${p.table}, chain ${p.chain}${p.handle !== undefined ? `, handle ${p.handle}` : ''})`}`;

/**
 * Which rule of a netns's nftables ruleset and iptables rules dropped a packet at `hook`: the one drop/reject rule
 * of the hook's chains that matches its tuple (rules it can only maybe match count when no rule surely matches);
 * else the chain's drop policy; else ambiguous with every candidate listed.
 */
export function findNetfilterRule(
  ruleset: { nftables?: string; iptables?: string },
  hook: string,
  k: PacketKey,
): NetfilterFinding | undefined {
  const nft = ruleset.nftables ? nftCandidates(ruleset.nftables, hook, k) : { cands: [] };
  const ipt = ruleset.iptables ? iptablesCandidates(ruleset.iptables, hook, k) : { cands: [] };
  // iptables-nft rules show in both: keep the iptables-save line (nft's copy is in an `ip filter`-style table)
  const ipTables = new Set(ipt.cands.map((c) => c.point.table));
  const nftOwn = nft.cands.filter(
    (c) =>
      !(
        c.point.family?.startsWith('ip') &&
        ipTables.has(c.point.table) &&
        /^[A-Z]+$/.test(c.point.chain ?? '')
      ),
  );
  const all = [...ipt.cands, ...nftOwn];
  const sure = all.filter((c) => c.sure);
  const pick = sure.length ? sure : all;
  const [only] = pick;
  if (only && pick.length === 1)
    return { point: only.point, by: 'rule', verdict: only.verdict, candidates: [] };
  const policy = ipt.policy ?? nft.policy;
  if (pick.length === 0 && policy) return { point: policy, by: 'policy', verdict: 'drop', candidates: [] };
  if (pick.length === 0) return undefined;
  return { point: { hook }, by: 'ambiguous', candidates: pick.map((c) => describe(c.point)) };
}

export { describe as describeNetfilterPoint };
