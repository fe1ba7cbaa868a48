import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { isDropped } from '../../api/explain.js';
import { capturesOf, summarizePacket, type PacketSummary } from '../../api/packets.js';
import { PacketPathSchema, type PacketPath } from '../../api/trace.js';
import { formatIssues } from '../../api/validate.js';
import { packetVariantKey, pathVariants, variantKey } from '../../api/path-variants.js';
import { explainPackets, type ExplainOptions } from '../explain/explain-packets.js';
import { isVerdictKind, placeNames, placeOf, type PlaceEntry } from './run-index-places.js';
import {
  encodeRunIndex,
  readRunIndex,
  runDataStart,
  RunIndexError,
  type RunIndexDoc,
  type RunIndexMeta,
} from './run-index.js';
import { CoreError } from '../errors.js';

/**
 * One run's packets on disk (docs/SESSION-FORMAT.md, "Run files"): a fixed 27-byte header, the index (run-index.ts:
 * tables as JSON, the packet list's columns as binary, each packet's byte offset), then the packets as NDJSON.
 * Opening a run reads the header and the index only; a packet is one positioned read and one small JSON.parse.
 * Run files are written once under a fresh name and never changed.
 */
export { RUN_FILE_MAGIC, type RunIndexDoc } from './run-index.js';

/** Bits of a run file's `flags` column: what a packet's summary says of how it was seen. */
export const PACKET_FLAGS = { cut: 1, partial: 2 } as const;

/** A packet summary's cut/partial marks as the `flags` column stores them. */
export function packetFlags(s: Pick<PacketSummary, 'cut' | 'partial'>): number {
  return (s.cut ? PACKET_FLAGS.cut : 0) | (s.partial ? PACKET_FLAGS.partial : 0);
}

/** Encodes a run's packets as a run file; also returns the index (the session metadata copies its totals). The
 * `verdict` column holds each packet's verdict as explainPackets gives it over the file (`o`: the run's kernel). */
export function encodeRunFile(
  packets: readonly PacketPath[],
  o: ExplainOptions,
): { data: Buffer; index: RunIndexDoc } {
  const variants = pathVariants(packets);
  const variantOf = new Map<string, number>();
  variants.forEach((v, i) => variantOf.set(variantKey(v.functions, v, v.partial), i));
  const dropped = new Array<number>(variants.length).fill(0);
  const interned = <T>(table: T[], map: Map<string, number>, key: string, value: T) => {
    let i = map.get(key);
    if (i === undefined) map.set(key, (i = table.push(value) - 1));
    return i;
  };
  const meta: Required<RunIndexMeta> = {
    count: packets.length,
    hops: 0,
    dropped: 0,
    variants: [],
    drops: [],
    tuples: [],
    functions: [],
    verdicts: [],
    places: [],
  };
  const n = packets.length;
  const col = {
    id: new Uint32Array(n),
    nhops: new Uint32Array(n),
    first: new Float64Array(n),
    dur: new Float64Array(n),
    ifch: new Uint32Array(n),
    variant: new Uint32Array(n),
    drop: new Int32Array(n),
    tuple: new Int32Array(n),
    last: new Int32Array(n),
    cap: new Uint32Array(n),
    flags: new Uint32Array(n),
    verdict: new Int32Array(n),
    place: new Int32Array(n),
    offsets: new Float64Array(n + 1),
  };
  const ix = { drop: new Map(), tuple: new Map(), fn: new Map(), verdict: new Map(), place: new Map() };
  const lines: Buffer[] = [];
  const explained = explainPackets(packets, o);
  packets.forEach((p, i) => {
    const v = variantOf.get(packetVariantKey(p)) ?? 0; // every key is there
    const s = summarizePacket(explained.next().value ?? p, v); // the same packet, in order, with its verdict
    meta.hops += s.hops;
    if (isDropped(s)) {
      meta.dropped++;
      dropped[v] = (dropped[v] ?? 0) + 1;
    }
    col.id[i] = s.id;
    col.nhops[i] = s.hops;
    col.first[i] = s.first_ts_ns;
    col.dur[i] = s.duration_ns;
    col.ifch[i] = s.if_changes;
    col.variant[i] = v;
    col.drop[i] = s.drop_reason === null ? -1 : interned(meta.drops, ix.drop, s.drop_reason, s.drop_reason);
    col.tuple[i] = s.tuple ? interned(meta.tuples, ix.tuple, JSON.stringify(s.tuple), s.tuple) : -1;
    col.last[i] = interned(meta.functions, ix.fn, s.last_function, s.last_function);
    col.cap[i] = capturesOf(p).length;
    col.flags[i] = packetFlags(s);
    col.verdict[i] = s.verdict ? interned(meta.verdicts, ix.verdict, s.verdict, s.verdict) : -1;
    const place = placeOf(p);
    col.place[i] = interned<PlaceEntry>(meta.places, ix.place, place.key, place.entry);
    const line = Buffer.from(JSON.stringify(p) + '\n', 'utf8');
    lines.push(line);
    col.offsets[i + 1] = (col.offsets[i] ?? 0) + line.length;
  });
  meta.variants = variants.map((v, i) => ({
    functions: v.functions,
    count: v.count,
    dropped: dropped[i] ?? 0,
    firstPacket: v.packet_ids[0] ?? 0,
    ...(v.drop_reason ? { drop_reason: v.drop_reason } : {}),
    ...(v.verdict ? { verdict: v.verdict } : {}),
    ...(v.partial ? { partial: v.partial } : {}),
  }));
  return { data: Buffer.concat([...encodeRunIndex(meta, col), ...lines]), index: { ...meta, ...col } };
}

