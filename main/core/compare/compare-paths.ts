import type { AlignedRow, EquivalenceUse, HopBrief, PathComparison } from '../../api/compare.js';
import type { Hop, PacketPath } from '../../api/trace.js';
import { equivalenceOf, hopAlignmentName } from './function-equivalence.js';
import { DELETE, INSERT, myersDiff, type EditOp } from './myers-diff.js';

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
    if (r.op !== 'same' || r.b_function === undefined) continue;
    const e = equivalenceOf(r.function);
    const key = `${r.function}\n${r.b_function}`;
    if (e && !used.has(key))
      used.set(key, { a_function: r.function, b_function: r.b_function, role: e.role, evidence: e.evidence });
  }
  return [...used.values()];
}

function brief(h: Hop | undefined): HopBrief | undefined {
  if (!h) return undefined;
  return {
    ifindex: h.ifindex,
    netns: h.netns,
    ...(h.ifname ? { ifname: h.ifname } : {}),
    ...(h.netns_name ? { netns_name: h.netns_name } : {}),
    ...(h.drop_reason ? { drop_reason: h.drop_reason } : {}),
  };
}

/**
 * The edit script as runs: a stretch of deletes and inserts between two `same`s is a hunk; its first
 * min(deletes, inserts) pairs are replaced hops (`changed`), the rest only in A or only in B.
 */
function hunks(ops: readonly EditOp[]): ('same' | 'missing' | 'inserted' | 'changed')[] {
  const out: ('same' | 'missing' | 'inserted' | 'changed')[] = [];
  let k = 0;
  while (k < ops.length) {
    if (ops[k] !== DELETE && ops[k] !== INSERT) {
      out.push('same');
      k++;
      continue;
    }
    let del = 0;
    let ins = 0;
    for (; k < ops.length && (ops[k] === DELETE || ops[k] === INSERT); k++)
      if (ops[k] === DELETE) del++;
      else ins++;
    const pairs = Math.min(del, ins);
    for (let i = 0; i < pairs; i++) out.push('changed');
    for (let i = pairs; i < del; i++) out.push('missing');
    for (let i = pairs; i < ins; i++) out.push('inserted');
  }
  return out;
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
  const side = (p: PathLike, k: number | null) => (k === null ? undefined : brief(p.hops[k]));
  const row = (op: AlignedRow['op'], ai: number | null, bj: number | null): AlignedRow => {
    const aHop = side(a, ai);
    const bHop = side(b, bj);
    return {
      op,
      a_index: ai,
      b_index: bj,
      function: ai !== null ? (fa[ai] ?? '') : (fb[bj ?? 0] ?? ''),
      ...(op === 'changed' ? { b_function: fb[bj ?? 0] ?? '' } : {}),
      ...(aHop ? { a_hop: aHop } : {}),
      ...(bHop ? { b_hop: bHop } : {}),
      a_dt_ns: ai === null ? null : dt(a, ai),
      b_dt_ns: bj === null ? null : dt(b, bj),
      delta_ns: null,
    };
  };
  for (const op of hunks(myersDiff(ia, ib))) {
    if (op !== 'same' && !firstDivergence)
      firstDivergence = { a_index: i, b_index: j, a_function: fa[i] ?? null, b_function: fb[j] ?? null };
    if (op === 'missing' || op === 'changed') missing.push({ a_index: i, function: fa[i] ?? '' });
    if (op === 'inserted' || op === 'changed') inserted.push({ b_index: j, function: fb[j] ?? '' });
    if (op === 'missing') rows.push(row(op, i++, null));
    else if (op === 'inserted') rows.push(row(op, null, j++));
    else if (op === 'changed') rows.push(row(op, i++, j++));
    else {
      const sinceA = lastCommonA < 0 ? 0 : ts(a, i) - ts(a, lastCommonA);
      const sinceB = lastCommonB < 0 ? 0 : ts(b, j) - ts(b, lastCommonB);
      rows.push({
        ...row(op, i, j),
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
