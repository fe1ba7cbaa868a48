import type { DropPoint, NetfilterPoint, PacketVerdict } from '../../api/explain.js';
import type { Hop, PacketPath } from '../../api/trace.js';
import { isFree, subsystemOf, subsystemOfReason } from './hop-roles.js';
import { NOT_DROPS } from './not-drops.js';
import { protoOf, realDropReason } from './strands.js';

export const NO_REASON_NOTE = 'reason not reported by this kernel (< 5.17)';

/** netfilter hooks by the stack function the packet was in when netfilter ran (function backends). */
const HOOK_AFTER: [RegExp, string][] = [
  [/^(ip_local_out|__ip_local_out|ip6_local_out|__ip6_local_out|raw_send_hdrinc|ip_send_skb)$/, 'output'],
  [/^(ip_output|ip6_output|ip_finish_output)$/, 'postrouting'],
  [/^(ip_forward|ip6_forward)$/, 'forward'],
  [/^(ip_local_deliver|ip6_input)$/, 'input'],
  [/^(ip_rcv|ipv6_rcv|ip_rcv_core|ip_list_rcv|ipv6_list_rcv)$/, 'prerouting'],
  [/^(br_handle_frame|br_forward|br_dev_queue_push_xmit)$/, 'bridge'],
];

/** The `symbol` of a location `symbol+0xoff` (undefined for a bare address). */
export const symbolOf = (loc: string | undefined) =>
  loc && !loc.startsWith('0x') ? loc.replace(/\+0x[0-9a-f]+$/, '') : undefined;

/**
 * Where a dropped packet was dropped: the function that decided it (kfree_skb's `location` symbolized, else the
 * hop before the free on function backends, else the free itself), its subsystem, the reason, and — for
 * netfilter — the hook where the path shows it. The rule (table/chain/handle) comes from the host context.
 */
export function dropPoint(
  p: PacketPath,
  verdict: PacketVerdict,
  reasonsKnown: boolean,
  stacks?: Map<number, string[]>,
): DropPoint | undefined {
  if (verdict.kind !== 'dropped' || verdict.hop === undefined) return undefined;
  const free = p.hops[verdict.hop] as Hop;
  const reason =
    realDropReason(free) ?? (p.drop_reason && !NOT_DROPS.has(p.drop_reason) ? p.drop_reason : undefined);
  const copy = free.copy ?? 0;
  const before = p.hops.slice(0, verdict.hop).filter((h) => (h.copy ?? 0) === copy);
  const decider = [...before].reverse().find((h) => !isFree(h.function) && h.probe_kind === undefined);
  const fromLocation = symbolOf(free.location);
  const fn =
    fromLocation && !isFree(fromLocation)
      ? fromLocation
      : (decider?.function ?? fromLocation ?? free.function);
  const subsystem =
    subsystemOf(fn) ??
    subsystemOfReason(reason, protoOf(p)) ??
    (decider ? subsystemOf(decider.function) : undefined) ??
    'unknown';
  const stack = free.stack_id !== undefined ? stacks?.get(free.stack_id) : undefined;
  const netfilter = subsystem === 'netfilter' ? netfilterHook(before) : undefined;
  return {
    ...(reason ? { reason } : {}),
    ...(!reason && !reasonsKnown ? { reason_note: NO_REASON_NOTE } : {}),
    function: fn,
    ...(free.location ? { location: free.location } : {}),
    subsystem,
    ...(stack ? { stack } : {}),
    ...(netfilter ? { netfilter } : {}),
    hop: verdict.hop,
  };
}

/** The netfilter hook the path shows: the last stack function before the drop that runs a hook. */
function netfilterHook(before: readonly Hop[]): NetfilterPoint | undefined {
  for (let i = before.length - 1; i >= 0; i--) {
    const fn = (before[i] as Hop).function;
    for (const [re, hook] of HOOK_AFTER) if (re.test(fn)) return { hook };
  }
  return undefined;
}
