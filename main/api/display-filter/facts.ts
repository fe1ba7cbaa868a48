import type { VerdictKind } from '../explain.js';
import type { Hop, PacketPath } from '../trace.js';

/**
 * What a display filter can ask of one packet. The core fills it from a run file's index (plus, only for filters
 * that name interfaces, namespaces or verdicts, one pass over the packets); the renderer from live packets.
 */
export interface PacketFacts {
  id: number;
  /** The first 5-tuple seen on the packet (the list's 5-tuple column). */
  tuple: Hop['tuple'] | null;
  /** Every function of the path, in order. */
  functions: readonly string[];
  drop_reason: string | null;
  verdict: VerdictKind | undefined;
  /** Interfaces the packet passed: names where the run knew them, and ifindexes as decimal text. */
  ifaces: readonly string[];
  /** Network namespaces the packet passed: names where known, and inodes as decimal text. */
  netns: readonly string[];
  duration_ns: number;
  hops: number;
  /** First hop − the run's first packet's first hop. */
  time_ns: number;
  cut: boolean;
  partial: boolean;
  variant: number;
}

/** Facts a filter needs beyond a run index's columns (the core reads the packets once for these). */
export interface FactNeeds {
  places: boolean;
  verdict: boolean;
}

/** Interfaces and namespaces of a packet's hops, deduplicated, names before numbers. */
export function placesOf(hops: readonly Hop[]): { ifaces: string[]; netns: string[] } {
  const ifaces = new Set<string>();
  const netns = new Set<string>();
  for (const h of hops) {
    if (h.ifname) ifaces.add(h.ifname);
    if (h.ifindex) ifaces.add(String(h.ifindex));
    if (h.netns_name) netns.add(h.netns_name);
    if (h.netns) netns.add(String(h.netns));
  }
  return { ifaces: [...ifaces], netns: [...netns] };
}

/** The kind of verdict a packet has; without one (runs from before explain), a drop reason still means dropped. */
export function verdictKindOf(p: Pick<PacketPath, 'verdict' | 'drop_reason'>): VerdictKind | undefined {
  return p.verdict?.kind ?? (p.drop_reason ? 'dropped' : undefined);
}

/** Facts of a whole packet (live runs; the core's pass over a run file's packets). */
export function factsOfPacket(p: PacketPath, variant: number, t0: number): PacketFacts {
  const first = p.hops[0];
  const last = p.hops.at(-1);
  return {
    id: p.id,
    tuple: p.hops.find((h) => h.tuple)?.tuple ?? null,
    functions: p.hops.map((h) => h.function),
    drop_reason: p.drop_reason,
    verdict: verdictKindOf(p),
    ...placesOf(p.hops),
    duration_ns: first && last ? Math.max(0, last.ts_ns - first.ts_ns) : 0,
    hops: p.hops.length,
    time_ns: (first?.ts_ns ?? t0) - t0,
    cut: !!p.cut,
    partial: !!p.partial,
    variant,
  };
}
