import type { ApiClient } from '../api/client';
import { summarizePacket, type PacketPage, type PacketSummary } from '../../../main/api/packets';
import { MAX_LISTED_VARIANTS, type SessionRun } from '../../../main/api/sessions';
import type { PacketPath } from '../../../main/api/trace';
import { coreQuery, queryKey, selectLocal, type ListQuery } from './list-query';
import { pathVariants } from '../../../main/api/path-variants';
import type { LiveRun } from './live-run';
import { rememberedKey, type LiveVariants, type VariantInfo } from './live-variants';
import { wallClockOf, type WallClock } from './wall-clock';
import {
  bucketTimeline,
  type RunTimeline,
  type TimelinePoints,
  type TimelineWindowParsed,
} from '../../../main/api/timeline';
import { verdictKindOf } from '../../../main/api/display-filter/index';

export type { PacketSummary, VariantInfo };

/** What the path explorer shows: a run's packets, read a page and a packet at a time. */
export interface PacketSource {
  /** Changes whenever the packets do (a live run grows), so cached pages and the open packet are refetched. */
  readonly key: string;
  /** Packets in the run (unfiltered). */
  readonly total: number;
  /** The origin of the list's time column. */
  readonly t0: number;
  /** ktime → wall clock, where the run tells it. */
  readonly wall?: WallClock | undefined;
  /** Most frequent first; `variantCount` may be larger when only the top ones are listed. */
  readonly variants: readonly VariantInfo[];
  readonly variantCount: number;
  /** Local sources answer at once; saved sessions page from the core. */
  readonly pageNow?: (offset: number, limit: number, q: ListQuery) => PacketPage;
  page(offset: number, limit: number, q: ListQuery): Promise<PacketPage>;
  packet(id: number): Promise<PacketPath>;
  /** Packets over time by verdict, of those `q` lets through (its time range aside: that is what the timeline picks). */
  timeline(w: TimelineWindowParsed, q: ListQuery): Promise<RunTimeline>;
  /** Local sources count at once (a live view redraws its timeline in the render a batch causes). */
  readonly timelineNow?: (w: TimelineWindowParsed, q: ListQuery) => RunTimeline;
}

/** A saved run: metadata from `sessions.get`, pages from `sessions.packets`, hops from `sessions.packet`. */
export function sessionRunSource(client: ApiClient, sessionId: string, run: SessionRun): PacketSource {
  return {
    key: `${sessionId}:${run.id}`,
    total: run.packets,
    t0: run.firstTsNs,
    wall: wallClockOf(run),
    variants: run.variants,
    variantCount: run.variantCount,
    page: (offset, limit, q) =>
      client.call('sessions.packets', { id: sessionId, run: run.id, offset, limit, ...coreQuery(q) }),
    packet: (id) => client.call('sessions.packet', { id: sessionId, run: run.id, packet: id }),
    timeline: (w, q) =>
      client.call('sessions.timeline', {
        id: sessionId,
        run: run.id,
        ...w,
        filter: coreQuery({ ...q, range: undefined }).filter,
      }),
  };
}

// A packet's list row, kept while the packet object lives (a grown packet is a new object): a live list asks for
// each row on screen at every batch, and for most of them nothing but their variant's rank can have changed.
const summaries = new WeakMap<PacketPath, PacketSummary>();
function summaryOf(p: PacketPath, variant: number): PacketSummary {
  let s = summaries.get(p);
  if (s?.variant !== variant) summaries.set(p, (s = summarizePacket(p, variant)));
  return s;
}

