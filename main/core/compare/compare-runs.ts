import type { PathVariant, RunComparison } from '../../api/compare.js';
import { pathVariants, variantKey } from '../../api/path-variants.js';
import type { PacketPath } from '../../api/trace.js';
import { comparePaths } from './compare-paths.js';
import { alignmentName } from './function-equivalence.js';

export { pathVariants };

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
  // Same functions (under their names across kernel versions, function-equivalence.ts) and same outcome:
  // NO_SOCKET in A and NETFILTER_DROP in B are not "in both".
  const key = (v: PathVariant) => variantKey(v.functions.map(alignmentName), v);
  const indexB = new Map(vb.map((v, i) => [key(v), i]));
  const shared: RunComparison['shared'] = [];
  const onlyA: number[] = [];
  va.forEach((v, i) => {
    const j = indexB.get(key(v));
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
