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
    clocks.set(run.host, hostClock(run.events, Number.isFinite(base) ? base : 0));
    for (const p of run.packets) {
      const s = segmentFacts(run.host, p);
      if (s) segments.push(s);
    }
  }
  return stitchFlows(
    segments,
    clocks,
    runs.map((r) => r.host),
  );
}
