import type { Hop, PacketPath } from '../../api/trace.js';
import { deliveryKind, isDropFree, isFree, isReceive, isTransmit } from './hop-roles.js';
import { NOT_DROPS } from '../trace/hop-decoder.js';

/**
 * One skb's own path: the packet's original (copy 0), one of its in-kernel-linked copies (hop `copy` n), or a
 * linked child packet (tracepoint-only runs). A verdict is taken over all the strands of a packet.
 */
export interface Strand {
  /** The hops of this skb with their index in their packet's `hops`. */
  hops: { hop: Hop; at: number }[];
  /** A copy or child, not the packet's original skb. */
  clone: boolean;
  /** True for a child packet's strand (its indexes are not the packet's). */
  child: boolean;
  /** What the strand's hops tell (indexes into `hops`). */
  delivered?: { at: number; kind: NonNullable<ReturnType<typeof deliveryKind>> };
  dropped?: { at: number };
  /** Freed by its socket's owner after it was queued there (closed unread): not a drop of the packet. */
  discarded?: { at: number };
  lastRx?: number;
  lastTx?: number;
  consumed: boolean;
}

/** Reasons of frees of an skb a socket already held: the socket was closed or purged with it unread. */
const AFTER_DELIVERY = new Set(['QUEUE_PURGE', 'SOCKET_CLOSE']);

/** A hop's drop reason when it reports a real drop (not SKB_CONSUMED or the like). */
export function realDropReason(h: Hop): string | undefined {
  return h.drop_reason && !NOT_DROPS.has(h.drop_reason) ? h.drop_reason : undefined;
}

/** True when the hop freed the skb as a drop: a drop reason, or kfree_skb on kernels without reasons. */
function isDropHop(h: Hop, reasonsKnown: boolean): boolean {
  if (realDropReason(h)) return true;
  return !reasonsKnown && isDropFree(h.function) && !h.drop_reason;
}

function describe(s: Strand, proto: number | undefined, reasonsKnown: boolean): Strand {
  s.hops.forEach(({ hop }, i) => {
    const kind = deliveryKind(hop.function, proto);
    if (kind && !s.delivered) s.delivered = { at: i, kind };
    if (isReceive(hop.function) || hop.probe_kind === 'tc') s.lastRx = i;
    if (isTransmit(hop.function)) s.lastTx = i;
    if (hop.drop_reason && AFTER_DELIVERY.has(hop.drop_reason)) {
      s.discarded = { at: i };
      s.delivered ??= { at: i, kind: deliveryKind('sock_queue_rcv_skb', proto) ?? 'other' };
    } else if (isDropHop(hop, reasonsKnown)) s.dropped = { at: i };
    else if (isFree(hop.function)) s.consumed = true;
  });
  // a drop before the delivery was of an earlier skb at this address; after it, the delivery failed
  if (s.dropped && s.delivered && s.dropped.at < s.delivered.at) s.dropped = undefined;
  return s;
}

/** The packet's first 5-tuple's protocol. */
export const protoOf = (p: PacketPath): number | undefined => p.hops.find((h) => h.tuple)?.tuple?.proto;

/** Splits a packet (and its linked children) into strands, one per skb. `reasonsKnown`: the kernel reports drop
 * reasons (≥ 5.17), so a kfree_skb without one is not a drop. */
export function strandsOf(p: PacketPath, children: readonly PacketPath[], reasonsKnown: boolean): Strand[] {
  const proto = protoOf(p);
  const byCopy = new Map<number, Strand>();
  p.hops.forEach((hop, at) => {
    const c = hop.copy ?? 0;
    let s = byCopy.get(c);
    if (!s) byCopy.set(c, (s = { hops: [], clone: c > 0, child: false, consumed: false }));
    s.hops.push({ hop, at });
  });
  const out = [...byCopy.values()].map((s) => describe(s, proto, reasonsKnown));
  for (const ch of children)
    for (const s of strandsOf(ch, [], reasonsKnown)) out.push({ ...s, clone: true, child: true });
  return out;
}
