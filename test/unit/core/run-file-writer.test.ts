import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizePacket } from '../../../main/api/packets.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { pathVariants } from '../../../main/core/compare/compare-runs.js';
import { RunFileWriter } from '../../../main/core/sessions/run-file-writer.js';
import { encodeRunFile, RunFile, streamRunPackets } from '../../../main/core/sessions/run-file.js';
import { RUN_COLUMNS } from '../../../main/core/sessions/run-index.js';
import { explainPackets } from '../../../main/core/explain/explain-packets.js';

// A run file written packet by packet while tracing reads back exactly like one encoded at once: the same rows,
// the same variants in the same order, every packet line, and nothing left beside it.
const dir = mkdtempSync(join(tmpdir(), 'pktpath-runwriter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const O = { reasonsKnown: true };
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
    const w = new RunFileWriter(join(dir, 'r1.run'), () => O);
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
    const explained = [...explainPackets(packets, O)];
    for (const i of [0, 1, 6, 16_383, 16_384, 39_999]) {
      const p = packets[i]!;
      const variant = variants.findIndex((v) => v.packet_ids.includes(p.id));
      expect(f.summary(i)).toEqual(summarizePacket(explained[i]!, variant)); // with explain's verdict
      expect(f.packetAt(i)).toEqual(p);
    }
    let n = 0;
    for (const p of streamRunPackets(rec.file)) expect(p.id).toBe(++n);
    expect(n).toBe(packets.length);
  });

  it('an empty run is a valid run file', () => {
    const rec = new RunFileWriter(join(dir, 'empty.run'), () => O).finish();
    expect(RunFile.open(rec.file).count).toBe(0);
    expect([...streamRunPackets(rec.file)]).toEqual([]);
  });

  it('the index columns are binary (version 3): the file opens without parsing them, and the writer agrees with the encoder', () => {
    const packets = Array.from({ length: 3000 }, (_, i) => packet(i + 1));
    const w = new RunFileWriter(join(dir, 'v3.run'), () => O);
    for (const p of packets) w.append(p);
    const written = readFileSync(w.finish().file);
    expect(written.subarray(0, 14).toString('latin1')).toBe('pktpath-run 3 ');
    const encoded = encodeRunFile(packets, O).data;
    const a = RunFile.check(written);
    const b = RunFile.check(encoded);
    for (const [name] of RUN_COLUMNS)
      expect(Array.from(a[name] ?? []), name).toEqual(Array.from(b[name] ?? []));
  });

  it('a version 2 run file (JSON columns, on disk before version 3) opens and reads the same', () => {
    const packets = Array.from({ length: 500 }, (_, i) => packet(i + 1));
    const { data, index } = encodeRunFile(packets, O);
    const v3 = join(dir, 'same-v3.run');
    writeFileSync(v3, data);
    // the version 2 layout (docs/SESSION-FORMAT.md before 3): one JSON index holding the columns as arrays
    const json = JSON.stringify(
      Object.fromEntries(
        Object.entries(index).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v as Uint32Array) : v]),
      ),
    );
    const lines = data.subarray(data.length - (index.offsets[index.count] ?? 0));
    const v2 = join(dir, 'same-v2.run');
    writeFileSync(
      v2,
      Buffer.concat([
        Buffer.from(`pktpath-run 2 ${String(Buffer.byteLength(json)).padStart(12, '0')}\n`),
        Buffer.from(json),
        lines,
      ]),
    );
    const [a, b] = [RunFile.open(v2), RunFile.open(v3)];
    expect(a.count).toBe(500);
    for (let i = 0; i < 500; i++) {
      // version 2's verdicts are not read (computed over the file instead, run-verdicts.ts)
      const { verdict: _fromIndex, ...same } = b.summary(i);
      expect(a.summary(i)).toEqual(same);
      expect(a.packetAt(i)).toEqual(b.packetAt(i));
    }
    expect([...streamRunPackets(v2)]).toEqual(packets);
    // a version 2 column that would wrap or truncate in its typed array is refused, not converted
    const wrapped = json.replace('"drop":[', '"drop":[1.5,').replace('"count":500', '"count":500');
    writeFileSync(
      v2,
      Buffer.concat([
        Buffer.from(`pktpath-run 2 ${String(Buffer.byteLength(wrapped)).padStart(12, '0')}\n`),
        Buffer.from(wrapped),
        lines,
      ]),
    );
    expect(() => RunFile.open(v2)).toThrow(/bad index: column drop/);
  });

  it('refuses a hostile index before allocating for it: a count the file cannot hold, a time that is not a number', () => {
    const { data } = encodeRunFile([packet(1), packet(2)], O);
    const metaLength = Number(data.subarray(14, 26).toString('latin1'));
    const meta = JSON.parse(data.subarray(27, 27 + metaLength).toString('utf8')) as { count: number };
    const withMeta = (m: object, rest: Buffer) => {
      const json = Buffer.from(JSON.stringify(m));
      return Buffer.concat([
        Buffer.from(`pktpath-run 3 ${String(json.length).padStart(12, '0')}\n`),
        json,
        rest,
      ]);
    };
    const rest = data.subarray(27 + metaLength);
    // 4 billion packets in a few hundred bytes: 240 GB of columns would be allocated before a read came up short
    expect(() => RunFile.check(withMeta({ ...meta, count: 0xfffffff0 }, rest))).toThrow(/^index cut short$/);
    const nan = Buffer.from(data);
    nan.writeDoubleLE(Number.NaN, 27 + metaLength + 2 * 4 * 2); // first[0], after id and nhops (2 × u32 each)
    expect(() => RunFile.check(nan)).toThrow(/bad index: a time is not finite/);
  });
});
