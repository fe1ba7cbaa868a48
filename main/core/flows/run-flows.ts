import type { Flow } from '../../api/flows.js';
import type { PacketPath, RunEvent } from '../../api/trace.js';
import { helloSentMs, hostClock, type HostClock } from './clock-offset.js';
import { segmentFacts, type SegmentFacts } from './segment-facts.js';
import { stitchFlows } from './stitch-flows.js';

/** One host's run as stitching reads it: its records (clocks) and its packets with their captured bytes. */
export interface FlowRun {
  host: string;
  events: readonly RunEvent[];
  packets: Iterable<PacketPath>;
  /** When the run started and ended on this client's clock (ISO), for "was it still tracing then?". */
  startedAt?: string;
  endedAt?: string;
}

/**
 * The flows of a multi-host trace, in time order. Each run's packets are read once and kept only as their small
 * facts, so runs read from files stream.
 */
export function flowsOfRuns(runs: readonly FlowRun[]): Flow[] {
  const base = Math.min(...runs.map((r) => helloSentMs(r.events) ?? Infinity));
  const clocks = new Map<string, HostClock>();
  const segments: SegmentFacts[] = [];
  for (const run of runs) {
    const clock = hostClock(run.events, Number.isFinite(base) ? base : 0);
    let lastFirst = -Infinity;
    for (const p of run.packets) {
      const s = segmentFacts(run.host, p);
      if (s) segments.push(s);
      if (s && s.first > lastFirst) lastFirst = s.first;
    }
    clocks.set(run.host, { ...clock, ...tracedWindow(run, clock, base, lastFirst) });
  }
  return stitchFlows(
    segments,
    clocks,
    runs.map((r) => r.host),
  );
}

/**
 * When the host's run was matching packets, on its own clock: from the attach to the end, or — when it stopped at
 * its packet limit, after which nothing new matches — to its last packet's start.
 */
function tracedWindow(run: FlowRun, clock: HostClock, baseMs: number, lastFirst: number): Partial<HostClock> {
  if (!clock.bias || !run.startedAt) return {};
  const mid = (clock.bias.lo + clock.bias.hi) / 2;
  const mono = (ms: number) => (ms - baseMs) * 1e6 + mid;
  const attached = run.events.find((e) => e.kind === 'attached');
  const done = run.events.find((e) => e.kind === 'done');
  const start = Date.parse(run.startedAt);
  return {
    ...(attached ? { tracedFrom: mono(start + attached.t_ms) } : {}),
    ...(done?.data?.reason === 'packets' && Number.isFinite(lastFirst)
      ? { tracedUntil: lastFirst }
      : run.endedAt
        ? { tracedUntil: mono(Date.parse(run.endedAt)) }
        : {}),
  };
}
