import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { capturesOf, summarizePacket, type PacketSummary } from '../../api/packets.js';
import { z } from 'zod';
import { RunVariantSchema, type RunVariant } from '../../api/sessions.js';
import { FiveTupleSchema, PacketPathSchema, type PacketPath } from '../../api/trace.js';
import { formatIssues } from '../../api/validate.js';
import { packetVariantKey, pathVariants, variantKey } from '../../api/path-variants.js';
import { isPlaceEntry, isVerdictKind, placeNames, placeOf, type PlaceEntry } from './run-index-places.js';
import { CoreError } from '../errors.js';

/**
 * One run's packets on disk (docs/SESSION-FORMAT.md, "Run files"): a fixed 27-byte header naming the length of
 * an index, the index (JSON: the packet list's columns, every path variant, each packet's byte offset), then the
 * packets as NDJSON. Opening a run reads the header and the index only; a packet is one positioned read and one
 * small JSON.parse. Run files are written once under a fresh name and never changed.
 */
export const RUN_FILE_MAGIC = 'pktpath-run 2 ';
const MAGIC = RUN_FILE_MAGIC;
const HEADER_BYTES = MAGIC.length + 12 + 1;

/** Column-wise summaries of a run's packets, in capture order (index `i` is the i-th packet). */
export interface RunIndexDoc {
  count: number;
  hops: number;
  dropped: number;
  /** Every variant, most frequent first (ties: earliest first packet). */
  variants: RunVariant[];
  id: number[];
  nhops: number[];
  first: number[];
  dur: number[];
  ifch: number[];
  variant: number[];
  /** Index into `drops`, or -1. */
  drop: number[];
  /** Index into `tuples`, or -1. */
  tuple: number[];
  /** Index into `functions`. */
  last: number[];
  /** Capture records (packet bytes) per packet; absent in run files written before capture existed (= none). */
  cap?: number[];
  /** PACKET_FLAGS per packet (cut, partial); absent in run files written before they were kept (= none). */
  flags?: number[];
  /** Index into `verdicts` (the packet's verdict kind), or -1; absent in run files written before (see packet-facets). */
  verdict?: number[];
  verdicts?: string[];
  /** Index into `places` (interfaces and namespaces passed); absent in run files written before. */
  place?: number[];
  places?: PlaceEntry[];
  drops: string[];
  tuples: PacketSummary['tuple'][];
  functions: string[];
  /** count + 1 byte offsets into the NDJSON section. */
  offsets: number[];
}

/** Bits of a run file's `flags` column: what a packet's summary says of how it was seen. */
export const PACKET_FLAGS = { cut: 1, partial: 2 } as const;

/** A packet summary's cut/partial marks as the `flags` column stores them. */
export function packetFlags(s: Pick<PacketSummary, 'cut' | 'partial'>): number {
  return (s.cut ? PACKET_FLAGS.cut : 0) | (s.partial ? PACKET_FLAGS.partial : 0);
}

