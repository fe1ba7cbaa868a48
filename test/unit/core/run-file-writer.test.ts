import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizePacket } from '../../../main/api/packets.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { pathVariants } from '../../../main/core/compare/compare-runs.js';
import { RunFileWriter } from '../../../main/core/sessions/run-file-writer.js';
import { RunFile, streamRunPackets } from '../../../main/core/sessions/run-file.js';

// A run file written packet by packet while tracing reads back exactly like one encoded at once: the same rows,
// the same variants in the same order, every packet line, and nothing left beside it.
const dir = mkdtempSync(join(tmpdir(), 'pktpath-runwriter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tuple = (sport: number) => ({ proto: 17, saddr: '10.0.0.1', daddr: '10.0.0.2', sport, dport: 53 });
function packet(id: number): PacketPath {
  const fns = id % 3 === 0 ? ['ip_rcv', 'kfree_skb'] : ['ip_rcv', 'udp_rcv', 'consume_skb'];
  const hops = fns.map((f, i) => ({
    function: f,
    ts_ns: 2 ** 40 + id * 1000 + i * 7,
    ifindex: i === 2 ? 3 : 2,
    netns: 4026531840,
    len: 84,
    ...(i === 0 ? { tuple: tuple(1000 + (id % 5)) } : {}),
    ...(f === 'kfree_skb' ? { drop_reason: 'NO_SOCKET' } : {}),
  }));
  return {
    id,
    hops,
    drop_reason: id % 3 === 0 ? 'NO_SOCKET' : null,
    partial: id % 7 === 0,
    cut: false,
    ...(id % 4 === 0
      ? { captures: [{ ts_ns: 1, function: 'ip_rcv', link: 'raw' as const, len: 84, data: 'AA==' }] }
      : {}),
  };
}

describe('RunFileWriter', () => {
  it('writes what RunFile reads: rows, variants in order, packets; no spool left', () => {
    const packets = Array.from({ length: 40_000 }, (_, i) => packet(i + 1)); // > one index chunk
    const w = new RunFileWriter(join(dir, 'r1.run'));
    for (const p of packets) w.append(p);
    const rec = w.finish();
    expect(readdirSync(dir)).toEqual(['r1.run']);
    const f = RunFile.open(rec.file);
    expect(f.count).toBe(packets.length);
    expect(rec).toMatchObject({ packets: 40_000, hops: f.index.hops, dropped: f.index.dropped });
    const variants = pathVariants(packets);
    expect(f.index.variants.map((v) => [v.functions, v.count, v.firstPacket])).toEqual(
      variants.map((v) => [v.functions, v.count, v.packet_ids[0]]),
    );
    for (const i of [0, 1, 6, 16_383, 16_384, 39_999]) {
      const p = packets[i]!;
      const variant = variants.findIndex((v) => v.packet_ids.includes(p.id));
      expect(f.summary(i)).toEqual(summarizePacket(p, variant));
      expect(f.packetAt(i)).toEqual(p);
    }
    let n = 0;
    for (const p of streamRunPackets(rec.file)) expect(p.id).toBe(++n);
    expect(n).toBe(packets.length);
  });

  it('an empty run is a valid run file', () => {
    const rec = new RunFileWriter(join(dir, 'empty.run')).finish();
    expect(RunFile.open(rec.file).count).toBe(0);
    expect([...streamRunPackets(rec.file)]).toEqual([]);
  });
});
