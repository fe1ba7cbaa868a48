import { z } from 'zod';
import { VerdictKindSchema, type VerdictKind } from './explain.js';

/**
 * A run's timeline (`sessions.timeline`, docs/API.md): how many packets started in each slice of a time window, per
 * verdict kind. The packet list draws it above the packets so a 100k-packet run's bursts and drops are seen without
 * loading it: a few hundred buckets cross the wire, never the packets. Times are ns since the run's first packet's
 * first hop — the origin of the list's time column and the display filter's `time` — so a range read off the
 * timeline is a range of the list.
 */

/** More buckets than a screen has pixels buys nothing. */
export const MAX_TIMELINE_BUCKETS = 2000;

export const TimelineWindowSchema = z.object({
  /** How many equal slices the window is cut into. */
  buckets: z.int().min(1).max(MAX_TIMELINE_BUCKETS).default(200),
  /** The window (ns since the run's first packet); either end left out = the run's own. */
  from_ns: z.number().optional(),
  to_ns: z.number().optional(),
});
export type TimelineWindow = z.input<typeof TimelineWindowSchema>;
/** A window with its defaults applied (what the core receives). */
export type TimelineWindowParsed = z.output<typeof TimelineWindowSchema>;

export const RunTimelineSchema = z.object({
  /** Packets the timeline counts (the whole run, or those passing the query's filter). */
  packets: z.int().nonnegative(),
  /** The earliest and latest packet start (ns since the run's first packet): the run's extent. */
  min_ns: z.number(),
  max_ns: z.number(),
  /** The window the buckets cut, and each bucket's width: bucket i is [from + i·w, from + (i+1)·w), the last one
   * closed at `to_ns`. */
  from_ns: z.number(),
  to_ns: z.number(),
  bucket_ns: z.number().positive(),
  /** One series per verdict kind present in the window, each with one count per bucket. */
  series: z.array(z.object({ verdict: VerdictKindSchema, counts: z.array(z.int().nonnegative()) })),
});
export type RunTimeline = z.infer<typeof RunTimelineSchema>;

/** The packets to count, read by position: no array of objects is built for a 100k-packet run. */
export interface TimelinePoints {
  count: number;
  /** The packet's start, ns since the run's first packet. */
  time(k: number): number;
  verdict(k: number): VerdictKind;
}

const KINDS = VerdictKindSchema.options;

/** The earliest and latest start of `pts` (0, 0 for none); capture order is not start order, so every packet is read. */
function extentOf(pts: TimelinePoints): { min: number; max: number } {
  if (!pts.count) return { min: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (let k = 0; k < pts.count; k++) {
    const t = pts.time(k);
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return { min, max };
}

/**
 * Counts `pts` into `w.buckets` slices of the window, per verdict kind. One pass for the extent, one for the counts:
 * the same function serves the core (a run file's index columns) and the page (a live run's packets), so a run's
 * timeline reads the same live and saved.
 */
export function bucketTimeline(pts: TimelinePoints, w: TimelineWindowParsed): RunTimeline {
  const { min, max } = extentOf(pts);
  const from = w.from_ns ?? min;
  // a window of one instant (one packet, or zoomed to nothing) still has a width, so every bucket is defined
  const to = Math.max(w.to_ns ?? max, from + w.buckets);
  const width = (to - from) / w.buckets;
  const counts = KINDS.map(() => new Array<number>(w.buckets).fill(0));
  for (let k = 0; k < pts.count; k++) {
    const t = pts.time(k);
    if (t < from || t > to) continue;
    const b = Math.min(w.buckets - 1, Math.floor((t - from) / width));
    const row = counts[KINDS.indexOf(pts.verdict(k))];
    if (row) row[b] = (row[b] ?? 0) + 1;
  }
  const series = KINDS.flatMap((verdict, i) => {
    const c = counts[i] ?? [];
    return c.some((n) => n > 0) ? [{ verdict, counts: c }] : [];
  });
  return { packets: pts.count, min_ns: min, max_ns: max, from_ns: from, to_ns: to, bucket_ns: width, series };
}