/** Encodes a run's packets as a run file; also returns the index (the session metadata copies its totals). */
export function encodeRunFile(packets: readonly PacketPath[]): { data: Buffer; index: RunIndexDoc } {
  const variants = pathVariants(packets);
  const variantOf = new Map<string, number>();
  variants.forEach((v, i) => variantOf.set(variantKey(v.functions, v, v.partial), i));
  const dropped = new Array<number>(variants.length).fill(0);
  const interned = <T>(table: T[], map: Map<string, number>, key: string, value: T) => {
    let i = map.get(key);
    if (i === undefined) map.set(key, (i = table.push(value) - 1));
    return i;
  };
  const doc: RunIndexDoc = {
    count: packets.length,
    hops: 0,
    dropped: 0,
    variants: [],
    id: [],
    nhops: [],
    first: [],
    dur: [],
    ifch: [],
    variant: [],
    drop: [],
    tuple: [],
    last: [],
    cap: [],
    flags: [],
    verdict: [],
    verdicts: [],
    place: [],
    places: [],
    drops: [],
    tuples: [],
    functions: [],
    offsets: [0],
  };
  const dropIx = new Map<string, number>();
  const tupleIx = new Map<string, number>();
  const fnIx = new Map<string, number>();
  const verdictIx = new Map<string, number>();
  const placeIx = new Map<string, number>();
  const lines: Buffer[] = [];
  let at = 0;
  for (const p of packets) {
    const v = variantOf.get(packetVariantKey(p)) ?? 0; // every key is there
    const s = summarizePacket(p, v);
    doc.hops += s.hops;
    if (s.drop_reason) {
      doc.dropped++;
      dropped[v] = (dropped[v] ?? 0) + 1;
    }
    doc.id.push(s.id);
    doc.nhops.push(s.hops);
    doc.first.push(s.first_ts_ns);
    doc.dur.push(s.duration_ns);
    doc.ifch.push(s.if_changes);
    doc.variant.push(v);
    doc.drop.push(s.drop_reason === null ? -1 : interned(doc.drops, dropIx, s.drop_reason, s.drop_reason));
    doc.tuple.push(s.tuple ? interned(doc.tuples, tupleIx, JSON.stringify(s.tuple), s.tuple) : -1);
    doc.last.push(interned(doc.functions, fnIx, s.last_function, s.last_function));
    doc.cap?.push(capturesOf(p).length);
    doc.flags?.push(packetFlags(s));
    doc.verdict?.push(s.verdict ? interned(doc.verdicts ?? [], verdictIx, s.verdict, s.verdict) : -1);
    const place = placeOf(p);
    doc.place?.push(interned(doc.places ?? [], placeIx, place.key, place.entry));
    const line = Buffer.from(JSON.stringify(p) + '\n', 'utf8');
    lines.push(line);
    at += line.length;
    doc.offsets.push(at);
  }
  doc.variants = variants.map((v, i) => ({
    functions: v.functions,
    count: v.count,
    dropped: dropped[i] ?? 0,
    firstPacket: v.packet_ids[0] ?? 0,
    ...(v.drop_reason ? { drop_reason: v.drop_reason } : {}),
    ...(v.verdict ? { verdict: v.verdict } : {}),
    ...(v.partial ? { partial: v.partial } : {}),
  }));
  const index = Buffer.from(JSON.stringify(doc), 'utf8');
  const header = Buffer.from(`${MAGIC}${String(index.length).padStart(12, '0')}\n`, 'latin1');
  return { data: Buffer.concat([header, index, ...lines]), index: doc };
}

export class RunFileError extends Error {}

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
      const { index, dataStart } = readIndex(size, (at, length) => {
        const buf = Buffer.alloc(length);
        return buf.subarray(0, readSync(fd, buf, 0, length, at));
      });
      return new RunFile(path, index, dataStart);
    } finally {
      closeSync(fd);
    }
  }

  /** Checks a whole run file held in memory (an import) the way `open` checks one on disk. */
  static check(buf: Buffer): RunIndexDoc {
    return readIndex(buf.length, (at, length) => buf.subarray(at, at + length)).index;
  }

  get count(): number {
    return this.index.count;
  }

  summary(i: number): PacketSummary {
    const x = this.index;
    const n = (col: readonly number[]) => col[i] ?? 0; // the index was checked on open
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
    const head = Buffer.alloc(HEADER_BYTES);
    readSync(fd, head, 0, HEADER_BYTES, 0);
    const text = head.toString('latin1');
    if (!text.startsWith(MAGIC)) throw new RunFileError('not a pktpath run file (bad header)');
    let pos = HEADER_BYTES + Number(text.slice(MAGIC.length, -1));
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

function readIndex(
  size: number,
  read: (at: number, length: number) => Buffer,
): { index: RunIndexDoc; dataStart: number } {
  const text = read(0, HEADER_BYTES).toString('latin1');
  if (!text.startsWith(MAGIC) || !/^\d{12}\n$/.test(text.slice(MAGIC.length)))
    throw new RunFileError('not a pktpath run file (bad header)');
  const length = Number(text.slice(MAGIC.length, -1));
  const buf = read(HEADER_BYTES, length);
  if (buf.length !== length) throw new RunFileError('index cut short');
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new RunFileError(`index is not JSON: ${(e as Error).message}`);
  }
  const index = checkIndex(doc);
  const dataStart = HEADER_BYTES + length;
  const end = dataStart + (index.offsets[index.count] ?? 0);
  if (end !== size) throw new RunFileError(`${size} bytes where the index promises ${end}`);
  return { index, dataStart };
}

