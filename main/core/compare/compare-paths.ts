import type { AlignedRow, EquivalenceUse, PathComparison } from '../../api/compare.js';
import type { PacketPath } from '../../api/trace.js';
import { equivalenceOf, hopAlignmentName } from './function-equivalence.js';
import { DELETE, INSERT, myersDiff } from './myers-diff.js';

type PathLike = Pick<PacketPath, 'hops'>;

/** Interns function names as small integers so the diff compares numbers, not strings. */
function intern(a: readonly string[], b: readonly string[]): [Int32Array, Int32Array] {
  const ids = new Map<string, number>();
  const idOf = (s: string) => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ids.size));
    return id;
  };
  return [Int32Array.from(a, idOf), Int32Array.from(b, idOf)];
}

/** The distinct renamed pairs among the aligned rows, in path order, with why they are one function. */
function equivalencesUsed(rows: readonly AlignedRow[]): EquivalenceUse[] {
  const used = new Map<string, EquivalenceUse>();
  for (const r of rows) {
    if (r.b_function === undefined) continue;
    const e = equivalenceOf(r.function);
    const key = `${r.function}\n${r.b_function}`;
    if (e && !used.has(key))
      used.set(key, { a_function: r.function, b_function: r.b_function, role: e.role, evidence: e.evidence });
  }
  return [...used.values()];
}

/**
 * Aligns two packet paths by function sequence; a function renamed between the two kernels (function-equivalence.ts)
 * aligns with its other name, and the result lists each such pair. Per-hop Δt (`a_dt_ns`, `b_dt_ns`) is the time since the previous hop
 * on that side; on `same` rows `delta_ns` compares the time each side took since the previous common hop, so time
 * spent in hops only one side has is charged to the next hop both share.
 */
export function comparePaths(a: PathLike, b: PathLike): PathComparison {
  const fa = a.hops.map((h) => h.function);
  const fb = b.hops.map((h) => h.function);
  const [ia, ib] = intern(a.hops.map(hopAlignmentName), b.hops.map(hopAlignmentName));
  const ops = myersDiff(ia, ib);
  const ts = (p: PathLike, i: number) => p.hops[i]?.ts_ns ?? 0;
  const dt = (p: PathLike, i: number) => (i === 0 ? 0 : ts(p, i) - ts(p, i - 1));

  const rows: AlignedRow[] = [];
  const inserted: PathComparison['inserted'] = [];
  const missing: PathComparison['missing'] = [];
  let firstDivergence: PathComparison['first_divergence'] = null;
  let i = 0;
  let j = 0;
  let lastCommonA = -1;
  let lastCommonB = -1;
  for (const op of ops) {
    if (op !== 0 && !firstDivergence)
      firstDivergence = { a_index: i, b_index: j, a_function: fa[i] ?? null, b_function: fb[j] ?? null };
    if (op === DELETE) {
      rows.push({
        op: 'missing',
        a_index: i,
        b_index: null,
        function: fa[i] ?? '',
        a_dt_ns: dt(a, i),
        b_dt_ns: null,
        delta_ns: null,
      });
      missing.push({ a_index: i, function: fa[i] ?? '' });
      i++;
    } else if (op === INSERT) {
      rows.push({
        op: 'inserted',
        a_index: null,
        b_index: j,
        function: fb[j] ?? '',
        a_dt_ns: null,
        b_dt_ns: dt(b, j),
        delta_ns: null,
      });
      inserted.push({ b_index: j, function: fb[j] ?? '' });
      j++;
    } else {
      const sinceA = lastCommonA < 0 ? 0 : ts(a, i) - ts(a, lastCommonA);
      const sinceB = lastCommonB < 0 ? 0 : ts(b, j) - ts(b, lastCommonB);
      rows.push({
        op: 'same',
        a_index: i,
        b_index: j,
        function: fa[i] ?? '',
        a_dt_ns: dt(a, i),
        b_dt_ns: dt(b, j),
        delta_ns: sinceB - sinceA,
        ...(fa[i] !== fb[j] ? { b_function: fb[j] ?? '' } : {}),
      });
      lastCommonA = i++;
      lastCommonB = j++;
    }
  }
  const total = (p: PathLike) => (p.hops.length < 2 ? 0 : ts(p, p.hops.length - 1) - ts(p, 0));
  const aTotal = total(a);
  const bTotal = total(b);
  const equivalences = equivalencesUsed(rows);
  return {
    identical: firstDivergence === null,
    first_divergence: firstDivergence,
    rows,
    inserted,
    missing,
    a_total_ns: aTotal,
    b_total_ns: bTotal,
    total_delta_ns: bTotal - aTotal,
    ...(equivalences.length ? { equivalences } : {}),
  };
}
