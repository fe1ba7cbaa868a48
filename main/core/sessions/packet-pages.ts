import { describeFilterError, parseDisplayFilter } from '../../api/display-filter/index.js';
import type { PacketPage, PacketQuery } from '../../api/packets.js';
import { CoreError } from '../errors.js';
import { factsReader } from './packet-facets.js';
import type { RunFile } from './run-file.js';
import { verdictIndex, verdictKindAt } from './run-verdicts.js';

/** How many filtered/sorted orders each open run keeps (the list asks for many pages of one order). */
const KEPT_ORDERS = 4;
const orders = new WeakMap<RunFile, Map<string, Int32Array>>();

/** The capture-order positions passing the query's filters (variant, dropped, verdict, display filter). */
function pick(run: RunFile, q: PacketQuery, verdicts: () => Uint8Array): number[] {
  const { variant, dropped, verdict, display, time } = q.filter;
  const parsed = parseDisplayFilter(display ?? '');
  if (!parsed.ok)
    throw new CoreError(
      'invalid-request',
      `display filter ${describeFilterError(display ?? '', parsed.error)}`,
      {
        at: parsed.error.at,
        end: parsed.error.end,
      },
    );
  const df = parsed.filter.empty ? undefined : parsed.filter;
  const facts = df ? factsReader(run, df.needs, verdicts) : undefined;
  const x = run.index;
  const picked: number[] = [];
  const kinds = verdict === undefined && dropped === undefined ? undefined : verdicts();
  const want = verdict === undefined ? -1 : verdictIndex(verdict);
  const droppedKind = verdictIndex('dropped');
  const t0 = x.first[0] ?? 0; // the origin of the display filter's `time` too
  for (let i = 0; i < x.count; i++) {
    if (kinds && want >= 0 && kinds[i] !== want) continue;
    if (time && !inRange((x.first[i] ?? 0) - t0, time)) continue;
    if (variant !== undefined && x.variant[i] !== variant) continue;
    // dropped by the verdict, as every face counts it (api/explain.ts isDropped), not by a free's reason
    if (kinds && dropped !== undefined && (kinds[i] === droppedKind) !== dropped) continue;
    if (df && facts && !df.test(facts(i))) continue;
    picked.push(i);
  }
  return picked;
}

/**
 * The positions (capture order) of a run's packets that pass `q.filter`, sorted by `q.sort` (stable, so ties keep
 * capture order). Computed once per run and query shape, then every page is a slice.
 */
function orderOf(run: RunFile, q: PacketQuery, verdicts: () => Uint8Array): Int32Array | undefined {
  const { variant, dropped, verdict, display, time } = q.filter;
  const shown = display?.trim() ? display : undefined;
  if (
    variant === undefined &&
    dropped === undefined &&
    verdict === undefined &&
    !shown &&
    !time &&
    q.sort === 'time' &&
    !q.desc
  )
    return undefined;
  const key = JSON.stringify([variant, dropped, verdict, shown, time, q.sort, q.desc]);
  let cache = orders.get(run);
  if (!cache) orders.set(run, (cache = new Map()));
  const hit = cache.get(key);
  if (hit) return hit;
  const x = run.index;
  const picked = pick(run, q, verdicts);
  const col = q.sort === 'duration' ? x.dur : q.sort === 'hops' ? x.nhops : undefined;
  const dir = q.desc ? -1 : 1;
  if (col) picked.sort((a, b) => dir * ((col[a] ?? 0) - (col[b] ?? 0)) || a - b);
  else if (q.desc) picked.reverse();
  const order = Int32Array.from(picked);
  const oldest = cache.keys().next().value;
  if (cache.size >= KEPT_ORDERS && oldest !== undefined) cache.delete(oldest);
  cache.set(key, order);
  return order;
}

const inRange = (t: number, r: { from_ns: number; to_ns: number }) => t >= r.from_ns && t <= r.to_ns;

/** The capture-order positions of the packets passing `filter` (none: every packet), for the run's timeline. */
export function positionsOf(
  run: RunFile,
  filter: PacketQuery['filter'],
  verdicts: () => Uint8Array,
): Int32Array | undefined {
  return orderOf(run, { offset: 0, limit: 1, sort: 'time', desc: false, filter }, verdicts);
}

/** `verdicts`: the run's verdict column (`run-verdicts.ts`), asked for only when the filter names a verdict. */
export function packetPage(run: RunFile, q: PacketQuery, verdicts: () => Uint8Array): PacketPage {
  const order = orderOf(run, q, verdicts);
  const total = order ? order.length : run.count;
  const end = Math.min(total, q.offset + q.limit);
  const packets = [];
  // files without a verdict column get theirs from the run's one verdict source (computed once per open run)
  const kinds = run.index.verdict ? undefined : verdicts();
  for (let k = q.offset; k < end; k++) {
    const i = order ? (order[k] ?? 0) : k;
    const s = run.summary(i);
    packets.push(kinds ? { ...s, verdict: verdictKindAt(kinds, i) } : s);
  }
  return { total, offset: q.offset, packets };
}
