import { z } from 'zod';
import { VerdictKindSchema } from './explain.js';

/**
 * Stitched flows (issue 11): one packet seen on several hosts of a multi-host trace, its per-host packets
 * ("segments") joined on header fields that survive the wire and NAT, in path order. Snake_case like the rest of
 * `trace --json`.
 */

/** One host's sight of the packet: a packet of that host's run. */
export const FlowSegmentSchema = z.object({
  host: z.string(),
  packet_id: z.int().nonnegative(),
  /** The host's own ktime (ns), as its hops carry it. */
  first_ts_ns: z.number().nonnegative(),
  last_ts_ns: z.number().nonnegative(),
  /** The packet's verdict on this host, when the run has verdicts. */
  verdict: VerdictKindSchema.nullable(),
  /** This host's clock minus the flow's first host's (ns): add it to the first host's times to compare. */
  clock_offset_ns: z.number(),
  /** Time from the previous segment's transmit hop (else last hop) to this one's first hop, on the first host's clock (the wire, plus the
   * driver/qdisc stretches no probe sees); absent on the first segment. */
  gap_ns: z.number().optional(),
});
export type FlowSegment = z.infer<typeof FlowSegmentSchema>;

export const FlowSchema = z.object({
  segments: z.array(FlowSegmentSchema).min(1),
  /** Header fields that differ between segments (NAT): `saddr`, `daddr`, `sport`, `dport`, `icmp_id`. */
  changed_fields: z.array(z.string()),
  /** Last segment's host clock minus the first's (ns); 0 for a one-host flow. */
  clock_offset_ns: z.number(),
  /** Half-width of the interval the offset is known to lie in (ns); null when it is bounded on one side only. */
  uncertainty_ns: z.number().nonnegative().nullable(),
  /** What became of it, in one line: "left vm61 on l-vm612 at …, not seen on vm612 (…)". */
  headline: z.string(),
  /** What the segments were matched on, e.g. `icmp id/seq + IP ID`; absent for a one-host flow. */
  matched_on: z.string().optional(),
});
export type Flow = z.infer<typeof FlowSchema>;
