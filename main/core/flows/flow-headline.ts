import type { FlowFate } from '../../api/flows.js';
import type { ClockOffsets, HostClock } from './clock-offset.js';
import type { SegmentFacts } from './segment-facts.js';

/** Address → the traced hosts it belongs to (as the packets show). */
export type AddressOwners = Map<string, Set<string>>;

/** A host's ktime as its wall-clock time of day (UTC, µs), or as ktime when the run has no clock pairing. */
export function wallTime(ts: number, clock: HostClock | undefined): string {
  if (clock?.wallMinusMono === undefined) return `ktime ${(ts / 1e9).toFixed(6)} s`;
  const ns = ts + clock.wallMinusMono;
  const iso = new Date(Math.floor(ns / 1e6)).toISOString().slice(11, 23);
  return `${iso}${String(Math.floor((ns % 1e6) / 1e3)).padStart(3, '0')} UTC`;
}

export interface HeadlineContext {
  owners: AddressOwners;
  hosts: readonly string[];
  clocks: ReadonlyMap<string, HostClock>;
  offsets: ClockOffsets;
}

/** The hosts a packet that left the flow's last host should have reached next and did not. */
function missedHosts(g: readonly SegmentFacts[], ctx: HeadlineContext): string[] {
  const seen = new Set(g.map((s) => s.host));
  const daddr = g.at(-1)?.headers.at(-1)?.daddr;
  const owner = [...((daddr && ctx.owners.get(daddr)) || [])].filter((h) => !seen.has(h));
  return owner.length ? owner : ctx.hosts.filter((h) => !seen.has(h));
}

/** Why `host` could not have seen a packet that left `from` at `ts` (its clock): its run was not matching then. */
function notTracing(host: string, from: string, ts: number, ctx: HeadlineContext): string | undefined {
  const c = ctx.clocks.get(host);
  const { offset, uncertainty } = ctx.offsets.estimate(from, host);
  const there = ts + offset;
  const margin = uncertainty ?? 0;
  if (c?.tracedUntil !== undefined && there - margin > c.tracedUntil)
    return `${host}'s trace had already stopped`;
  if (c?.tracedFrom !== undefined && there + margin < c.tracedFrom)
    return `${host}'s trace had not started yet`;
  return undefined;
}

/**
 * The flow in one line, the lost packet first: "left vm61 on l-vm612 at 10:41:02.123456 UTC, not seen on vm612
 * (lost on the wire or before the first probe on vm612)"; "dropped on vm612 at nft_do_chain (NETFILTER_DROP)";
 * "vm61 → vm612: delivered".
 */
export function flowHeadline(g: readonly SegmentFacts[], ctx: HeadlineContext): string {
  const last = g.at(-1) as SegmentFacts;
  const path = g.map((s) => s.host).join(' → ');
  if (last.dropped) {
    const why = last.dropped.reason ? ` (${last.dropped.reason})` : '';
    return `${g.length > 1 ? `${path}: ` : ''}dropped on ${last.host} at ${last.dropped.function}${why}`;
  }
  if (last.left) {
    const left = `left ${last.host} on ${last.left.ifname} at ${wallTime(last.left.ts, ctx.clocks.get(last.host))}`;
    const missed = missedHosts(g, ctx);
    const via = g.length > 1 ? ` (after ${path})` : '';
    if (!missed.length) return `${left}${via}`;
    const names = missed.join(' or ');
    const why = missed.map((h) => notTracing(h, last.host, last.left?.ts ?? last.last, ctx));
    if (why.every((w) => w)) return `${left}${via}, not seen on ${names} (${why.join('; ')})`;
    return `${left}${via}, not seen on ${names} (lost on the wire or before the first probe on ${names})`;
  }
  // without a verdict, say where its path ended rather than guess what that means
  return `${path}: ${last.verdict ?? `last seen on ${last.host} at ${last.lastFunction}`}`;
}

/** The flow's end as a kind, by the same reading as its headline (faces mark a lost packet by it). */
export function flowFate(g: readonly SegmentFacts[], ctx: HeadlineContext): FlowFate {
  const last = g.at(-1) as SegmentFacts;
  if (last.dropped) return 'dropped';
  if (last.left) {
    const missed = missedHosts(g, ctx);
    if (!missed.length) return 'left';
    const ts = last.left.ts;
    return missed.every((h) => notTracing(h, last.host, ts, ctx)) ? 'unseen' : 'lost';
  }
  return last.verdict === 'delivered' ? 'delivered' : 'ended';
}
