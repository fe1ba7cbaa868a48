import type { PathVariant, RunComparison } from '../../api/compare.js';
import type { PacketPath } from '../../api/trace.js';
import { comparePaths } from './compare-paths.js';

/** Distinct function sequences of a run with how many packets took each, most frequent first (ties: earliest). */
export function pathVariants(packets: readonly PacketPath[]): PathVariant[] {
  const byKey = new Map<string, PathVariant>();
  for (const p of packets) {
    const functions = p.hops.map((h) => h.function);
    const key = functions.join('\n');
    const v = byKey.get(key);
    if (v) {
      v.count++;
      v.packet_ids.push(p.id);
    } else byKey.set(key, { functions, count: 1, packet_ids: [p.id] });
  }
  return [...byKey.values()].sort(
    (x, y) => y.count - x.count || (x.packet_ids[0] ?? 0) - (y.packet_ids[0] ?? 0),
  );
}

/** Two runs side by side by their path variants; the two dominant variants are also aligned hop by hop. */
export function compareRuns(a: readonly PacketPath[], b: readonly PacketPath[]): RunComparison {
  const va = pathVariants(a);
  const vb = pathVariants(b);
  const indexB = new Map(vb.map((v, i) => [v.functions.join('\n'), i]));
  const shared: RunComparison['shared'] = [];
  const onlyA: number[] = [];
  va.forEach((v, i) => {
    const j = indexB.get(v.functions.join('\n'));
    if (j === undefined) onlyA.push(i);
    else shared.push({ a: i, b: j });
  });
  const sharedB = new Set(shared.map((s) => s.b));
  const onlyB = vb.map((_, j) => j).filter((j) => !sharedB.has(j));
  const firstOf = (packets: readonly PacketPath[], v: PathVariant | undefined) =>
    v ? packets.find((p) => p.id === v.packet_ids[0]) : undefined;
  const pa = firstOf(a, va[0]);
  const pb = firstOf(b, vb[0]);
  return {
    a_variants: va,
    b_variants: vb,
    shared,
    only_a: onlyA,
    only_b: onlyB,
    dominant: pa && pb ? comparePaths(pa, pb) : null,
  };
}
