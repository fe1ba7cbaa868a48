import type { RunEvent } from '../../../main/api/trace';

/** ktime (CLOCK_MONOTONIC ns) → wall clock for one run. */
export interface WallClock {
  /** Unix µs at ktime 0 (a whole number: µs since 1970 stay exact in a double, ns would not). */
  offsetUs: number;
  /** Not from the loader's paired clock reading: "the first hop happened at startedAt", off by the attach time. */
  approx: boolean;
}

/**
 * The loader's hello pairs one reading of both clocks (docs/LOADER.md); runs from a loader without it fall back to
 * startedAt for the first hop, marked approximate (as the pcapng export does, main/core/sessions/pcapng-export.ts).
 */
export function wallClockOf(run: {
  events: readonly RunEvent[];
  startedAt: string;
  firstTsNs: number;
}): WallClock | undefined {
  const clock = run.events.find((e) => e.kind === 'hello')?.data?.clock as
    { monotonicNs?: unknown; realtimeNs?: unknown } | undefined;
  if (typeof clock?.monotonicNs === 'number' && typeof clock.realtimeNs === 'number')
    return { offsetUs: Math.round((clock.realtimeNs - clock.monotonicNs) / 1e3), approx: false };
  const started = Date.parse(run.startedAt);
  if (!Number.isFinite(started)) return undefined;
  return { offsetUs: Math.round(started * 1e3 - run.firstTsNs / 1e3), approx: true };
}

const two = (n: number) => String(n).padStart(2, '0');

/** `14:03:07.123456` in local time (µs: hops are µs apart), `≈` first when approximate. */
export function formatWall(tsNs: number, wall: WallClock | undefined): string {
  if (!wall) return '—';
  const us = wall.offsetUs + Math.round(tsNs / 1e3);
  const d = new Date(Math.floor(us / 1e3));
  const frac = String(((us % 1e6) + 1e6) % 1e6).padStart(6, '0');
  return `${wall.approx ? '≈' : ''}${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${frac}`;
}

/** The date and time zone the wall clock column's times are in, for its header's tooltip. */
export function wallDate(tsNs: number, wall: WallClock | undefined): string {
  if (!wall) return 'no wall clock for this run';
  const d = new Date((wall.offsetUs + tsNs / 1e3) / 1e3);
  return `${d.toDateString()}, ${Intl.DateTimeFormat().resolvedOptions().timeZone}${wall.approx ? ' (approximate: this run has no clock reading from its loader)' : ''}`;
}
