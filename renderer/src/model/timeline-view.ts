import type { RunTimeline } from '../../../main/api/timeline.js';
import type { TimeRange } from './list-query.js';

/**
 * The timeline's viewport arithmetic, kept out of the component so it is tested without a browser: which window of
 * the run is on screen, how zoom and pan move it (never past the run's ends), where a time falls in pixels, the axis
 * ticks, and the range two markers make. Times are ns since the run's first packet, as everywhere in the list.
 */

export interface TimeWindow {
  from: number;
  to: number;
}

/** The narrowest window zoom reaches: 1 µs across a screen is already finer than a hop's Δt. */
export const MIN_SPAN_NS = 1_000;

/** The whole run: its first to its last packet start, at least MIN_SPAN_NS wide (one packet still has a width). */
export function fullWindow(t: Pick<RunTimeline, 'min_ns' | 'max_ns'>): TimeWindow {
  const span = t.max_ns - t.min_ns;
  if (span >= MIN_SPAN_NS) return { from: t.min_ns, to: t.max_ns };
  const mid = (t.min_ns + t.max_ns) / 2;
  return { from: mid - MIN_SPAN_NS / 2, to: mid + MIN_SPAN_NS / 2 };
}

/** `w` moved back inside `full` (keeping its width where it fits, else becoming `full`). */
export function clampWindow(w: TimeWindow, full: TimeWindow): TimeWindow {
  const span = Math.min(w.to - w.from, full.to - full.from);
  const from = Math.min(Math.max(w.from, full.from), full.to - span);
  return { from, to: from + span };
}

/**
 * Zoomed by `factor` (< 1 in, > 1 out) around `anchor` (0–1 across the window: the cursor or the pointer), which
 * stays where it is on screen.
 */
export function zoomWindow(w: TimeWindow, factor: number, anchor: number, full: TimeWindow): TimeWindow {
  const span = w.to - w.from;
  const fullSpan = full.to - full.from;
  const next = Math.min(fullSpan, Math.max(Math.min(MIN_SPAN_NS, fullSpan), span * factor));
  const at = w.from + anchor * span;
  return clampWindow({ from: at - anchor * next, to: at - anchor * next + next }, full);
}

/** Moved by `fraction` of its width (negative: earlier). */
export function panWindow(w: TimeWindow, fraction: number, full: TimeWindow): TimeWindow {
  const d = (w.to - w.from) * fraction;
  return clampWindow({ from: w.from + d, to: w.to + d }, full);
}

/** Whether `w` shows the whole run (then a growing live run keeps being fitted). */
export function isFull(w: TimeWindow, full: TimeWindow): boolean {
  const tol = (full.to - full.from) * 1e-9;
  return w.from <= full.from + tol && w.to >= full.to - tol;
}

/** 0–1 across the window → time, rounded to whole ns (the list's filter compares whole ns). */
export const timeAt = (w: TimeWindow, x: number): number => Math.round(w.from + x * (w.to - w.from));

/** Time → 0–1 across the window (outside it: below 0 or above 1). */
export const fractionOf = (w: TimeWindow, t: number): number => (t - w.from) / (w.to - w.from || 1);

/** The range two markers make, whichever comes first; none until both are set. */
export function markerRange(a: number | undefined, b: number | undefined): TimeRange | undefined {
  if (a === undefined || b === undefined) return undefined;
  return { from_ns: Math.min(a, b), to_ns: Math.max(a, b) };
}

/** Axis ticks: a 1-2-5 step giving about `count` ticks across the window, each at a multiple of the step. */
export function ticksOf(w: TimeWindow, count: number): { step: number; at: number[] } {
  const raw = (w.to - w.from) / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const at: number[] = [];
  for (let t = Math.ceil(w.from / step) * step; t <= w.to && at.length < 1000; t += step) at.push(t);
  return { step, at };
}

/**
 * An axis label: in the unit of the window's far end, with as many decimals as the tick step needs and no more
 * ("+2 s", "+2.5 s", "+2.00005 s"), so neighbouring ticks never read the same and none carries six useless zeros.
 */
