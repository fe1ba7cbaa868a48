import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketQuerySchema } from '../../../main/api/packets.js';
import type { PacketPath, RunInput } from '../../../main/api/trace.js';
import { sessionPcapng, wallClockOffsetNs } from '../../../main/core/sessions/pcapng-export.js';
import { encodePcapng, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../../../main/core/sessions/pcapng-writer.js';
import { SessionStore } from '../../../main/core/sessions/session-store.js';
import { FrameDecoder, type StatusRecord } from '../../../main/core/trace/frame-decoder.js';
import { PacketGrouper } from '../../../main/core/trace/packet-grouper.js';

interface Block {
  type: number;
  body: Buffer;
}

/** Walks the blocks the way a reader does, checking both length fields and 32-bit alignment. */
function blocks(buf: Buffer): Block[] {
  const out: Block[] = [];
  for (let off = 0; off < buf.length;) {
    const type = buf.readUInt32LE(off);
    const len = buf.readUInt32LE(off + 4);
    expect(len % 4).toBe(0);
    expect(buf.readUInt32LE(off + len - 4)).toBe(len);
    out.push({ type, body: buf.subarray(off + 8, off + len - 4) });
    off += len;
  }
  return out;
}

function blockLengths(buf: Buffer): number[] {
  return blocks(buf).map((b) => b.body.length + 12);
}

/** Options from `at` to opt_endofopt: code → value (checks each value's padding is zero). */
function opts(body: Buffer, at: number): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (let o = at; ;) {
    const code = body.readUInt16LE(o);
    const len = body.readUInt16LE(o + 2);
    if (code === 0) {
      expect(len).toBe(0);
      expect(o + 4).toBe(body.length);
      return m;
    }
    m.set(code, body.subarray(o + 4, o + 4 + len));
    const padded = (len + 3) & ~3;
    expect([...body.subarray(o + 4 + len, o + 4 + padded)].every((b) => b === 0)).toBe(true);
    o += 4 + padded;
  }
}