/** Packets held in the page (a live or just-finished trace); `version` bumps as they arrive. */
export function localSource(
  key: string,
  packets: readonly PacketPath[],
  version: number,
  opts: {
    t0?: number | undefined;
    wall?: WallClock | undefined;
    /** A live run's variants, kept as it grows (else the packets are grouped here). */
    variants?: LiveVariants | undefined;
    /** A live run's per-packet columns (aligned with `packets`), which the timeline counts. */
    columns?: LiveRun['columns'] | undefined;
  } = {},
): PacketSource {
  const { list: all, variantOf: variantOfPacket } = opts.variants?.snapshot() ?? groupVariants(packets);
  // the most frequent, as a saved run lists them (a flood with lost events has thousands, each a row)
  const variants = all.slice(0, MAX_LISTED_VARIANTS);
  const t0 = opts.t0 ?? packets[0]?.hops[0]?.ts_ns ?? 0;
  // The selected packets of the last query asked (the list asks for one query many times, a row at a time).
  let last: { key: string; list: readonly PacketPath[] } | undefined;
  const pageNow = (offset: number, limit: number, q: ListQuery): PacketPage => {
    const k = queryKey(q);
    if (last?.key !== k) last = { key: k, list: selectLocal(packets, q, variantOfPacket, t0) };
    const rows: PacketSummary[] = [];
    for (const p of last.list.slice(offset, offset + limit)) rows.push(summaryOf(p, variantOfPacket(p)));
    return { total: last.list.length, offset, packets: rows };
  };
  const timelineNow = (w: TimelineWindowParsed, q: ListQuery): RunTimeline => {
    const list = selectLocal(
      packets,
      { ...q, range: undefined, sort: 'time', desc: false },
      variantOfPacket,
      t0,
    );
    return bucketTimeline(timelinePoints(list, list === packets ? opts.columns : undefined, t0), w);
  };
  let byId: Map<number, PacketPath> | undefined;
  return {
    key: `${key}@${version}`,
    total: packets.length,
    t0,
    wall: opts.wall,
    variants,
    variantCount: all.length,
    pageNow,
    page: (offset, limit, q) => Promise.resolve(pageNow(offset, limit, q)),
    packet: (id) => {
      byId ??= new Map(packets.map((q) => [q.id, q]));
      const p = byId.get(id);
      return p ? Promise.resolve(p) : Promise.reject(new Error(`no packet ${id}`));
    },
    timeline: (w, q) => Promise.resolve(timelineNow(w, q)),
    timelineNow,
  };
}

/** The timeline's points: from a live run's columns when `list` is its whole window, else from the packets. */
function timelinePoints(
  list: readonly PacketPath[],
  cols: LiveRun['columns'] | undefined,
  t0: number,
): TimelinePoints {
  if (cols?.firstTs.length === list.length) {
    const { firstTs, verdicts } = cols;
    return {
      count: list.length,
      time: (k) => {
        const t = firstTs[k] ?? NaN;
        return (Number.isNaN(t) ? t0 : t) - t0;
      },
      verdict: (k) => verdicts[k] ?? 'unknown',
    };
  }
  return {
    count: list.length,
    time: (k) => (list[k]?.hops[0]?.ts_ns ?? t0) - t0,
    verdict: (k) => {
      const p = list[k];
      return (p && verdictKindOf(p)) ?? 'unknown';
    },
  };
}

/** Variants of packets held in the page, grouped once (a saved or finished run's packets). */
function groupVariants(packets: readonly PacketPath[]) {
  const found = pathVariants(packets, rememberedKey);
  // built when first asked
  let variantOf: Map<number, number> | undefined;
  const list: VariantInfo[] = found.map((v) => ({ ...v, dropped: v.dropped ?? 0 }));
  const variantOfPacket = (p: PacketPath) => {
    if (!variantOf) {
      variantOf = new Map();
      for (let i = 0; i < found.length; i++)
        for (const id of found[i]?.packet_ids ?? []) variantOf.set(id, i);
    }
    return variantOf.get(p.id) ?? 0;
  };
  return { list, variantOf: variantOfPacket };
}

/** A hop's Δt from the previous hop of the same packet (0 for the first). */
export function hopDeltas(p: PacketPath): number[] {
  return p.hops.map((h, i) => h.ts_ns - (p.hops[i - 1]?.ts_ns ?? h.ts_ns));
}
