import type { Hop, PacketPath } from '../../../main/api/trace';

/** One packet list row, computed on demand (the list asks only for visible rows). */
export interface PacketSummary {
  id: number;
  startNs: number;
  durationNs: number;
  hops: number;
  tuple: Hop['tuple'];
  lastFunction: string;
  dropReason: string | null;
  ifChanges: number;
  len: number;
}

export function summarize(p: PacketPath): PacketSummary {
  const first = p.hops[0];
  const last = p.hops.at(-1);
  let ifChanges = 0;
  let tuple: Hop['tuple'];
  p.hops.forEach((h, i) => {
    tuple ??= h.tuple;
    const prev = p.hops[i - 1];
    if (prev && (prev.ifindex !== h.ifindex || prev.netns !== h.netns)) ifChanges++;
  });
  return {
    id: p.id,
    startNs: first?.ts_ns ?? 0,
    durationNs: first && last ? last.ts_ns - first.ts_ns : 0,
    hops: p.hops.length,
    tuple,
    lastFunction: last?.function ?? '',
    dropReason: p.drop_reason,
    ifChanges,
    len: first?.len ?? 0,
  };
}

/** A hop's Δt from the previous hop of the same packet (0 for the first). */
export function hopDeltas(p: PacketPath): number[] {
  return p.hops.map((h, i) => h.ts_ns - (p.hops[i - 1]?.ts_ns ?? h.ts_ns));
}