describe('pcapng writer', () => {
  it('writes SHB, one IDB per interface and EPBs with 32-bit padded data and options', () => {
    const data = Buffer.from([0x45, 0, 0, 5, 1]); // 5 bytes: 3 of padding
    const buf = encodePcapng(
      [
        { linkType: LINKTYPE_ETHERNET, snaplen: 128, name: 'l2' },
        { linkType: LINKTYPE_RAW, snaplen: 128 },
      ],
      [{ interface: 1, timestampNs: 0x1_2345_6789n, data, originalLength: 84, comment: 'abcde' }],
    );
    const [shb, idb0, idb1, epb, ...rest] = blocks(buf);
    expect(rest).toEqual([]);
    expect(buf.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(shb!.body.readUInt32LE(0)).toBe(0x1a2b3c4d); // byte-order magic, little-endian
    expect([shb!.body.readUInt16LE(4), shb!.body.readUInt16LE(6)]).toEqual([1, 0]);
    expect(shb!.body.readBigInt64LE(8)).toBe(-1n);
    expect(opts(shb!.body, 16).get(4)?.toString()).toBe('pktpath'); // 7 bytes → padded to 8
    expect([idb0!.type, idb0!.body.readUInt16LE(0), idb0!.body.readUInt32LE(4)]).toEqual([1, 1, 128]);
    expect(opts(idb0!.body, 8).get(2)?.toString()).toBe('l2');
    expect(opts(idb0!.body, 8).get(9)).toEqual(Buffer.from([9])); // ns resolution
    expect(idb1!.body.readUInt16LE(0)).toBe(101);
    expect(epb!.type).toBe(6);
    const b = epb!.body;
    expect(b.readUInt32LE(0)).toBe(1); // interface id
    expect([b.readUInt32LE(4), b.readUInt32LE(8)]).toEqual([1, 0x2345_6789]); // ts high, low
    expect([b.readUInt32LE(12), b.readUInt32LE(16)]).toEqual([5, 84]); // captured, original length
    expect(b.subarray(20, 25)).toEqual(data);
    expect([...b.subarray(25, 28)]).toEqual([0, 0, 0]);
    expect(opts(b, 28).get(1)?.toString()).toBe('abcde');
    // SHB 12+16+(12+4) · IDB 12+8+(8+8+4) · IDB 12+8+(8+4) · EPB 12+20+8+(12+4)
    expect(blockLengths(buf)).toEqual([44, 40, 32, 56]);
    expect(buf.length).toBe(172);
  });

  it('refuses a packet naming a missing interface', () => {
    expect(() =>
      encodePcapng([], [{ interface: 0, timestampNs: 0n, data: Buffer.alloc(1), originalLength: 1 }]),
    ).toThrow(RangeError);
  });
});

// The real binary stream of `pktpath-loader trace` with `capture: {snaplen: 128}` (raw tracepoints,
// `ping -c 2 127.0.0.1`), recorded on the lab machine.
const stream = readFileSync(join(import.meta.dirname, 'fixtures/trace-local-icmp-capture.bin'));

function decode(buf: Buffer) {
  const g = new PacketGrouper();
  const records: StatusRecord[] = [];
  const d = new FrameDecoder({
    event: (b, off) => g.add(b, off),
    capture: (b, off, len) => g.addCapture(b, off, len),
    status: (r) => {
      records.push(r);
      if (r.type === 'probe') g.probeNames[Number(r.id)] = String(r.name);
    },
  });
  d.push(buf);
  expect(d.leftover).toBe(0);
  return { g, records };
}

describe('capture frames', () => {
  it('decodes the bytes the loader copied at each packet’s first sight, beside its hops', () => {
    const { g, records } = decode(stream);
    const hello = records[0] as StatusRecord & { snaplen: number; clock: { monotonicNs: number } };
    expect(hello.snaplen).toBe(128);
    expect(hello.clock.monotonicNs).toBeGreaterThan(0);
    expect(g.packets.size).toBeGreaterThanOrEqual(2);
    for (const p of g.all()) {
      const caps = g.captures.get(p.id)!;
      expect(caps).toHaveLength(1); // loopback: no NAT, one capture
      const c = caps[0]!;
      expect(c).toMatchObject({ ts_ns: p.hops[0]!.ts_ns, function: p.hops[0]!.function, link: 'ether' });
      const bytes = Buffer.from(c.data, 'base64');
      expect(c.len).toBe(98); // 14 Ethernet + 84 IP (a default ping)
      expect(bytes.length).toBe(98); // under the snaplen: all of it
      expect(bytes.readUInt16BE(12)).toBe(0x0800);
      expect(bytes[14]! >> 4).toBe(4);
      expect([...bytes.subarray(26, 34)]).toEqual([127, 0, 0, 1, 127, 0, 0, 1]);
      expect(bytes[23]).toBe(1); // ICMP
    }
    // live packets stay small: the bytes only join them for saving
    expect(g.all().some((p) => 'captures' in p)).toBe(false);
    expect(g.all(true).every((p) => 'captures' in p)).toBe(true);
  });
});

const root = mkdtempSync(join(tmpdir(), 'pktpath-pcapng-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sessions: captured bytes and the pcapng export', () => {
  const { g, records } = decode(stream);
  const hello = records[0] as StatusRecord;
  const { type: _t, ...helloData } = hello;
  const run = (id: string, packets: PacketPath[], snaplen?: number): RunInput => ({
    id,
    host: 'local',
    spec: { host: 'local', filter: 'icmp', ...(snaplen ? { capture: { snaplen } } : {}) },
    mode: 'tracepoint',
    startedAt: new Date().toISOString(),
    events: [{ t_ms: 0, kind: 'hello', data: helloData }],
    packets,
  });

  it('keeps the bytes in the run file, says `captured` in summaries, never returns them in a packet', () => {
    const store = new SessionStore(join(root, 'a'));
    const s = store.create({ title: 'cap', runs: [run('1', g.all(true), 128)] });
    const page = store.packets(s.id, '1', PacketQuerySchema.parse({}));
    expect(page.packets.length).toBe(g.packets.size);
    expect(page.packets.every((p) => p.captured === true)).toBe(true);
    const p = store.packet(s.id, '1', page.packets[0]!.id);
    expect('captures' in p).toBe(false);
    expect(p.hops.length).toBeGreaterThan(0);

    const file = join(root, 'a.pcapng');
    const r = store.exportTo(s.id, file, 'pcapng');
    const buf = readFileSync(file);
    expect(r.bytes).toBe(buf.length);
    const bl = blocks(buf);
    expect(bl.map((b) => b.type)).toEqual([0x0a0d0d0a, 1, ...g.all().map(() => 6)]);
    expect(bl[1]!.body.readUInt16LE(0)).toBe(LINKTYPE_ETHERNET);
    expect(bl[1]!.body.readUInt32LE(4)).toBe(128);
    const offset = wallClockOffsetNs({ events: run('x', []).events!, startedAt: '', firstTsNs: 0 });
    g.all().forEach((pk, i) => {
      const b = bl[2 + i]!.body;
      const ts = (BigInt(b.readUInt32LE(4)) << 32n) | BigInt(b.readUInt32LE(8));
      expect(ts).toBe(offset + BigInt(pk.hops[0]!.ts_ns));
      // wall time of a capture made minutes ago at most, not the boot-relative ktime
      expect(Math.abs(Number(ts / 1_000_000n) - Date.now())).toBeLessThan(365 * 86_400_000);
      const data = Buffer.from(g.captures.get(pk.id)![0]!.data, 'base64');
      expect(b.subarray(20, 20 + b.readUInt32LE(12))).toEqual(data);
      const comment = opts(b, 20 + ((data.length + 3) & ~3))
        .get(1)!
        .toString();
      expect(comment).toContain(`packet ${pk.id} of run 1`);
      expect(comment).toContain(`${pk.hops[0]!.function} → ${pk.hops.at(-1)!.function}`);
    });
  });

  it('a session without captured bytes is a clear error', () => {
    const store = new SessionStore(join(root, 'b'));
    const s = store.create({ title: 'plain', runs: [run('1', g.all())] });
    expect(store.packets(s.id, '1', PacketQuerySchema.parse({})).packets[0]!.captured).toBeUndefined();
    expect(() => store.exportTo(s.id, join(root, 'b.pcapng'), 'pcapng')).toThrow(
      /has no captured packet bytes \(trace with --capture/,
    );
    expect(() => sessionPcapng('x', [])).toThrow(/no captured packet bytes/);
  });

  it('without the loader’s clock pair, times are anchored at the run’s start', () => {
    const off = wallClockOffsetNs({ events: [], startedAt: '2025-01-01T00:00:00.000Z', firstTsNs: 5e9 });
    expect(off + 5_000_000_000n).toBe(BigInt(Date.parse('2025-01-01T00:00:00.000Z')) * 1_000_000n);
  });
});