/** A run file that cannot be read as one: its index (RunIndexError) or a packet line. */
export class RunFileError extends RunIndexError {}

/** Reads a run file's header and index (and validates their shape); packets are read on demand. */
export class RunFile {
  /** Positions sorted by packet id (a typed array: a Map of a million-packet run would cost ~100 MB). */
  private byId: Uint32Array | undefined;

  private constructor(
    readonly path: string,
    readonly index: RunIndexDoc,
    private readonly dataStart: number,
  ) {}

  static open(path: string): RunFile {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      const { index, dataStart } = readRunIndex(size, (at, into) => readFully(fd, into, at));
      return new RunFile(path, index, dataStart);
    } finally {
      closeSync(fd);
    }
  }

  /** Checks a whole run file held in memory (an import) the way `open` checks one on disk. */
  static check(buf: Buffer): RunIndexDoc {
    return readRunIndex(buf.length, fromBuffer(buf)).index;
  }

  get count(): number {
    return this.index.count;
  }

  summary(i: number): PacketSummary {
    const x = this.index;
    const n = (col: ArrayLike<number>) => col[i] ?? 0; // the index was checked on open
    const drop = x.drop[i] ?? -1;
    const tuple = x.tuple[i] ?? -1;
    const firstFn = x.variants[n(x.variant)]?.functions[0];
    const verdict = x.verdicts?.[x.verdict?.[i] ?? -1];
    return {
      id: n(x.id),
      hops: n(x.nhops),
      first_ts_ns: n(x.first),
      duration_ns: n(x.dur),
      tuple: tuple < 0 ? null : (x.tuples[tuple] ?? null),
      drop_reason: drop < 0 ? null : (x.drops[drop] ?? null),
      if_changes: n(x.ifch),
      last_function: x.functions[n(x.last)] ?? '',
      variant: n(x.variant),
      ...(x.cap?.[i] ? { captured: true } : {}),
      ...((x.flags?.[i] ?? 0) & PACKET_FLAGS.cut ? { cut: true } : {}),
      ...((x.flags?.[i] ?? 0) & PACKET_FLAGS.partial ? { partial: true } : {}),
      ...(firstFn !== undefined ? { first_function: firstFn } : {}),
      ...(isVerdictKind(verdict) ? { verdict } : {}),
      ...placeNames(x.places?.[x.place?.[i] ?? -1]),
    };
  }

  /** Packets with captured bytes (from the index alone). */
  get captured(): number {
    return this.index.cap?.reduce((a, c) => a + (c > 0 ? 1 : 0), 0) ?? 0;
  }

  /** Position of packet `id` in capture order, or undefined. */
  positionOf(id: number): number | undefined {
    const ids = this.index.id;
    if (!this.byId) {
      const order = new Uint32Array(this.count);
      for (let i = 0; i < order.length; i++) order[i] = i;
      this.byId = order.sort((a, b) => (ids[a] ?? 0) - (ids[b] ?? 0) || a - b);
    }
    let lo = 0;
    let hi = this.byId.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((ids[this.byId[mid] ?? 0] ?? 0) < id) lo = mid + 1;
      else hi = mid;
    }
    const at = this.byId[lo];
    return at !== undefined && ids[at] === id ? at : undefined;
  }

  /** The i-th packet with its hops: one read of its NDJSON line. */
  packetAt(i: number): PacketPath {
    const from = this.index.offsets[i] ?? 0;
    const to = this.index.offsets[i + 1] ?? 0;
    const buf = Buffer.alloc(to - from);
    const fd = openSync(this.path, 'r');
    try {
      if (readSync(fd, buf, 0, buf.length, this.dataStart + from) !== buf.length)
        throw new RunFileError(`packet ${i} is cut short`);
    } finally {
      closeSync(fd);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(buf.toString('utf8'));
    } catch (e) {
      throw new RunFileError(`packet ${i} is not JSON: ${(e as Error).message}`);
    }
    const r = PacketPathSchema.safeParse(raw);
    if (!r.success) throw new RunFileError(formatIssues(`packet ${i}`, r.error.issues));
    return r.data;
  }

  /** Every packet, in capture order (an export or a report of a whole run). */
  *packets(): Generator<PacketPath> {
    for (let i = 0; i < this.count; i++) yield this.packetAt(i);
  }
}

