import type { Hop, PacketPath } from '../../../main/api/trace.js';
import { subsystemOf, type Subsystem } from './subsystem.js';

/**
 * A stack layer: subsystems a packet passes through together. Grouping by layer rather than by subsystem turns a
 * forwarded ping's 51 hops into 7 steps (IP out, device, IP forward, device, IP in, socket, free) instead of 25:
 * netfilter, routing and neighbour hops interleave with IP ones one at a time.
 */
export interface Layer {
  id: string;
  label: string;
}
const LAYERS: Record<string, Layer> = {
  ip: { id: 'ip', label: 'IP' },
  device: { id: 'device', label: 'device' },
  l4: { id: 'l4', label: 'transport / socket' },
  bridge: { id: 'bridge', label: 'bridge' },
  tunnel: { id: 'tunnel', label: 'tunnel' },
  free: { id: 'free', label: 'free' },
};
/** A group that so far holds only generic skb helpers; it takes the layer of the first telling hop. */
const SKB: Layer = { id: 'skb', label: 'skb' };
const LAYER_OF: Record<string, string> = {
  ipv4: 'ip',
  ipv6: 'ip',
  routing: 'ip',
  netfilter: 'ip',
  neigh: 'ip',
  rx: 'device',
  xmit: 'device',
  driver: 'device',
  tc: 'device',
  tcp: 'l4',
  udp: 'l4',
  icmp: 'l4',
  socket: 'l4',
  bridge: 'bridge',
  tunnel: 'tunnel',
  free: 'free',
};

/** The layer of a subsystem; undefined for generic skb helpers and unknown functions, which join their neighbours. */
export function layerOf(subsystem: string): Layer | undefined {
  const id = LAYER_OF[subsystem];
  return id ? LAYERS[id] : undefined;
}

/** A run of consecutive hops in one stack layer: [start, end) indices into the packet's hops. */
export interface HopGroup {
  layer: Layer;
  /** The subsystems of its hops, in order of first appearance. */
  subsystems: Subsystem[];
  start: number;
  end: number;
  /** Hops of the group shown even when it is folded: the drop point and where the interface or netns changed. */
  pinned: number[];
}

/** Groups this long or longer fold; shorter ones are always shown whole (folding 2 hops saves nothing). */
export const FOLD_MIN_HOPS = 3;
/** Paths up to this long open unfolded: a 7-hop ping reads best as it is. */
export const UNFOLDED_UP_TO = 24;

/** The hop that decided the packet's fate, if it was dropped: the core's drop point, else the hop with the reason. */
export function dropHopOf(p: PacketPath): number | undefined {
  if (p.verdict && p.verdict.kind !== 'dropped') return undefined;
  if (p.drop?.hop !== undefined) return p.drop.hop;
  if (p.verdict?.hop !== undefined) return p.verdict.hop;
  if (!p.drop_reason) return undefined;
  const benign = new Set(p.verdict?.benign?.map((b) => b.hop));
  const i = p.hops.findIndex((h, k) => h.drop_reason && !benign.has(k));
  return i >= 0 ? i : p.hops.length - 1;
}

/**
 * True when hop i is in another netns than hop i-1, or on another interface. ifindex 0 means "no device on the skb"
 * (before it is routed out, after a socket took it): going to or from 0 is not a move between interfaces.
 */
export function placeChanged(hops: readonly Hop[], i: number): boolean {
  const prev = hops[i - 1];
  const h = hops[i];
  if (!prev || !h) return false;
  return prev.netns !== h.netns || (prev.ifindex !== h.ifindex && prev.ifindex !== 0 && h.ifindex !== 0);
}

/**
 * Consecutive hops of one layer (by function name) grouped, so a 40–70-hop path of a real kernel reads as a handful
 * of steps; generic skb helpers stay in the group around them; the drop hop and every hop where the interface or
 * netns changed are pinned (visible when folded).
 */
export function groupHops(
  hops: readonly Hop[],
  dropHop: number | undefined,
  subsystem: (fn: string) => Subsystem = subsystemOf,
): HopGroup[] {
  const groups: HopGroup[] = [];
  hops.forEach((h, i) => {
    const s = subsystem(h.function);
    const layer = layerOf(s.id);
    const last = groups.at(-1);
    if (last && (!layer || layer.id === last.layer.id || last.layer.id === SKB.id)) {
      last.end = i + 1;
      if (last.layer.id === SKB.id && layer) last.layer = layer;
      if (!last.subsystems.some((x) => x.id === s.id)) last.subsystems.push(s);
    } else
      groups.push({
        layer: layer ?? SKB,
        subsystems: [s],
        start: i,
        end: i + 1,
        pinned: [],
      });
    if (i === dropHop || placeChanged(hops, i)) groups.at(-1)?.pinned.push(i);
  });
  return groups;
}

/** Whether a group can fold at all. */
export const foldable = (g: HopGroup): boolean => g.end - g.start >= FOLD_MIN_HOPS;

/** The groups folded when a packet opens: every foldable one on long paths, none on short ones. */
export function initiallyFolded(groups: readonly HopGroup[], hopCount: number): Set<number> {
  if (hopCount <= UNFOLDED_UP_TO) return new Set();
  return new Set(groups.flatMap((g) => (foldable(g) ? [g.start] : [])));
}
