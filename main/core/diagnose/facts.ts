import type { HostContext, NetnsContext, VerdictKind } from '../../api/explain.js';
import type { Hop, PacketPath } from '../../api/trace.js';
import { counterDeltas } from '../../api/counter-deltas.js';
import type { PacketKey } from './packet-match.js';

/** An answer the kernel sent back for the packet (ICMP error, TCP RST), found among the run's other packets. */
export interface Answer {
  packet: number;
  kind: 'icmp' | 'tcp';
  icmpType?: number;
  icmpCode?: number;
  from: string;
}

/** What the rules read: the packet, where it ended, and that netns's host context. */
export interface Facts {
  packet: PacketPath;
  verdict: VerdictKind;
  key?: PacketKey;
  /** index of the hop that decided (the drop, the delivery, the exit) */
  hop?: number;
  reason?: string;
  /** the function that decided the drop (verdict's drop point) or the free's location */
  dropFunction?: string;
  /** netns inode where it ended, and its name for people */
  netns?: number;
  nsName: string;
  ns?: NetnsContext;
  ifindex?: number;
  /** the interface there, by name where the context knows it */
  ifname?: string;
  answers: Answer[];
  /** counter deltas (end − start) of that netns, where both snapshots have it (shared by the run's packets) */
  counters: Readonly<Record<string, number>>;
  context?: HostContext;
}

/** The verdict the packet carries, or a plain one from its own hops for runs without verdicts. */
export function verdictOf(p: PacketPath): VerdictKind {
  if (p.verdict) return p.verdict.kind;
  if (p.cut) return 'in-flight';
  if (p.drop_reason) return 'dropped';
  if (p.partial) return 'unknown';
  return p.hops.some((h) => h.function === 'skb_copy_datagram_iovec') ? 'delivered' : 'unknown';
}

/** The netns's context from the snapshot nearest the packet: start (state during the run), else end. */
export function netnsContext(
  ctx: HostContext | undefined,
  netns: number | undefined,
): NetnsContext | undefined {
  if (!ctx || netns === undefined) return undefined;
  return (
    ctx.start?.namespaces.find((n) => n.netns === netns) ?? ctx.end?.namespaces.find((n) => n.netns === netns)
  );
}

/** Counter deltas per netns, computed once per context: a run's packets share it, and recomputing it for each of
 * a flood's packets was most of `trace`'s time and garbage. */
const deltasByContext = new WeakMap<HostContext, Map<number, Readonly<Record<string, number>>>>();
const NO_DELTAS: Readonly<Record<string, number>> = Object.freeze({});

function netnsCounterDeltas(ctx: HostContext | undefined, netns: number | undefined) {
  if (!ctx || netns === undefined) return NO_DELTAS;
  let byNetns = deltasByContext.get(ctx);
  if (!byNetns) {
    byNetns = new Map(counterDeltas(ctx).map((d) => [d.netns, Object.freeze(d.deltas)]));
    deltasByContext.set(ctx, byNetns);
  }
  return byNetns.get(netns) ?? NO_DELTAS;
}

/** The deciding hop: the verdict's, the drop's, else the last hop with a drop reason, else the last hop. */
function decidingHop(p: PacketPath): number | undefined {
  if (p.verdict?.hop !== undefined) return p.verdict.hop;
  if (p.drop?.hop !== undefined) return p.drop.hop;
  const dropped = p.hops.findLastIndex((h) => h.drop_reason);
  if (dropped >= 0) return dropped;
  return p.hops.length ? p.hops.length - 1 : undefined;
}

/** The last hop at or before `i` that knows its device (socket-side hops report ifindex 0 and a guessed netns). */
function placedHop(hops: Hop[], i: number): Hop | undefined {
  return hops.slice(0, i + 1).findLast((h) => h.ifindex > 0) ?? hops[i];
}

export function buildFacts(p: PacketPath, ctx: HostContext | undefined, answers: Answer[]): Facts {
  const hop = decidingHop(p);
  const at = hop === undefined ? undefined : placedHop(p.hops, hop);
  const t = p.hops.find((h) => h.tuple)?.tuple;
  const ns = netnsContext(ctx, at?.netns);
  const ifname = at?.ifname ?? ns?.links.find((l) => l.ifindex === at?.ifindex)?.ifname;
  const nsName = at?.netns_name ?? ns?.name ?? (at ? String(at.netns) : 'unknown');
  const reason =
    p.drop?.reason ?? (hop !== undefined ? p.hops[hop]?.drop_reason : undefined) ?? p.drop_reason;
  const dropFunction = p.drop?.function ?? p.drop?.location;
  return {
    packet: p,
    verdict: verdictOf(p),
    ...(t ? { key: { ...t, ...(ifname ? { iif: ifname } : {}) } } : {}),
    ...(hop !== undefined ? { hop } : {}),
    ...(reason ? { reason } : {}),
    ...(dropFunction ? { dropFunction } : {}),
    ...(at ? { netns: at.netns, ifindex: at.ifindex } : {}),
    nsName,
    ...(ns ? { ns } : {}),
    ...(ifname ? { ifname } : {}),
    answers,
    counters: netnsCounterDeltas(ctx, at?.netns),
    ...(ctx ? { context: ctx } : {}),
  };
}
