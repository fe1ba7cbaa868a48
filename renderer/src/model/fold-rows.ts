import type { AlignedRow } from '../../../main/api/compare';

export type DiffItem = { kind: 'row'; index: number } | { kind: 'fold'; start: number; count: number };

/** Identical stretches longer than this fold to one line, keeping CONTEXT rows of context on each side. */
const FOLD_MIN = 8;
const CONTEXT = 2;

/** Rows to show: every difference with context; long runs of `same` rows folded unless expanded. */
export function foldRows(rows: readonly AlignedRow[], expanded: ReadonlySet<number>): DiffItem[] {
  const out: DiffItem[] = [];
  let i = 0;
  while (i < rows.length) {
    if (rows[i]?.op !== 'same') {
      out.push({ kind: 'row', index: i++ });
      continue;
    }
    let j = i;
    while (j < rows.length && rows[j]?.op === 'same') j++;
    const len = j - i;
    const lead = i === 0 ? 0 : CONTEXT;
    const tail = j === rows.length ? 0 : CONTEXT;
    const start = i + lead;
    const count = len - lead - tail;
    if (len >= FOLD_MIN && count > 1 && !expanded.has(start)) {
      for (let k = i; k < start; k++) out.push({ kind: 'row', index: k });
      out.push({ kind: 'fold', start, count });
      for (let k = start + count; k < j; k++) out.push({ kind: 'row', index: k });
    } else for (let k = i; k < j; k++) out.push({ kind: 'row', index: k });
    i = j;
  }
  return out;
}
