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

/**
 * What became of the packet at the flow's end, for faces that mark it (the headline says it in words): `dropped` on
 * its last host; `lost` — it left its last host for a traced host that never saw it (the wire, or before that host's
 * first probe); `unseen` — it left for a traced host whose trace was not running then; `left` — it left for a host
 * nobody traced; `delivered` to a socket; `ended` otherwise (where its path ended is in the headline).
 */
export const FlowFateSchema = z.enum(['dropped', 'lost', 'unseen', 'left', 'delivered', 'ended']);
export type FlowFate = z.infer<typeof FlowFateSchema>;

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
  fate: FlowFateSchema.optional(),
});
export type Flow = z.infer<typeof FlowSchema>;

/** Flows `sessions.flows` returns at most (a flood of packets stitches into as many flows; the rest are counted). */
export const MAX_SESSION_FLOWS = 5000;

/**
 * Hosts that took the same path (the fleet summary): one group per distinct dominant path variant of the hosts'
 * runs — their most frequent complete path with its outcome, the identity of main/api/path-variants.ts.
 */
export const FleetGroupSchema = z.object({
  functions: z.array(z.string()),
  verdict: VerdictKindSchema.optional(),
  drop_reason: z.string().optional(),
  /** Each run in the group: its host, id, how many of its packets took the path and the first that did. */
  runs: z
    .array(
      z.object({
        host: z.string(),
        run: z.string().min(1),
        count: z.int().positive(),
        packet: z.int().nonnegative(),
      }),
    )
    .min(1),
});
export type FleetGroup = z.infer<typeof FleetGroupSchema>;

/** A saved multi-host trace as flows: the runs stitched, in time order, and its hosts grouped by path. */
export const SessionFlowsSchema = z.object({
  /** The group of runs started together that was stitched; null when the session's runs had none. */
  group: z.string().nullable(),
  /** The runs stitched, one per host: a segment's `host` names its run here. */
  runs: z.array(z.object({ host: z.string(), run: z.string().min(1), packets: z.int().nonnegative() })),
  /** Flows in all; `flows` holds the first `limit` of them in time order. */
  total: z.int().nonnegative(),
  flows: z.array(FlowSchema),
  /** Largest group first (most hosts). */
  fleet: z.array(FleetGroupSchema),
});
export type SessionFlows = z.infer<typeof SessionFlowsSchema>;