/**
 * Every packet of a run file in capture order, read straight through the packet lines without the index (so a
 * run of millions of packets streams in constant memory). The lines are this pktpath's own output: parsed only.
 */
export function* streamRunPackets(path: string): Generator<PacketPath> {
  const fd = openSync(path, 'r');
  try {
    let pos = runDataStart((at, into) => readFully(fd, into, at));
    const buf = Buffer.alloc(1 << 20);
    const utf8 = new StringDecoder('utf8'); // a character may straddle two reads
    let rest = '';
    for (let n; (n = readSync(fd, buf, 0, buf.length, pos)) > 0; pos += n) {
      const lines = (rest + utf8.write(buf.subarray(0, n))).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line) yield JSON.parse(line) as PacketPath;
    }
    if (rest) throw new RunFileError('the last packet is cut short');
  } finally {
    closeSync(fd);
  }
}

/** Fills `into` from byte `at` of `fd` (a regular file: short only at its end); returns the bytes read. */
function readFully(fd: number, into: Uint8Array, at: number): number {
  let got = 0;
  for (let n; got < into.length && (n = readSync(fd, into, got, into.length - got, at + got)) > 0;) got += n;
  return got;
}

/** `readRunIndex`'s reader over a run file held in memory. */
const fromBuffer = (buf: Buffer) => (at: number, into: Uint8Array) => {
  const part = buf.subarray(at, at + into.length);
  into.set(part);
  return part.length;
};

/** The core error for a run file that cannot be read (the session's metadata still opens). */
export function runFileProblem(path: string, e: unknown): CoreError {
  return new CoreError('corrupt-file', `${path} is corrupt (${(e as Error).message})`, { file: path });
}
