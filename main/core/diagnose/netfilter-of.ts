import type { Facts } from './facts.js';
import { findNetfilterRule, type NetfilterFinding } from './netfilter-point.js';
import { isLocalDest, localAddresses } from './rule-kit.js';

/** The hooks a packet crossed in the netns where netfilter dropped it, in order. */
export function hooksOf(f: Facts): string[] {
  const given = f.packet.drop?.netfilter?.hook;
  if (given) return [given];
  if (isLocalDest(f)) return ['prerouting', 'input'];
  if (f.key && localAddresses(f).includes(f.key.saddr)) return ['output', 'postrouting'];
  return ['prerouting', 'forward', 'postrouting'];
}

const cache = new WeakMap<Facts, NetfilterFinding | null>();

/**
 * The netfilter rule that dropped the packet, from its netns's ruleset: searched on each hook it crossed; one hook
 * with a finding wins, several make it ambiguous. Undefined without a ruleset in the context.
 */
export function netfilterOf(f: Facts): NetfilterFinding | undefined {
  const hit = cache.get(f);
  if (hit !== undefined) return hit ?? undefined;
  let found: NetfilterFinding | undefined;
  const { ns, key } = f;
  if (ns && key && (ns.nftables || ns.iptables)) {
    const per = hooksOf(f)
      .map((h) => findNetfilterRule({ nftables: ns.nftables, iptables: ns.iptables }, h, key))
      .filter((x): x is NetfilterFinding => x !== undefined);
    const rules = per.filter((x) => x.by === 'rule');
    if (rules.length === 1) found = rules[0];
    else if (rules.length > 1)
      found = {
        point: { hook: rules.map((r) => r.point.hook).join('/') },
        by: 'ambiguous',
        candidates: rules.map((r) => `${r.point.rule ?? ''} (chain ${r.point.chain ?? '?'})`),
      };
    else found = per.find((x) => x.by === 'policy') ?? per[0];
  }
  cache.set(f, found ?? null);
  return found;
}
