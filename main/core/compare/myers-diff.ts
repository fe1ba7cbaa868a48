/**
 * Myers' O((N+M)·D) shortest edit script (E. Myers, "An O(ND) Difference Algorithm", 1986) over integer symbols.
 * Packet paths of the same kind of packet differ in a few hops, so D is small and two 1k-hop paths align in well
 * under a millisecond; the worst case (nothing in common) stays O((N+M)²) time and O(D²) memory.
 */
export type EditOp = 0 | 1 | 2; // 0 = same (advance both), 1 = delete (only in a), 2 = insert (only in b)
export const SAME: EditOp = 0;
export const DELETE: EditOp = 1;
export const INSERT: EditOp = 2;

export function myersDiff(a: ArrayLike<number>, b: ArrayLike<number>): EditOp[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] = v as it was before step d (k from -d-1 to d+1), enough to walk the path back.
  const trace: Int32Array[] = [];
  let found = -1;
  outer: for (let d = 0; d <= max; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const left = v[off + k - 1] ?? 0;
      const right = v[off + k + 1] ?? 0;
      let x = k === -d || (k !== d && left < right) ? right : left + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[off + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break outer;
      }
    }
  }
  const ops: EditOp[] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const snap = trace[d] ?? new Int32Array(0);
    const at = (k: number) => snap[k + d + 1] ?? 0;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push(SAME);
      x--;
      y--;
    }
    if (d > 0) {
      ops.push(x === prevX ? INSERT : DELETE);
      x = prevX;
      y = prevY;
    }
  }
  return ops.reverse();
}
