// Core benchmarks (issue #4), written to the file given as argv[2]; figures and ratios against a peer measured in
// the same run, never pass/fail on a time.
//  - decode + group of the loader's binary stream (events from a real capture, replicated to 1M) vs a plain read
//    of the same bytes through the same stream machinery
//  - compare of two 1k-hop paths (Myers alignment + Δt rows)
//  - time from trace.start to the "tracing" event on a warm `local` host (needs root), split into the loader's own
//    attach time and the core's overhead
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PacketPath } from '../../main/api/trace.js';
import { comparePaths } from '../../main/core/compare/compare-paths.js';
import { createCore } from '../../main/core/service/create-core.js';
import { FRAME_EVENT, FrameDecoder } from '../../main/core/trace/frame-decoder.js';
import { PacketGrouper } from '../../main/core/trace/packet-grouper.js';
import { profileEntries } from '../../main/core/probeset/profiles.js';
import { writeResult } from '../write-result.js';

const out = process.argv[2] ?? 'bench/results/core-core.json';
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** The real capture's status frames, then its event frames repeated to `n` events with fresh packet ids. */
function syntheticStream(n: number, hopsPerPacket = 10): Buffer {
  const cap = readFileSync(join(import.meta.dirname, '../../test/unit/core/fixtures/trace-local-icmp.bin'));
  const head: Buffer[] = [];
  const events: Buffer[] = [];
  for (let off = 0; off < cap.length;) {
    const len = cap.readUInt32LE(off);
    const frame = cap.subarray(off, off + len);
    if (cap.readUInt16LE(off + 4) === FRAME_EVENT) events.push(frame);
    else if (!events.length) head.push(frame); // hello + probe records + attached
    off += len;
  }
  const size = events[0]?.length ?? 0;
  if (!size) throw new Error('the capture has no events');
  const body = Buffer.alloc(size * n);
  for (let i = 0; i < n; i++) {
    events[i % events.length]?.copy(body, i * size);
    body.writeUInt32LE(1 + Math.floor(i / hopsPerPacket), i * size + 8 + 16); // packet id
    body.writeUInt32LE(i * 1000, i * size + 8); // ktime low word: increasing
  }
  return Buffer.concat([...head, body]);
}

/** Reads the stream file in 64 KiB chunks, as the loader's stdout arrives, handing each chunk to `onChunk`. */
async function consume(file: string, onChunk: (c: Buffer) => void): Promise<number> {
  const t0 = performance.now();
  for await (const c of createReadStream(file, { highWaterMark: 64 * 1024 })) onChunk(c as Buffer);
  return performance.now() - t0;
}

async function decodeBench() {
  const N = 1_000_000;
  const bytes = syntheticStream(N);
  const dir = mkdtempSync(join(tmpdir(), 'pktpath-bench-stream-'));
  const file = join(dir, 'stream.bin');
  writeFileSync(file, bytes);
  const plain: number[] = [];
  const decode: number[] = [];
  let packets = 0;
  let events = 0;
  for (let i = 0; i < 5; i++) {
    let sum = 0;
    plain.push(await consume(file, (c) => (sum += c.length)));
    const g = new PacketGrouper();
    const d = new FrameDecoder({
      event: (buf, off) => g.add(buf, off),
      status: (r) => {
        if (r.type === 'probe') g.probeNames[Number(r.id)] = String(r.name);
        if (r.type === 'hello') g.setDropReasons(r.dropReasons as Record<string, string>);
      },
    });
    decode.push(await consume(file, (c) => d.push(c)));
    packets = g.packets.size;
    events = g.events;
    if (sum !== bytes.length || events !== N) throw new Error('bench stream not fully consumed');
  }
  rmSync(dir, { recursive: true, force: true });
  const decodeMs = median(decode);
  const plainMs = median(plain);
  return {
    events,
    packets,
    bytes: bytes.length,
    decodeGroupMs: round(decodeMs),
    plainReadMs: round(plainMs),
    eventsPerSecond: Math.round(events / (decodeMs / 1000)),
    ratioToPlainRead: round(decodeMs / plainMs, 1),
  };
}

function compareBench() {
  const names = profileEntries('default').map((e) => e.function);
  const hop = (f: string, t: number) => ({ function: f, ts_ns: t, ifindex: 1, netns: 1, len: 84 });
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const a: Pick<PacketPath, 'hops'> = {
    hops: Array.from({ length: 1000 }, (_, i) => hop(names[i % names.length] ?? 'ip_rcv', i * 1000)),
  };
  // B: A with ~5% of hops replaced, ~3% dropped, ~3% inserted
  const bh: ReturnType<typeof hop>[] = [];
  a.hops.forEach((h, i) => {
    const r = rnd();
    if (r < 0.03) return;
    if (r < 0.06) bh.push(hop(`inserted_${i}`, h.ts_ns - 1));
    bh.push(r < 0.11 ? hop(`changed_${i}`, h.ts_ns + 7) : hop(h.function, h.ts_ns + 3));
  });
  const b = { hops: bh };
  const times: number[] = [];
  let rows = 0;
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    rows = comparePaths(a, b).rows.length;
    times.push(performance.now() - t0);
  }
  return {
    aHops: a.hops.length,
    bHops: b.hops.length,
    rows,
    medianMs: round(median(times), 3),
    maxMs: round(Math.max(...times), 3),
  };
}

async function warmTraceBench() {
  if (process.getuid?.() !== 0) return { skipped: 'needs root (the local host runs the loader directly)' };
  const home = mkdtempSync(join(tmpdir(), 'pktpath-bench-'));
  const core = await createCore({ home });
  try {
    const once = async () => {
      const t0 = performance.now();
      let tracingAt = 0;
      const off = core.onEvent((e, p) => {
        if (
          e === 'trace.progress' &&
          (p as { runId: string; phase: string }).phase === 'tracing' &&
          !tracingAt
        )
          tracingAt = performance.now();
      });
      const { runId } = await core.call('trace.start', { host: 'local', filter: 'icmp', mode: 'tracepoint' });
      while (!tracingAt) await new Promise((r) => setTimeout(r, 1));
      const run = await core.call('trace.stop', { runId });
      off();
      const attachMs = Number(run.events.find((e) => e.kind === 'attached')?.data?.ms ?? 0);
      return { toTracingMs: tracingAt - t0, attachMs };
    };
    await once(); // warm: loader verified, host facts known
    const runs = [];
    for (let i = 0; i < 7; i++) runs.push(await once());
    const to = median(runs.map((r) => r.toTracingMs));
    const attach = median(runs.map((r) => r.attachMs));
    return {
      host: 'local (raw tracepoints)',
      requestToTracingMs: round(to, 1),
      loaderAttachMs: round(attach, 1),
      coreOverheadMs: round(to - attach, 1),
    };
  } finally {
    await core.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const decode = await decodeBench();
const compare = compareBench();
const warm = await warmTraceBench();
const result = { summary: { decode, compare, warmTrace: warm } };
writeResult(out, result);
console.log(JSON.stringify(result.summary, null, 2));
