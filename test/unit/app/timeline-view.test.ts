import { describe, expect, it } from 'vitest';
import type { RunTimeline } from '../../../main/api/timeline.js';
import {
  bucketsFor,
  clampWindow,
  formatTick,
  fractionOf,
  fullWindow,
  isFull,
  markerRange,
  MIN_SPAN_NS,
  panWindow,
  stackedTones,
  ticksOf,
  timeAt,
  timelineKey,
  toneOf,
  zoomWindow,
} from '../../../renderer/src/model/timeline-view.js';

// The timeline's viewport arithmetic (renderer/src/model/timeline-view.ts): zoom keeps the anchor in place and never
// passes the run's ends or 1 µs, pan stops at the ends, markers make a range either way round, ticks land on
// 1-2-5 steps, and verdicts take the list's colours (red only for drops).

const FULL = { from: 0, to: 1_000_000 };

describe('timeline viewport', () => {
  it('zooms around the anchor, which stays put on screen', () => {
    const w = zoomWindow(FULL, 0.5, 0.25, FULL);
    expect(w.to - w.from).toBe(500_000);
    expect(fractionOf(w, 250_000)).toBeCloseTo(0.25);
    // zooming in at the right end keeps the window inside the run
    const right = zoomWindow(FULL, 0.1, 1, FULL);
    expect(right).toEqual({ from: 900_000, to: 1_000_000 });
  });

  it('never zooms past the whole run nor below 1 µs', () => {
    expect(zoomWindow({ from: 100, to: 600_100 }, 4, 0.5, FULL)).toEqual(FULL);
    let w = FULL;
    for (let i = 0; i < 40; i++) w = zoomWindow(w, 0.5, 0.5, FULL);
    expect(w.to - w.from).toBe(MIN_SPAN_NS);
    expect(w.from).toBeGreaterThanOrEqual(0);
  });

  it('pans by a fraction of the window and stops at the run’s ends', () => {
    const half = { from: 250_000, to: 750_000 };
    expect(panWindow(half, 0.1, FULL)).toEqual({ from: 300_000, to: 800_000 });
    expect(panWindow(half, -5, FULL)).toEqual({ from: 0, to: 500_000 });
    expect(panWindow(half, 5, FULL)).toEqual({ from: 500_000, to: 1_000_000 });
    expect(clampWindow({ from: -10, to: 2_000_000 }, FULL)).toEqual(FULL);
  });

  it('gives one instant a width, and knows when the whole run is shown', () => {
    expect(fullWindow({ min_ns: 5000, max_ns: 5000 })).toEqual({ from: 4500, to: 5500 });
    expect(fullWindow({ min_ns: -20, max_ns: 90_000 })).toEqual({ from: -20, to: 90_000 });
    expect(isFull(FULL, FULL)).toBe(true);
    expect(isFull({ from: 1, to: 1_000_000 }, FULL)).toBe(false);
  });

  it('maps positions to whole ns and markers to a range in either order', () => {
    expect(timeAt({ from: 0, to: 3 }, 0.5)).toBe(2);
    expect(markerRange(700, 200)).toEqual({ from_ns: 200, to_ns: 700 });
    expect(markerRange(700, undefined)).toBeUndefined();
  });

  it('puts ticks on 1-2-5 multiples inside the window', () => {
    const { step, at } = ticksOf({ from: 130, to: 10_130 }, 5);
    expect(step).toBe(2000);
    expect(at).toEqual([2000, 4000, 6000, 8000, 10_000]);
    expect(ticksOf({ from: 0, to: 7e9 }, 7).step).toBe(1e9);
  });

  it('labels ticks in the window’s unit with the decimals the step needs', () => {
    expect(formatTick(2e9, 1e9, 6e9)).toBe('+2 s');
    expect(formatTick(2.5e9, 5e8, 6e9)).toBe('+2.5 s');
    expect(formatTick(2_000_050_000, 50_000, 3e9)).toBe('+2.00005 s');
    expect(formatTick(1_500, 500, 9_000)).toBe('+1.5 µs');
    expect(formatTick(0, 200, 900)).toBe('+0 ns');
  });

  it('sizes buckets to the plot', () => {
    expect(bucketsFor(900)).toBe(300);
    expect(bucketsFor(10)).toBe(20);
    expect(bucketsFor(10_000)).toBe(600);
  });
});

describe('timeline colours', () => {
  it('colours as the list does: red only for drops', () => {
    expect(['delivered', 'forwarded', 'sent'].map(toneOf)).toEqual(['ok', 'ok', 'ok']);
    expect(toneOf('dropped')).toBe('bad');
    expect(['in-flight', 'unknown'].map(toneOf)).toEqual(['warn', 'warn']);
  });

  it('stacks series by colour and finds the tallest bucket', () => {
    const t: RunTimeline = {
      packets: 9,
      min_ns: 0,
      max_ns: 10,
      from_ns: 0,
      to_ns: 10,
      bucket_ns: 5,
      series: [
        { verdict: 'delivered', counts: [1, 2] },
        { verdict: 'forwarded', counts: [0, 3] },
        { verdict: 'dropped', counts: [2, 0] },
        { verdict: 'unknown', counts: [0, 1] },
      ],
    };
    const { tones, max } = stackedTones(t);
    expect(tones).toEqual({ ok: [1, 5], bad: [2, 0], warn: [0, 1] });
    expect(max).toBe(6);
  });
});

describe('timeline keys', () => {
  const key = (k: string, mods: Partial<{ shiftKey: boolean; altKey: boolean; ctrlKey: boolean }> = {}) =>
    timelineKey({ key: k, shiftKey: false, altKey: false, ctrlKey: false, metaKey: false, ...mods });

  it('pans with the arrows, moves the cursor with Shift, zooms with + and −', () => {
    expect(key('ArrowLeft')).toEqual({ kind: 'pan', by: -0.1 });
    expect(key('ArrowRight', { shiftKey: true })).toEqual({ kind: 'cursor', by: 0.01 });
    expect(key('+')).toEqual({ kind: 'zoom', factor: 0.5 });
    expect(key('=')).toEqual({ kind: 'zoom', factor: 0.5 });
    expect(key('-')).toEqual({ kind: 'zoom', factor: 2 });
    expect(key('0')).toEqual({ kind: 'fit' });
  });

  it('sets markers, zooms to them, clears; leaves the app its modified keys', () => {
    expect(key('A', { shiftKey: true })).toEqual({ kind: 'mark', which: 'a' });
    expect(key('b')).toEqual({ kind: 'mark', which: 'b' });
    expect(key('z')).toEqual({ kind: 'zoomToRange' });
    expect(key('Escape')).toEqual({ kind: 'clear' });
    expect(key('t', { altKey: true })).toBeUndefined();
    expect(key('g', { ctrlKey: true })).toBeUndefined();
    expect(key('d')).toBeUndefined();
  });
});
