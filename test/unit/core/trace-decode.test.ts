import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TASK } from '../../../main/core/trace/event-layout.js';
import {
  FRAME_HEADER,
  FRAME_TASK,
  FrameDecoder,
  type StatusRecord,
} from '../../../main/core/trace/frame-decoder.js';
import { PacketGrouper } from '../../../main/core/trace/packet-grouper.js';

// A real binary stream of `pktpath-loader trace` (raw tracepoints, `ping -c 2 127.0.0.1`, 4-packet limit),
// captured on the lab machine: the decoder must agree with the loader's own `done` counters.
const capture = readFileSync(join(import.meta.dirname, 'fixtures/trace-local-icmp.bin'));

function decode(chunks: Buffer[]) {
  const g = new PacketGrouper();
  const records: StatusRecord[] = [];
  const d = new FrameDecoder({
    event: (buf, off) => g.add(buf, off),
    task: (buf, off) => g.addTask(buf, off),
    status: (r) => {
      records.push(r);
      if (r.type === 'hello') g.setDropReasons(r.dropReasons as Record<string, string>);
      if (r.type === 'probe') g.probeNames[Number(r.id)] = String(r.name);
    },
  });
  for (const c of chunks) d.push(c);
  return { g, records, leftover: d.leftover };
}

/** A task frame (type 5, `struct pktpath_task`) for the hop at `ts` of probe `probe` of packet `id`. */
function taskFrame(id: number, probe: number, ts: number, tgid: number, comm: Buffer): Buffer {
  const f = Buffer.alloc(FRAME_HEADER + TASK.size);
  f.writeUInt32LE(f.length, 0);
  f.writeUInt16LE(FRAME_TASK, 4);
  const o = FRAME_HEADER;
  f.writeBigUInt64LE(BigInt(ts), o + TASK.fields.ktime_ns.offset);
  f.writeUInt32LE(id, o + TASK.fields.packet_id.offset);
  f.writeUInt32LE(probe, o + TASK.fields.probe_id.offset);
  f.writeUInt32LE(tgid, o + TASK.fields.tgid.offset);
  f.writeUInt32LE(tgid + 1, o + TASK.fields.pid.offset);
  comm.copy(f, o + TASK.fields.comm.offset, 0, TASK.fields.comm.size);
  return f;
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

  it('puts a task record on the hop it follows: the receiving process, its name made safe to show', () => {
    const whole = decode([capture]).g.all();
    const p = whole.find((x) => x.hops.some((h) => h.function === 'skb_copy_datagram_iovec'))!;
    const hop = p.hops.find((h) => h.function === 'skb_copy_datagram_iovec')!;
    const probe = decode([capture]).records.find((r) => r.type === 'probe' && r.name === hop.function)!;
    // the frames after every frame of the stream, as the loader writes it right after the hop's event
    const comm = Buffer.from('pi\nng\u0007\0junk', 'latin1');
    const { g } = decode([capture, taskFrame(p.id, Number(probe.id), hop.ts_ns, 4242, comm)]);
    const got = g.all().find((x) => x.id === p.id)!;
    expect(got.hops.filter((h) => h.task)).toEqual([
      { ...hop, task: { pid: 4242, tid: 4243, comm: 'pi?ng?' } },
    ]);
    // no such hop (another time), pid 0, an unknown packet: nothing is set
    const none = decode([
      capture,
      taskFrame(p.id, Number(probe.id), hop.ts_ns + 1, 4242, comm),
      taskFrame(p.id, Number(probe.id), hop.ts_ns, 0, comm),
      taskFrame(999_999, Number(probe.id), hop.ts_ns, 4242, comm),
    ]);
    expect(none.g.all().some((x) => x.hops.some((h) => h.task))).toBe(false);
    const short = taskFrame(p.id, 0, 0, 1, comm).subarray(0, FRAME_HEADER + 20);
    short.writeUInt32LE(short.length, 0);
    expect(() => decode([capture, short])).toThrow(/task frame of 28 bytes is shorter/);
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
