import { VerdictKindSchema, type VerdictKind } from '../../api/explain.js';
import type { PacketPath } from '../../api/trace.js';
import type { RunFile } from './run-file.js';
import {
  beforeRunEnd,
  EXPLAIN_LOOKAHEAD,
  explainPacket,
  explainPackets,
  type ExplainOptions,
} from '../explain/explain-packets.js';

const KINDS = VerdictKindSchema.options;
const columns = new WeakMap<RunFile, Uint8Array>();

/**
 * Each packet's verdict kind in capture order (one byte per packet): the one source of verdicts for a run's lists,
 * filters and display filter. From the index where the file has the column (written with explainPackets' verdicts,
 * run files version 3), else computed once per open run by reading it through the same way (older files).
 */
export function verdictColumn(run: RunFile, o: ExplainOptions): Uint8Array {
  let col = columns.get(run);
  if (col) return col;
  col = new Uint8Array(run.count);
  const { verdict, verdicts } = run.index;
  if (verdict && verdicts) {
    const kind = verdicts.map((k) => KINDS.indexOf(k as VerdictKind));
    for (let i = 0; i < col.length; i++) col[i] = kind[verdict[i] ?? -1] ?? KINDS.indexOf('unknown');
  } else {
    let i = 0;
    for (const p of explainPackets(run.packets(), o)) col[i++] = KINDS.indexOf(p.verdict?.kind ?? 'unknown');
  }
  columns.set(run, col);
  return col;
}

/** The verdict kind a column byte stands for. */
export const verdictKindAt = (col: Uint8Array, i: number): VerdictKind => KINDS[col[i] ?? 0] ?? 'unknown';

export const verdictIndex = (k: VerdictKind): number => KINDS.indexOf(k);

/**
 * The packet at `at` explained with its children: those it recorded and, in runs where clones get their own id
 * (`searchKids`: tracepoint-only), the packets within `EXPLAIN_LOOKAHEAD` positions either side whose `parent` is
 * it (a clone is written close to its original, before or after it).
 */
export function explainedPacketAt(
  run: RunFile,
  at: number,
  o: ExplainOptions,
  searchKids: boolean,
): PacketPath {
  const p = run.packetAt(at);
  const kids = new Map<number, PacketPath>();
  for (const id of p.children ?? []) {
    const i = run.positionOf(id);
    if (i !== undefined) kids.set(id, run.packetAt(i));
  }
  const from = searchKids ? Math.max(0, at - EXPLAIN_LOOKAHEAD) : 0;
  const to = searchKids ? Math.min(run.count, at + EXPLAIN_LOOKAHEAD + 1) : 0;
  for (let i = from; i < to; i++) {
    const q = i === at ? undefined : run.packetAt(i);
    if (q?.parent === p.id) kids.set(q.id, q);
  }
  // what the run's end says holds for its last packets only, as in a window's drain
  return explainPacket(p, [...kids.values()], at >= run.count - EXPLAIN_LOOKAHEAD ? o : beforeRunEnd(o));
}

/**
 * The packets at `positions`, each explained as `explainedPacketAt` explains it, at the lower cost of the two ways:
 * one at a time (a tracepoint run reads `EXPLAIN_LOOKAHEAD` packets either side of each), or one pass over the run
 * in file order through the explain window, stopping once the last wanted packet is out of it.
 */
export function explainedPacketsAt(
  run: RunFile,
  positions: readonly number[],
  o: ExplainOptions,
  searchKids: boolean,
): Map<number, PacketPath> {
  const out = new Map<number, PacketPath>();
  if (!searchKids || positions.length * (2 * EXPLAIN_LOOKAHEAD + 1) < run.count) {
    for (const at of positions) out.set(at, explainedPacketAt(run, at, o, searchKids));
    return out;
  }
  const wanted = new Set(positions);
  const last = Math.max(...positions);
  let i = 0;
  for (const p of explainPackets(run.packets(), o)) {
    if (wanted.has(i)) out.set(i, p);
    if (++i > last) break;
  }
  return out;
}
