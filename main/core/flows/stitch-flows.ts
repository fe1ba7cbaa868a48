import type { Flow, FlowSegment } from '../../api/flows.js';
import { ClockOffsets, type HostClock } from './clock-offset.js';
import { flowFate, flowHeadline, type AddressOwners, type HeadlineContext } from './flow-headline.js';
import { NAT_FIELDS, natFields } from './packet-headers.js';
import type { SegmentFacts } from './segment-facts.js';

/**
 * Stitches the packets of a multi-host trace into flows: the packets with the same invariant key (packet-headers)
 * on different hosts are one packet seen along its path. Pure: runs in, flows out.
 *
 * `hosts` is the trace's host list (the first is the reference clock for ordering flows); `clocks` each host's
 * clock facts from its run.
 */
export function stitchFlows(
  segments: readonly SegmentFacts[],
  clocks: ReadonlyMap<string, HostClock>,
  hosts: readonly string[],
): Flow[] {
  const prior = new ClockOffsets(clocks);
  const ref = hosts[0] ?? segments[0]?.host ?? '';
  const groups = groupByKey(segments).map((g) => pathOrder(g, prior, ref));
  const offsets = new ClockOffsets(clocks);
  for (const g of groups)
    for (let i = 0; i < g.length; i++)
      for (let j = i + 1; j < g.length; j++) {
        const [a, b] = [g[i] as SegmentFacts, g[j] as SegmentFacts];
        if (a.host !== b.host) offsets.addCrossing(a.host, exitOf(a), b.host, b.first);
      }
  const owners = addressOwners(segments);
  const at = (g: SegmentFacts[]) => {
    const s = g[0] as SegmentFacts;
    return s.first - offsets.estimate(ref, s.host).offset;
  };
  return groups
    .map((g) => ({ g, t: at(g) }))
    .sort((a, b) => a.t - b.t)
    .map(({ g }) => toFlow(g, offsets, { owners, hosts, clocks }));
}

/**
 * When the packet left a host: its transmit hop. Not its last hop: a driver frees a sent skb when it next cleans
 * its TX ring, which can be after the packet reached the next host.
 */
const exitOf = (s: SegmentFacts) => s.left?.ts ?? s.last;

/** Same key, different hosts: one flow per k-th sighting on each host; unkeyed packets stay alone. */
function groupByKey(segments: readonly SegmentFacts[]): SegmentFacts[][] {
  const byKey = new Map<string, Map<string, SegmentFacts[]>>();
  const out: SegmentFacts[][] = [];
  for (const s of segments) {
    if (!s.key) {
      out.push([s]);
      continue;
    }
    let hostsOf = byKey.get(s.key.key);
    if (!hostsOf) byKey.set(s.key.key, (hostsOf = new Map()));
    const list = hostsOf.get(s.host);
    if (list) list.push(s);
    else hostsOf.set(s.host, [s]);
  }
  for (const hostsOf of byKey.values()) {
    const lists = [...hostsOf.values()].map((l) => l.sort((a, b) => a.first - b.first));
    const n = Math.max(...lists.map((l) => l.length));
    for (let k = 0; k < n; k++) out.push(lists.flatMap((l) => l.slice(k, k + 1)));
  }
  return out;
}

/**
 * Path order: every router on the way lowers the TTL, so a higher TTL came first; at equal TTL (one link, or a
 * bridge) the host that made the packet precedes the one that received it; then the round-trip clock estimate.
 */
function pathOrder(g: SegmentFacts[], prior: ClockOffsets, ref: string): SegmentFacts[] {
  const t = (s: SegmentFacts) => s.first - prior.estimate(ref, s.host).offset;
  return g.sort(
    (a, b) =>
      (b.headers[0]?.ttl ?? 0) - (a.headers[0]?.ttl ?? 0) ||
      Number(b.originated) - Number(a.originated) ||
      t(a) - t(b),
  );
}

/** Which traced host an address belongs to, as the packets show: it sent from it or received for it. */
function addressOwners(segments: readonly SegmentFacts[]): AddressOwners {
  const owners: AddressOwners = new Map();
  const own = (addr: string | undefined, host: string) => {
    if (!addr) return;
    const set = owners.get(addr) ?? new Set<string>();
    owners.set(addr, set.add(host));
  };
  for (const s of segments) {
    if (s.originated) own(s.headers[0]?.saddr, s.host);
    if (s.verdict === 'delivered' || (!s.verdict && !s.left && !s.dropped && !s.originated))
      own(s.headers.at(-1)?.daddr, s.host);
  }
  return owners;
}

function changedFields(g: readonly SegmentFacts[]): string[] {
  const all = g.flatMap((s) => s.headers.map(natFields));
  return NAT_FIELDS.filter((f) => new Set(all.map((h) => h[f]).filter((v) => v !== undefined)).size > 1);
}

function toFlow(g: SegmentFacts[], offsets: ClockOffsets, ctx: Omit<HeadlineContext, 'offsets'>): Flow {
  const first = g[0] as SegmentFacts;
  const last = g.at(-1) as SegmentFacts;
  // Each segment's clock offset to the first host, chained through its neighbours: two adjacent hosts' offset is
  // bounded by the packets that crossed between them both ways (about a wire time), while hosts that never
  // exchanged a frame (vm61 and vm612 across a router) are related only by SSH round trips — milliseconds, which
  // put segments in the wrong order. Chaining makes every gap the neighbours' own bound.
  const off: number[] = [];
  for (const [i, s] of g.entries())
    off.push(
      i === 0 ? 0 : (off[i - 1] ?? 0) + offsets.estimate((g[i - 1] as SegmentFacts).host, s.host).offset,
    );
  const segments: FlowSegment[] = g.map((s, i) => ({
    host: s.host,
    packet_id: s.packetId,
    first_ts_ns: s.first,
    last_ts_ns: s.last,
    verdict: s.verdict,
    clock_offset_ns: off[i] ?? 0,
    ...(i > 0
      ? { gap_ns: s.first - (off[i] ?? 0) - (exitOf(g[i - 1] as SegmentFacts) - (off[i - 1] ?? 0)) }
      : {}),
  }));
  const total =
    first.host === last.host ? { offset: 0, uncertainty: 0 } : offsets.estimate(first.host, last.host);
  return {
    segments,
    changed_fields: changedFields(g),
    clock_offset_ns: total.offset,
    uncertainty_ns: total.uncertainty,
    headline: flowHeadline(g, { ...ctx, offsets }),
    ...(g.length > 1 && first.key ? { matched_on: first.key.on } : {}),
    fate: flowFate(g, { ...ctx, offsets }),
  };
}
