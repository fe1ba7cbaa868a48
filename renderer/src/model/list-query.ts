import {
  factsOfPacket,
  parseDisplayFilter,
  type PacketFacts,
} from '../../../main/api/display-filter/index.js';
import { isDropped } from '../../../main/api/explain.js';
import type { PacketSort } from '../../../main/api/packets.js';
import type { PacketPath } from '../../../main/api/trace.js';

/** What the packet list shows of a run: which packets (variant, drops only, display filter) in which order. */
export interface ListQuery {
  variant?: number | undefined;
  dropsOnly?: boolean;
  /** A display filter the list has checked (never an invalid one). */
  display?: string;
  /** A range picked on the timeline: first hop in [from_ns, to_ns], ns since the run's first packet. */
  range?: TimeRange | undefined;
  sort: PacketSort;
  desc: boolean;
}

export interface TimeRange {
  from_ns: number;
  to_ns: number;
}

export const DEFAULT_QUERY: ListQuery = { sort: 'time', desc: false };

export function queryKey(q: ListQuery): string {
  return JSON.stringify([q.variant, !!q.dropsOnly, q.display?.trim() ?? '', q.range, q.sort, q.desc]);
}

/** The query as `sessions.packets` takes it. */
export function coreQuery(q: ListQuery) {
  const display = q.display?.trim();
  return {
    sort: q.sort,
    desc: q.desc,
    filter: {
      ...(q.variant !== undefined ? { variant: q.variant } : {}),
      // the verdict, not the kernel's raw free reason: a ping reply delivered via a clone was freed NO_SOCKET too
      ...(q.dropsOnly ? { verdict: 'dropped' as const } : {}),
      ...(display ? { display } : {}),
      ...(q.range ? { time: { from_ns: q.range.from_ns, to_ns: q.range.to_ns } } : {}),
    },
  };
}

// Facts of a packet object, kept while it lives: a live run replaces a packet that grew with a new object, so a
// cached entry never goes stale, and a filter re-run each frame of a flood costs a test per packet, no more.
const factsCache = new WeakMap<PacketPath, PacketFacts>();

/**
 * A live run's packets that pass `q`, in its order: the same filter language and sort keys as the core's
 * `sessions.packets`, so a run reads the same live and saved.
 */
export function selectLocal(
  packets: readonly PacketPath[],
  q: ListQuery,
  variantOf: (p: PacketPath) => number,
  t0: number,
): readonly PacketPath[] {
  const parsed = parseDisplayFilter(q.display ?? '');
  const df = parsed.ok && !parsed.filter.empty ? parsed.filter : undefined;
  let list: readonly PacketPath[] = packets;
  const { range } = q;
  if (q.variant !== undefined || q.dropsOnly || df || range) {
    list = packets.filter((p) => {
      if (q.variant !== undefined && variantOf(p) !== q.variant) return false;
      if (q.dropsOnly && !isDropped(p)) return false;
      if (range) {
        // the core's `time` filter, on the same origin
        const t = (p.hops[0]?.ts_ns ?? t0) - t0;
        if (t < range.from_ns || t > range.to_ns) return false;
      }
      if (!df) return true;
      let f = factsCache.get(p);
      if (!f) factsCache.set(p, (f = factsOfPacket(p, variantOf(p), t0)));
      // variants are re-ranked as a live run grows, and its time origin is the run's, so these are refreshed
      f.variant = variantOf(p);
      f.time_ns = (p.hops[0]?.ts_ns ?? t0) - t0;
      return df.test(f);
    });
  }
  if (q.sort === 'time' && !q.desc) return list;
  const key = (p: PacketPath) =>
    q.sort === 'duration'
      ? (p.hops.at(-1)?.ts_ns ?? 0) - (p.hops[0]?.ts_ns ?? 0)
      : q.sort === 'hops'
        ? p.hops.length
        : 0;
  const dir = q.desc ? -1 : 1;
  const order = list.map((p, i) => ({ p, i, k: key(p) }));
  order.sort((a, b) => dir * (a.k - b.k) || (q.sort === 'time' ? dir : 1) * (a.i - b.i));
  return order.map((o) => o.p);
}
