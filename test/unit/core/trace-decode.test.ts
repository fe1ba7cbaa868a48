import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, type StatusRecord } from '../../../main/core/trace/frame-decoder.js';
import { PacketGrouper } from '../../../main/core/trace/packet-grouper.js';

// A real binary stream of `pktpath-loader trace` (raw tracepoints, `ping -c 2 127.0.0.1`, 4-packet limit),
// captured on the lab machine: the decoder must agree with the loader's own `done` counters.
const capture = readFileSync(join(import.meta.dirname, 'fixtures/trace-local-icmp.bin'));

function decode(chunks: Buffer[]) {
  const g = new PacketGrouper();
  const records: StatusRecord[] = [];
  const d = new FrameDecoder({
    event: (buf, off) => g.add(buf, off),
    status: (r) => {
      records.push(r);
      if (r.type === 'hello') g.setDropReasons(r.dropReasons as Record<string, string>);
      if (r.type === 'probe') g.probeNames[Number(r.id)] = String(r.name);
    },
  });
  for (const c of chunks) d.push(c);
  return { g, records, leftover: d.leftover };
}

describe('loader stream decoding', () => {
  it('decodes every frame and groups events into the packets the loader counted', () => {
    const { g, records, leftover } = decode([capture]);
    expect(leftover).toBe(0);
    expect(records[0]?.type).toBe('hello');
    const done = records.find((r) => r.type === 'done') as StatusRecord & {
      eventsWritten: number;
      packets: number;
    };
    expect(g.events).toBe(done.eventsWritten);
    expect(g.packets.size).toBe(done.packets);
    const first = g.all()[0]!;
    expect(first.hops[0]).toMatchObject({
      function: 'net_dev_queue',
      ifindex: 1,
      tuple: { proto: 1, saddr: '127.0.0.1', daddr: '127.0.0.1' },
    });
    for (const p of g.all()) {
      const ts = p.hops.map((h) => h.ts_ns);
      expect(ts).toEqual([...ts].sort((a, b) => a - b));
      expect(p.hops.every((h) => !h.function.startsWith('probe#'))).toBe(true);
    }
  });

  it('gives the same result whatever the chunking (frames split anywhere)', () => {
    const whole = decode([capture]).g.all();
    for (const size of [1, 7, 100, 4096]) {
      const chunks: Buffer[] = [];
      for (let o = 0; o < capture.length; o += size) chunks.push(capture.subarray(o, o + size));
      expect(decode(chunks).g.all()).toEqual(whole);
    }
  });

  it('reads the loader’s JSON error line, and refuses an unknown framing or a corrupt length', () => {
    const err = decode([Buffer.from('{"type":"error","error":"filter: syntax error"}\n')]);
    expect(err.records).toEqual([{ type: 'error', error: 'filter: syntax error' }]);
    const hello = Buffer.from(JSON.stringify({ type: 'hello', framing: 2 }));
    const frame = Buffer.alloc(8 + hello.length);
    frame.writeUInt32LE(frame.length, 0);
    frame.writeUInt16LE(1, 4);
    hello.copy(frame, 8);
    expect(() => decode([frame])).toThrow(/framing 2, this pktpath reads 1/);
    const bad = Buffer.alloc(8);
    bad.writeUInt32LE(3, 0);
    expect(() => decode([bad])).toThrow(/frame length 3 at byte 0/);
  });
});
