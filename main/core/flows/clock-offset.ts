import type { RunEvent } from '../../api/trace.js';
import type { ClockSample } from '../trace/clock-sample.js';

/** An interval a clock offset is known to lie in (ns); either end may be unbounded. */
export interface Interval {
  lo: number;
  hi: number;
}

/** What one host's run says about its clock (from the loader's `hello` record). */
export interface HostClock {
  /** The host's CLOCK_MONOTONIC minus this client's wall clock (ns), known to lie in this interval: the host read
   * its clock after the config was sent and before its `hello` arrived (one SSH round trip plus the loader's
   * start), and read its wall clock within the tightest `clock-sample` round trip. Relative to `base`. */
  bias?: Interval;
  /** The host's CLOCK_REALTIME minus its CLOCK_MONOTONIC (ns), to print its hop times as wall time. */
  wallMinusMono?: number;
  /** When its run matched packets, on its own clock (ns): a packet outside it could not have been seen there. */
  tracedFrom?: number;
  tracedUntil?: number;
}

/**
 * Each host's clock facts from its run's records. `baseMs` (any client time near the runs, the same for all
 * hosts) keeps the numbers small enough for exact float arithmetic.
 */
export function hostClock(events: readonly RunEvent[], baseMs: number): HostClock {
  const hello = events.find((e) => e.kind === 'hello')?.data;
  const clock = hello?.clock as { monotonicNs?: unknown; realtimeNs?: unknown } | undefined;
  const client = hello?.client as { sentMs?: unknown; receivedMs?: unknown } | undefined;
  const out: HostClock = {};
  const mono = typeof clock?.monotonicNs === 'number' ? clock.monotonicNs : undefined;
  if (mono === undefined) return out;
  if (typeof clock?.realtimeNs === 'number') out.wallMinusMono = clock.realtimeNs - mono;
  const bounds: Interval[] = [];
  if (typeof client?.sentMs === 'number' && typeof client.receivedMs === 'number' && client.sentMs > 0)
    bounds.push({ lo: mono - (client.receivedMs - baseMs) * 1e6, hi: mono - (client.sentMs - baseMs) * 1e6 });
  // a later wall-clock reading over SSH, turned monotonic with the hello's pairing (no clock step in between)
  const sample = events.find((e) => e.kind === 'clock-sample')?.data as Partial<ClockSample> | undefined;
  if (sample?.realtimeUs && sample.sentMs && sample.receivedMs && typeof clock?.realtimeNs === 'number') {
    const monoAt = sample.realtimeUs * 1e3 - clock.realtimeNs + mono;
    bounds.push({
      lo: monoAt - (sample.receivedMs - baseMs) * 1e6,
      hi: monoAt - (sample.sentMs - baseMs) * 1e6,
    });
  }
  if (bounds.length) {
    const lo = Math.max(...bounds.map((b) => b.lo));
    const hi = Math.min(...bounds.map((b) => b.hi));
    // readings that disagree (a clock stepped): keep the tighter one rather than an empty interval
    out.bias = lo <= hi ? { lo, hi } : bounds.reduce((a, b) => (b.hi - b.lo < a.hi - a.lo ? b : a));
  }
  return out;
}

/** The client-time hint of a run's `hello`, for `baseMs`. */
export function helloSentMs(events: readonly RunEvent[]): number | undefined {
  const client = events.find((e) => e.kind === 'hello')?.data?.client as { sentMs?: unknown } | undefined;
  return typeof client?.sentMs === 'number' && client.sentMs > 0 ? client.sentMs : undefined;
}

const UNBOUNDED: Interval = { lo: -Infinity, hi: Infinity };

/**
 * Offsets between host clocks (θ = Y's clock − X's clock at one instant), each an interval narrowed by
 *  - the SSH round trip: θ ∈ [lo_Y − hi_X, hi_Y − lo_X] from the two hosts' `bias`;
 *  - every stitched packet that went from X to Y: it reached Y after it left X, so θ ≤ first_Y − last_X;
 *    and from Y to X: θ ≥ last_Y − first_X.
 * With packets both ways (a ping and its reply) the interval shrinks to about the wire time.
 */
export class ClockOffsets {
  private readonly upper = new Map<string, number>();

  constructor(private readonly clocks: ReadonlyMap<string, HostClock>) {}

  /** A packet left `x` at its clock's `lastX` and was next seen on `y` at `firstY` (y's clock). */
  addCrossing(x: string, lastX: number, y: string, firstY: number): void {
    const k = `${x}\n${y}`;
    this.upper.set(k, Math.min(this.upper.get(k) ?? Infinity, firstY - lastX));
  }

  /** θ(x→y): y's clock minus x's, as an interval. */
  interval(x: string, y: string): Interval {
    if (x === y) return { lo: 0, hi: 0 };
    const bx = this.clocks.get(x)?.bias;
    const by = this.clocks.get(y)?.bias;
    const prior = bx && by ? { lo: by.lo - bx.hi, hi: by.hi - bx.lo } : UNBOUNDED;
    const matches = {
      lo: -(this.upper.get(`${y}\n${x}`) ?? Infinity),
      hi: this.upper.get(`${x}\n${y}`) ?? Infinity,
    };
    const both = { lo: Math.max(prior.lo, matches.lo), hi: Math.min(prior.hi, matches.hi) };
    // Disagreeing bounds mean a wrong match or a stepped clock: trust the packets over the round trip.
    if (both.lo <= both.hi) return both;
    return matches.lo <= matches.hi ? matches : prior;
  }

  /** θ(x→y) as an estimate (the interval's middle) and its half-width; null when a side is unbounded. */
  estimate(x: string, y: string): { offset: number; uncertainty: number | null } {
    const { lo, hi } = this.interval(x, y);
    if (Number.isFinite(lo) && Number.isFinite(hi))
      return { offset: Math.round((lo + hi) / 2), uncertainty: Math.round((hi - lo) / 2) };
    if (Number.isFinite(hi)) return { offset: Math.round(hi), uncertainty: null };
    if (Number.isFinite(lo)) return { offset: Math.round(lo), uncertainty: null };
    return { offset: 0, uncertainty: null };
  }
}
