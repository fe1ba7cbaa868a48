import type { VerdictKind } from '../../api/explain.js';
import { capturesOf } from '../../api/packets.js';
import type { Hop, PacketPath } from '../../api/trace.js';
import { agreesWith, invariantKey, parseCapture, type PacketHeaders } from './packet-headers.js';

/** What stitching keeps of one packet of one host's run: small, so a run of many packets indexes cheaply. */
export interface SegmentFacts {
  host: string;
  packetId: number;
  first: number;
  last: number;
  verdict: VerdictKind | null;
  /** The captured headers that parsed (in capture order): first = as it arrived or was made, last = as it left. */
  headers: PacketHeaders[];
  key?: { key: string; on: string };
  /** Made on this host (first seen on the transmit path) rather than received from an interface. */
  originated: boolean;
  /** It left the host through an interface: where and when (host ktime). */
  left?: { ifname: string; ts: number };
  /** The last hop that is not a free: where its path on this host ended. */
  lastFunction: string;
  /** It died on this host. */
  dropped?: { function: string; reason?: string };
}

/**
 * Hops on a device's transmit path up to the driver hand-off: the last of them is when the packet left the host at
 * the latest. Not `net_dev_xmit`: it fires after the driver returns, and on a busy machine the next host can have
 * received the frame by then.
 */
const TRANSMIT = new Set([
  'dev_hard_start_xmit',
  'xmit_one',
  'net_dev_start_xmit',
  'sch_direct_xmit',
  '__dev_queue_xmit',
  'dev_queue_xmit',
  'net_dev_queue',
  'tc-egress',
]);
/** Hops after the hand-off: still the transmit path, but no time bound. */
const AFTER_XMIT = new Set(['net_dev_xmit']);
/** Hops of the receive path: a packet whose first hop is one of them came in from an interface. */
const RECEIVE = /^(__)?netif_receive|^napi_gro|^netif_rx|^__netif_rx|^ip6?_rcv|^ipv6_rcv|tc-ingress/;
/** Frees that end every packet; they follow the hop that decided its fate. */
const FREE =
  /^(consume_skb|kfree_skb|kfree_skb_reason|sk_skb_reason_drop|__kfree_skb|kfree_skbmem|skb_release_data|kfree_skb_list_reason)$/;

const ifnameOf = (h: Hop) => h.ifname ?? (h.ifindex ? `ifindex ${h.ifindex}` : 'an unnamed interface');

function leftBy(p: PacketPath): SegmentFacts['left'] {
  if (p.verdict && p.verdict.kind !== 'sent' && p.verdict.kind !== 'forwarded') return undefined;
  if (p.drop_reason || p.cut) return undefined;
  const path = p.hops.filter((h) => !FREE.test(h.function) && !AFTER_XMIT.has(h.function));
  const decided = path.at(-1);
  if (decided && TRANSMIT.has(decided.function))
    return { ifname: p.verdict?.egress?.ifname ?? ifnameOf(decided), ts: decided.ts_ns };
  if (!p.verdict) return undefined;
  const at = p.verdict.hop !== undefined ? p.hops[p.verdict.hop] : decided;
  return at && { ifname: p.verdict.egress?.ifname ?? ifnameOf(at), ts: at.ts_ns };
}

function droppedAt(p: PacketPath): SegmentFacts['dropped'] {
  if (p.verdict && p.verdict.kind !== 'dropped') return undefined;
  if (p.drop) return { function: p.drop.function, ...(p.drop.reason ? { reason: p.drop.reason } : {}) };
  if (!p.drop_reason) return undefined;
  const free = p.hops.findLast((h) => h.drop_reason);
  const i = free ? p.hops.indexOf(free) : p.hops.length - 1;
  const decider = p.hops.slice(0, i).findLast((h) => !FREE.test(h.function)) ?? free;
  return { function: decider?.function ?? '?', reason: p.drop_reason };
}

/** The facts of one packet of `host`'s run (its captured bytes give the headers). */
export function segmentFacts(host: string, p: PacketPath): SegmentFacts | undefined {
  const first = p.hops[0];
  const last = p.hops.at(-1);
  if (!first || !last) return undefined;
  const tuples = p.hops.filter((h) => h.tuple);
  const headers: PacketHeaders[] = [];
  for (const c of capturesOf(p)) {
    const h = parseCapture(c);
    // the tuple of the hop the bytes were copied at (or the nearest before it) must agree
    const at = tuples.findLast((t) => t.ts_ns <= c.ts_ns) ?? tuples[0];
    if (h && agreesWith(h, at?.tuple)) headers.push(h);
  }
  // a clone (tracepoint-only runs give it its own id) carries its parent's headers: the parent stands for both
  // The last header is the one on the wire: a sender's first copy can predate __ip_local_out filling in the length.
  const wire = headers.at(-1);
  const key = p.parent === undefined && wire ? invariantKey(wire) : undefined;
  const originated = p.verdict?.kind === 'sent' || !RECEIVE.test(first.function);
  const left = leftBy(p);
  const dropped = droppedAt(p);
  return {
    host,
    packetId: p.id,
    first: first.ts_ns,
    last: last.ts_ns,
    verdict: p.verdict?.kind ?? null,
    headers,
    ...(key ? { key } : {}),
    originated,
    lastFunction:
      p.hops.findLast((h) => !FREE.test(h.function) && !AFTER_XMIT.has(h.function))?.function ??
      last.function,
    ...(left ? { left } : {}),
    ...(dropped ? { dropped } : {}),
  };
}
