import type { PathVariant } from '../../api/compare.js';
import { isDropped, type VerdictKind } from '../../api/explain.js';
import type { RunIndexDoc } from './run-file.js';

/**
 * A saved run's variants for comparing runs, with their packet ids (at most `maxIds` each). Variants are told apart
 * by their outcome too (main/api/path-variants.ts); run files written before that keyed them on functions alone, so
 * each stored variant is split here by its packets' drop reasons (the index has them), and old and new runs compare
 * alike. Most frequent first; partial variants last.
 */
export function variantsOf(x: RunIndexDoc, maxIds = Infinity): PathVariant[] {
  const byKey = new Map<string, PathVariant>();
  for (let i = 0; i < x.count; i++) {
    const vi = x.variant[i] ?? 0;
    const stored = x.variants[vi];
    if (!stored) continue;
    const reason = stored.drop_reason ?? x.drops[x.drop[i] ?? -1];
    const key = `${vi}\n${reason ?? ''}`;
    let v = byKey.get(key);
    if (!v) {
      v = {
        functions: stored.functions,
        count: 0,
        packet_ids: [],
        dropped: 0,
        ...(reason ? { drop_reason: reason } : {}),
        ...(stored.verdict ? { verdict: stored.verdict } : {}),
        ...(stored.partial ? { partial: stored.partial } : {}),
      };
      byKey.set(key, v);
    }
    v.count++;
    const kind = x.verdicts?.[x.verdict?.[i] ?? -1] as VerdictKind | undefined;
    if (isDropped({ verdict: kind, drop_reason: reason })) v.dropped = (v.dropped ?? 0) + 1;
    if (v.packet_ids.length < maxIds) v.packet_ids.push(x.id[i] ?? 0);
  }
  return [...byKey.values()].sort(
    (a, b) =>
      Number(Boolean(a.partial)) - Number(Boolean(b.partial)) ||
      b.count - a.count ||
      (a.packet_ids[0] ?? 0) - (b.packet_ids[0] ?? 0),
  );
}
