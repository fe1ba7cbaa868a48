import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methods } from '../../../main/api/contract.js';
import { bucketTimeline } from '../../../main/api/timeline.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { createCore, type CoreService } from '../../../main/core/service/create-core.js';
import { SessionStore } from '../../../main/core/sessions/session-store.js';
import { selectLocal } from '../../../renderer/src/model/list-query.js';

// The run's timeline (`sessions.timeline`) and the packet list's time range (`sessions.packets` `filter.time`), through
// the core's dispatch (contract-validated both ways) on a saved run: counts per bucket and verdict equal a count made
// by hand from the packets, and the range picks exactly the packets whose first hop is in it — the same packets the
// page's own filter picks for a live run.

const T0 = 5_000_000_000;
const N = 1000;

/** Packet i (1-based) starts at T0 + i²·1000 ns (bursty, not uniform); every 7th is dropped, every 5th delivered. */
function packet(i: number): PacketPath {
  const t = T0 + (i - 1) ** 2 * 1000;
  const drop = i % 7 === 0;
  return {
    id: i,
    drop_reason: drop ? 'NO_SOCKET' : null,
    ...(!drop && i % 5 === 0 ? { verdict: { kind: 'delivered', summary: 'delivered (udp socket)' } } : {}),
    hops: [
      {
        function: 'ip_rcv',
        ts_ns: t,
        ifindex: 2,
        netns: 1,
        len: 60,
        tuple: { proto: 17, saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 1000 + (i % 3), dport: 53 },
      },
      drop
        ? { function: 'kfree_skb', ts_ns: t + 500, ifindex: 2, netns: 1, len: 60, drop_reason: 'NO_SOCKET' }
        : { function: 'udp_rcv', ts_ns: t + 500, ifindex: 2, netns: 1, len: 60 },
    ],
  } as PacketPath;
}
const PACKETS = Array.from({ length: N }, (_, i) => packet(i + 1));
const startOf = (p: PacketPath) => (p.hops[0]?.ts_ns ?? 0) - T0;

let home: string;
let core: CoreService;
let id: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'pktpath-timeline-'));
  id = new SessionStore(home).create({
    title: 'timeline',
    hosts: [{ name: 'web1', address: '10.0.0.5' }],
    runs: [
      {
        id: 'r1',
        host: 'web1',
        spec: { host: 'web1', filter: 'udp' },
        mode: 'kprobe-multi',
        startedAt: '2026-01-01T00:00:00.000Z',
        packets: PACKETS,
      },
    ],
  }).id;
  core = await createCore({ home, knownHostsFiles: [] });
});
afterAll(async () => {
  await core.close();
  rmSync(home, { recursive: true, force: true });
});

describe('sessions.timeline', () => {
  it('counts each packet once, in the bucket of its first hop, by verdict', async () => {
    const t = await core.call('sessions.timeline', { id, buckets: 10 });
    expect(methods['sessions.timeline'].response.parse(t)).toEqual(t);
    const last = startOf(PACKETS.at(-1)!);
    expect(t).toMatchObject({ packets: N, min_ns: 0, max_ns: last, from_ns: 0, to_ns: last });
    const width = last / 10;
    const bucket = (p: PacketPath) => Math.min(9, Math.floor(startOf(p) / width));
    const dropped = new Array<number>(10).fill(0);
    for (const p of PACKETS) if (p.drop_reason) dropped[bucket(p)]!++;
    expect(t.series.find((s) => s.verdict === 'dropped')?.counts).toEqual(dropped);
    const total = t.series.reduce((sum, s) => sum + s.counts.reduce((a, b) => a + b, 0), 0);
    expect(total).toBe(N);
    // the first bucket holds the burst at the start: √(width/1000) packets
    expect(t.series.reduce((sum, s) => sum + (s.counts[0] ?? 0), 0)).toBe(
      PACKETS.filter((p) => bucket(p) === 0).length,
    );
  });

  it('cuts a window of the run, and counts only what the list filter lets through', async () => {
    const from = 1_000_000;
    const to = 4_000_000;
    const t = await core.call('sessions.timeline', {
      id,
      buckets: 3,
      from_ns: from,
      to_ns: to,
      filter: { dropped: true },
    });
    expect(t.series.map((s) => s.verdict)).toEqual(['dropped']);
    const inWindow = PACKETS.filter((p) => p.drop_reason && startOf(p) >= from && startOf(p) <= to);
    expect(t.series[0]?.counts.reduce((a, b) => a + b, 0)).toBe(inWindow.length);
    expect(t.bucket_ns).toBe(1_000_000);
  });

  it('refuses a bucket count past the cap, at the boundary', async () => {
    await expect(core.call('sessions.timeline', { id, buckets: 100_000 })).rejects.toMatchObject({
      code: 'invalid-request',
    });
  });
});

describe('sessions.packets filter.time', () => {
  it('picks exactly the packets whose first hop is in the range, as the page does for a live run', async () => {
    const range = { from_ns: 2_250_000, to_ns: 90_000_000 };
    const page = await core.call('sessions.packets', { id, limit: 2000, filter: { time: range } });
    const expected = PACKETS.filter((p) => startOf(p) >= range.from_ns && startOf(p) <= range.to_ns);
    expect(expected.length).toBeGreaterThan(10);
    expect(page.total).toBe(expected.length);
    expect(page.packets.map((p) => p.id)).toEqual(expected.map((p) => p.id));
    const live = selectLocal(PACKETS, { sort: 'time', desc: false, range }, () => 0, T0);
    expect(live.map((p) => p.id)).toEqual(expected.map((p) => p.id));
    // combined with a display filter and sorted, the range still holds
    const drops = await core.call('sessions.packets', {
      id,
      sort: 'hops',
      filter: { time: range, display: 'drop' },
    });
    expect(drops.total).toBe(expected.filter((p) => p.drop_reason).length);
  });

  it('a live run buckets the same as the saved one', async () => {
    const saved = await core.call('sessions.timeline', { id, buckets: 7 });
    const local = bucketTimeline(
      {
        count: N,
        time: (k) => startOf(PACKETS[k]!),
        verdict: (k) => (PACKETS[k]!.drop_reason ? 'dropped' : PACKETS[k]!.verdict ? 'delivered' : 'unknown'),
      },
      { buckets: 7 },
    );
    expect(local.series.find((s) => s.verdict === 'dropped')).toEqual(
      saved.series.find((s) => s.verdict === 'dropped'),
    );
    expect(local.packets).toBe(saved.packets);
  });
});
