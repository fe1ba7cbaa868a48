import type { PacketPath } from '../../../main/api/trace';

export interface Variant {
  functions: string[];
  count: number;
  packetIds: number[];
  dropped: number;
}

/** Distinct function sequences of a run with how many packets took each, most frequent first. */
export function pathVariants(packets: readonly PacketPath[]): Variant[] {
  const byKey = new Map<string, Variant>();
  for (const p of packets) {
    const functions = p.hops.map((h) => h.function);
    const key = functions.join('\u0000');
    let v = byKey.get(key);
    if (!v) byKey.set(key, (v = { functions, count: 0, packetIds: [], dropped: 0 }));
    v.count++;
    v.packetIds.push(p.id);
    if (p.drop_reason) v.dropped++;
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count);
}
