import type { PathVariant, RunComparison } from '../../api/compare.js';
import type { PacketPath } from '../../api/trace.js';
import { comparePaths } from './compare-paths.js';
import { alignmentName } from './function-equivalence.js';

/** A variant's identity across kernels: its functions under their alignment names (function-equivalence.ts). */
const variantKey = (v: PathVariant) => v.functions.map(alignmentName).join('\n');

/**
 * Distinct function sequences of a run with how many packets took each: complete paths first (fragments and paths
 * cut by the end of the trace are not what "the path" of a run means), then most frequent, then earliest.
 */
export function pathVariants(packets: readonly PacketPath[]): PathVariant[] {
  const byKey = new Map<string, PathVariant>();
  for (const p of packets) {
    const functions = p.hops.map((h) => h.function);
    const partial = Boolean(p.partial || p.cut);
    const key = `${partial ? 'p' : 'c'}\n${functions.join('\n')}`;
    const v = byKey.get(key);
    if (v) {
      v.count++;
      v.packet_ids.push(p.id);
    } else byKey.set(key, { functions, count: 1, packet_ids: [p.id], ...(partial ? { partial } : {}) });
  }
  return [...byKey.values()].sort(
    (x, y) =>
      Number(Boolean(x.partial)) - Number(Boolean(y.partial)) ||
      y.count - x.count ||
      (x.packet_ids[0] ?? 0) - (y.packet_ids[0] ?? 0),
  );
}

/** Two runs side by side by their path variants; the two dominant variants are also aligned hop by hop. */
export function compareRuns(a: readonly PacketPath[], b: readonly PacketPath[]): RunComparison {
  const va = pathVariants(a);
  const vb = pathVariants(b);
  const firstOf = (packets: readonly PacketPath[], v: PathVariant | undefined) =>
    v ? packets.find((p) => p.id === v.packet_ids[0]) : undefined;
  return compareVariants(va, vb, firstOf(a, va[0]), firstOf(b, vb[0]));
}

/**
 * The same from variants already known (a saved run's index has them), given the first packet of each run's most
 * frequent variant for the hop-by-hop alignment.
 */
export function compareVariants(
  va: PathVariant[],
  vb: PathVariant[],
  pa: PacketPath | undefined,
  pb: PacketPath | undefined,
): RunComparison {
  const indexB = new Map(vb.map((v, i) => [variantKey(v), i]));
  const shared: RunComparison['shared'] = [];
  const onlyA: number[] = [];
  va.forEach((v, i) => {
    const j = indexB.get(variantKey(v));
    if (j === undefined) onlyA.push(i);
    else shared.push({ a: i, b: j });
  });
  const sharedB = new Set(shared.map((s) => s.b));
  const onlyB = vb.map((_, j) => j).filter((j) => !sharedB.has(j));
  return {
    a_variants: va,
    b_variants: vb,
    shared,
    only_a: onlyA,
    only_b: onlyB,
    dominant: pa && pb ? comparePaths(pa, pb) : null,
  };
}
