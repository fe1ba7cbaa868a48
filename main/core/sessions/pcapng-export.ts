import { z } from 'zod';
import {
  MAX_SNAPLEN,
  PacketCaptureSchema,
  type PacketCapture,
  type PacketPath,
  type RunEvent,
} from '../../api/trace.js';
import { formatIssues } from '../../api/validate.js';
import { CoreError } from '../errors.js';
import {
  encodePcapng,
  LINKTYPE_ETHERNET,
  LINKTYPE_RAW,
  type PcapngInterface,
  type PcapngPacket,
} from './pcapng-writer.js';

const CapturesSchema = z.array(PacketCaptureSchema);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A packet's captured bytes, checked: the records match the schema, `data` is base64 of at most `snaplen` bytes.
 * Returns the problem as text instead (the import refuses the file, the export reports it as corrupt).
 */
export function checkedCaptures(p: PacketPath, snaplen = MAX_SNAPLEN): PacketCapture[] | string {
  const raw = (p as { captures?: unknown }).captures;
  if (raw === undefined) return [];
  const r = CapturesSchema.safeParse(raw);
  if (!r.success) return formatIssues('captures', r.error.issues);
  for (const [k, c] of r.data.entries()) {
    if (!BASE64.test(c.data)) return `capture ${k + 1} is not base64`;
    const bytes = (c.data.length / 4) * 3 - (c.data.endsWith('==') ? 2 : c.data.endsWith('=') ? 1 : 0);
    if (bytes > Math.min(snaplen || MAX_SNAPLEN, MAX_SNAPLEN))
      return `capture ${k + 1} holds ${bytes} bytes, more than the run's snaplen`;
  }
  return r.data;
}

/** What the export needs of one saved run: its metadata and its captured packets. */
export interface CapturedRun {
  id: string;
  host: string;
  startedAt: string;
  firstTsNs: number;
  events: readonly RunEvent[];
  snaplen: number | undefined;
  /** The run's packets that carry bytes, in capture order. */
  packets: Iterable<PacketPath>;
}

/**
 * ktime (CLOCK_MONOTONIC ns) → Unix ns for one run: from the loader's paired clock reading in its hello; runs
 * saved by a loader without it fall back to "the first hop happened at startedAt" (off by the attach time).
 */
export function wallClockOffsetNs(run: Pick<CapturedRun, 'events' | 'startedAt' | 'firstTsNs'>): bigint {
  const clock = run.events.find((e) => e.kind === 'hello')?.data?.clock as
    { monotonicNs?: unknown; realtimeNs?: unknown } | undefined;
  if (typeof clock?.monotonicNs === 'number' && typeof clock.realtimeNs === 'number')
    return BigInt(Math.round(clock.realtimeNs)) - BigInt(Math.round(clock.monotonicNs));
  return BigInt(Date.parse(run.startedAt)) * 1_000_000n - BigInt(Math.round(run.firstTsNs));
}

/** The pcapng of every captured packet of the given runs; a clear error when none has bytes. */
export function sessionPcapng(sessionId: string, runs: readonly CapturedRun[]): Buffer {
  const interfaces: PcapngInterface[] = [];
  const ifOf = new Map<PacketCapture['link'], number>();
  const snaplen = Math.max(0, ...runs.map((r) => r.snaplen ?? 0)) || MAX_SNAPLEN;
  const packets: PcapngPacket[] = [];
  for (const run of runs) {
    const offset = wallClockOffsetNs(run);
    for (const p of run.packets) {
      const caps = checkedCaptures(p, run.snaplen);
      if (typeof caps === 'string')
        throw new CoreError('corrupt-file', `packet ${p.id} of run ${run.id}: ${caps}`, { run: run.id });
      const path = `${p.hops[0]?.function ?? '?'} → ${p.hops.at(-1)?.function ?? '?'}`;
      caps.forEach((c, k) => {
        let i = ifOf.get(c.link);
        if (i === undefined) {
          i =
            interfaces.push({
              linkType: c.link === 'ether' ? LINKTYPE_ETHERNET : LINKTYPE_RAW,
              snaplen,
              name: c.link === 'ether' ? 'pktpath-l2' : 'pktpath-l3',
            }) - 1;
          ifOf.set(c.link, i);
        }
        const data = Buffer.from(c.data, 'base64');
        const nth = caps.length > 1 ? ` (capture ${k + 1} of ${caps.length})` : '';
        packets.push({
          interface: i,
          timestampNs: offset + BigInt(Math.round(c.ts_ns)),
          data,
          originalLength: c.len,
          comment: `pktpath packet ${p.id} of run ${run.id} on ${run.host}, at ${c.function}${nth}; path ${path}${p.drop_reason ? `, dropped: ${p.drop_reason}` : ''}`,
        });
      });
    }
  }
  if (!packets.length)
    throw new CoreError(
      'invalid-request',
      `session ${sessionId} has no captured packet bytes (trace with --capture to record them)`,
    );
  return encodePcapng(interfaces, packets);
}