export function formatTick(t: number, step: number, end: number): string {
  const a = Math.abs(end);
  const [unit, scale] = a >= 1e9 ? ['s', 1e9] : a >= 1e6 ? ['ms', 1e6] : a >= 1e3 ? ['µs', 1e3] : ['ns', 1];
  const decimals = Math.min(9, Math.max(0, Math.ceil(Math.log10(scale / step) - 1e-9)));
  const sign = t < 0 ? '−' : '+';
  return `${sign}${(Math.abs(t) / scale).toFixed(decimals)} ${unit}`;
}

/** How many buckets a plot this many pixels wide gets: about one per 3 px, so bars stay visible and apart. */
export const bucketsFor = (px: number): number => Math.max(20, Math.min(600, Math.floor(px / 3)));

/** The three colours of the list's verdict column: green for a packet that got where it went, red for a drop, amber
 * for one whose end is unknown or still in flight. */
export type VerdictTone = 'ok' | 'bad' | 'warn';
export const toneOf = (verdict: string): VerdictTone =>
  verdict === 'dropped'
    ? 'bad'
    : verdict === 'delivered' || verdict === 'forwarded' || verdict === 'sent'
      ? 'ok'
      : 'warn';

/** Per bucket, the counts of each tone, and the tallest bucket (the plot's scale). */
export function stackedTones(t: RunTimeline): { tones: Record<VerdictTone, number[]>; max: number } {
  const n = t.series[0]?.counts.length ?? 0;
  const tones: Record<VerdictTone, number[]> = {
    ok: new Array<number>(n).fill(0),
    bad: new Array<number>(n).fill(0),
    warn: new Array<number>(n).fill(0),
  };
  for (const s of t.series) {
    const row = tones[toneOf(s.verdict)];
    s.counts.forEach((c, i) => (row[i] = (row[i] ?? 0) + c));
  }
  let max = 0;
  for (let i = 0; i < n; i++)
    max = Math.max(max, (tones.ok[i] ?? 0) + (tones.bad[i] ?? 0) + (tones.warn[i] ?? 0));
  return { tones, max };
}

/** What a key or button does to the timeline. */
export type TimelineAction =
  | { kind: 'zoom'; factor: number }
  | { kind: 'pan'; by: number }
  | { kind: 'cursor'; by: number }
  | { kind: 'fit' }
  | { kind: 'mark'; which: 'a' | 'b' }
  | { kind: 'zoomToRange' }
  | { kind: 'clear' };

/** Keyboard steps: a pan moves a tenth of the window, a cursor step a hundredth, a zoom halves or doubles it. */
const PAN = 0.1;
const CURSOR_STEP = 0.01;

/**
 * The timeline's keys: ←/→ pan, Shift+←/→ move the cursor, + (=) and − (_) zoom, 0 fits, A and B set a marker at the
 * cursor, Z zooms to A–B, Escape clears. Keys with Ctrl, Alt or Meta are the app's (Alt+T, Ctrl+G), never these.
 */
export function timelineKey(e: {
  key: string;
  shiftKey: boolean;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
}): TimelineAction | undefined {
  if (e.altKey || e.ctrlKey || e.metaKey) return undefined;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (k === 'ArrowLeft' || k === 'ArrowRight') {
    const dir = k === 'ArrowLeft' ? -1 : 1;
    return e.shiftKey ? { kind: 'cursor', by: dir * CURSOR_STEP } : { kind: 'pan', by: dir * PAN };
  }
  if (k === '+' || k === '=') return { kind: 'zoom', factor: 0.5 };
  if (k === '-' || k === '_') return { kind: 'zoom', factor: 2 };
  if (k === '0') return { kind: 'fit' };
  if (k === 'a' || k === 'b') return { kind: 'mark', which: k };
  if (k === 'z') return { kind: 'zoomToRange' };
  if (k === 'Escape') return { kind: 'clear' };
  return undefined;
}