const COLUMNS = ['id', 'nhops', 'first', 'dur', 'ifch', 'variant', 'drop', 'tuple', 'last'] as const;

/** Structural checks (lengths, finite numbers, table references) without a per-element schema walk. */
function checkIndex(raw: unknown): RunIndexDoc {
  const fail = (what: string): never => {
    throw new RunFileError(`bad index: ${what}`);
  };
  if (typeof raw !== 'object' || raw === null) return fail('not an object');
  const doc = raw as RunIndexDoc;
  const n = doc.count;
  if (!Number.isInteger(n) || n < 0) fail('count');
  for (const c of COLUMNS) {
    const col = doc[c] as unknown;
    if (!Array.isArray(col) || col.length !== n) fail(`column ${c} is not ${n} long`);
    for (const v of col as unknown[]) if (typeof v !== 'number' || !Number.isFinite(v)) fail(`column ${c}`);
  }
  for (const c of ['cap', 'flags'] as const) {
    const col = doc[c] as unknown;
    if (col === undefined) continue;
    if (!Array.isArray(col) || col.length !== n) fail(`column ${c} is not ${n} long`);
    for (const v of col as unknown[]) if (!Number.isInteger(v) || (v as number) < 0) fail(`column ${c}`);
  }
  if (!Array.isArray(doc.offsets) || doc.offsets.length !== n + 1 || doc.offsets[0] !== 0) fail('offsets');
  for (let i = 0; i < n; i++)
    if (!((doc.offsets[i + 1] ?? 0) > (doc.offsets[i] ?? 0))) fail('offsets not increasing');
  checkTableColumn(doc.verdict, doc.verdicts, n, isVerdictKind, 'verdict', fail);
  checkTableColumn(doc.place, doc.places, n, isPlaceEntry, 'place', fail);
  if (!z.array(RunVariantSchema).safeParse(doc.variants).success) fail('variants');
  if (!Array.isArray(doc.functions) || !Array.isArray(doc.drops)) fail('tables');
  if (!Array.isArray(doc.tuples) || !doc.tuples.every((t) => FiveTupleSchema.safeParse(t).success))
    fail('tuples');
  for (let i = 0; i < n; i++)
    if (
      !((doc.variant[i] ?? -1) >= 0 && (doc.variant[i] ?? 0) < doc.variants.length) ||
      !((doc.last[i] ?? -1) >= 0 && (doc.last[i] ?? 0) < doc.functions.length) ||
      !((doc.drop[i] ?? 0) < doc.drops.length) ||
      !((doc.tuple[i] ?? 0) < doc.tuples.length)
    )
      fail(`packet ${i} refers to a missing table entry`);
  return doc;
}

/** An optional column of indexes (-1 = none) into its table, whose entries pass `ok`. */
function checkTableColumn(
  col: unknown,
  table: unknown,
  n: number,
  ok: (v: unknown) => boolean,
  name: string,
  fail: (what: string) => never,
): void {
  if (col === undefined && table === undefined) return;
  if (!Array.isArray(table) || !table.every(ok)) fail(`table of column ${name}`);
  if (!Array.isArray(col) || col.length !== n) fail(`column ${name} is not ${n} long`);
  const size = (table as unknown[]).length;
  for (const v of col as unknown[])
    if (!Number.isInteger(v) || (v as number) < -1 || (v as number) >= size) fail(`column ${name}`);
}

/** The core error for a run file that cannot be read (the session's metadata still opens). */
export function runFileProblem(path: string, e: unknown): CoreError {
  return new CoreError('corrupt-file', `${path} is corrupt (${(e as Error).message})`, { file: path });
}
