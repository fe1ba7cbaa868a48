import { endianness } from 'node:os';
import { z } from 'zod';
import { RunVariantSchema, type RunVariant } from '../../api/sessions.js';
import { FiveTupleSchema } from '../../api/trace.js';
import type { PacketSummary } from '../../api/packets.js';
import { FileFormatError } from '../errors.js';
import { isPlaceEntry, isVerdictKind, type PlaceEntry } from './run-index-places.js';

/**
 * A run file's index (docs/SESSION-FORMAT.md, "Run files"): small tables as JSON, then one typed array per column
 * (element `i` is the `i`-th packet). Version 3 stores the columns as little-endian binary, read straight into
 * typed arrays: a run of 1.4 million packets opens in ~100 MB where version 2's JSON columns (still read) took
 * ~450 MB while parsing.
 */
export const RUN_FILE_MAGIC = 'pktpath-run 3 ';
const MAGIC_V2 = 'pktpath-run 2 ';
export const RUN_HEADER_BYTES = RUN_FILE_MAGIC.length + 12 + 1;

const ARRAYS = { u32: Uint32Array, i32: Int32Array, f64: Float64Array } as const;
type ColumnType = keyof typeof ARRAYS;

/** The columns in file order and their element types; `offsets` has `count + 1` elements. */
export const RUN_COLUMNS = [
  ['id', 'u32'],
  ['nhops', 'u32'],
  ['first', 'f64'],
  ['dur', 'f64'],
  ['ifch', 'u32'],
  ['variant', 'u32'],
  ['drop', 'i32'],
  ['tuple', 'i32'],
  ['last', 'i32'],
  ['cap', 'u32'],
  ['flags', 'u32'],
  ['verdict', 'i32'],
  ['place', 'i32'],
  ['offsets', 'f64'],
] as const satisfies readonly (readonly [string, ColumnType])[];
export type RunColumnName = (typeof RUN_COLUMNS)[number][0];
type ColumnArray<N extends RunColumnName> = InstanceType<
  (typeof ARRAYS)[Extract<(typeof RUN_COLUMNS)[number], readonly [N, ColumnType]>[1]]
>;

/** The index's tables and totals (the JSON part). */
export interface RunIndexMeta {
  count: number;
  hops: number;
  dropped: number;
  /** Every variant, most frequent first (ties: earliest first packet). */
  variants: RunVariant[];
  drops: string[];
  tuples: PacketSummary['tuple'][];
  functions: string[];
  verdicts?: string[];
  places?: PlaceEntry[];
}

/** Column-wise summaries of a run's packets, in capture order. `drop`/`tuple`/`verdict`/`place` index their tables
 * (-1: none), `variant` the variants, `last` the functions. Columns absent in version 2 files written before they
 * existed (`cap`, `flags`: none; `verdict`, `place`: computed from the packets) are left out. */
export type RunIndexDoc = RunIndexMeta & {
  [N in Exclude<RunColumnName, 'cap' | 'flags' | 'verdict' | 'place'>]: ColumnArray<N>;
} & { [N in 'cap' | 'flags' | 'verdict' | 'place']?: ColumnArray<N> };

export class RunIndexError extends FileFormatError {}

const fail = (what: string): never => {
  throw new RunIndexError(what);
};
const bad = (what: string): never => fail(`bad index: ${what}`);

/** Header, index JSON and the binary columns of a version 3 run file, ready to be followed by the packet lines. */
export function encodeRunIndex(
  meta: RunIndexMeta,
  columns: { [N in RunColumnName]: ArrayLike<number> },
): Buffer[] {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  return [
    runHeader(json.length),
    json,
    ...RUN_COLUMNS.map(([name, type]) => columnBytes(ARRAYS[type].from(columns[name]))),
  ];
}

export const runHeader = (metaBytes: number) =>
  Buffer.from(`${RUN_FILE_MAGIC}${String(metaBytes).padStart(12, '0')}\n`, 'latin1');

/** A typed array's bytes as the file stores them (little-endian, which is this machine's order: checked below). */
export function columnBytes(a: Uint32Array | Int32Array | Float64Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/** Bytes per packet of all columns (plus 8 for the extra offset): where a version 3 file's packet lines start. */
const ROW_BYTES = RUN_COLUMNS.reduce((a, [, type]) => a + ARRAYS[type].BYTES_PER_ELEMENT, 0);

/** The header and the index JSON: the version, the parsed JSON, and where the columns start. */
function readHead(read: (at: number, into: Uint8Array) => number) {
  if (endianness() !== 'LE') fail('run files are little-endian; this machine is not');
  const head = new Uint8Array(RUN_HEADER_BYTES);
  read(0, head);
  const text = Buffer.from(head).toString('latin1');
  const magic = text.slice(0, RUN_FILE_MAGIC.length);
  if ((magic !== RUN_FILE_MAGIC && magic !== MAGIC_V2) || !/^\d{12}\n$/.test(text.slice(magic.length)))
    fail('not a pktpath run file (bad header)');
  const length = Number(text.slice(magic.length, -1));
  const json = new Uint8Array(length);
  if (read(RUN_HEADER_BYTES, json) !== length) fail('index cut short');
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(json.buffer, json.byteOffset, length).toString('utf8'));
  } catch (e) {
    fail(`index is not JSON: ${(e as Error).message}`);
  }
  return { v2: magic === MAGIC_V2, doc, columnsAt: RUN_HEADER_BYTES + length };
}

/** Where the packet lines start, from the header and the index JSON alone (streaming a run holds no columns). */
export function runDataStart(read: (at: number, into: Uint8Array) => number): number {
  const { v2, doc, columnsAt } = readHead(read);
  if (v2) return columnsAt;
  const count = (doc as { count?: unknown } | null)?.count;
  if (!Number.isInteger(count)) return bad('count');
  return columnsAt + (count as number) * ROW_BYTES + 8;
}

/**
 * Reads and checks a run file's index through `read(at, into)` (fills `into` from byte `at`, returns the bytes
 * read). Returns the index and where the packet lines start. Throws RunIndexError naming what is wrong.
 */
export function readRunIndex(
  size: number,
  read: (at: number, into: Uint8Array) => number,
): { index: RunIndexDoc; dataStart: number } {
  const { v2, doc, columnsAt } = readHead(read);
  const meta = checkMeta(doc);
  // nothing is allocated for columns a file this size cannot hold (a hostile count)
  if (!v2 && columnsAt + meta.count * ROW_BYTES + 8 > size) fail('index cut short');
  let at = columnsAt;
  const index = { ...meta } as RunIndexDoc;
  const cols = index as unknown as Record<string, ColumnArray<RunColumnName>>;
  for (const [name, type] of RUN_COLUMNS) {
    const n = name === 'offsets' ? meta.count + 1 : meta.count;
    if (v2) {
      const raw = (doc as Record<string, unknown>)[name];
      if (raw !== undefined || !OPTIONAL_V2.has(name)) cols[name] = fromJson(raw, type, n, name);
      continue;
    }
    const col = new ARRAYS[type](n);
    const bytes = new Uint8Array(col.buffer);
    if (read(at, bytes) !== bytes.length) fail('index cut short');
    at += bytes.length;
    cols[name] = col;
  }
  checkColumns(index);
  if (v2) {
    // version 2 wrote the verdict a packet carried when written (none, for recorded runs; clones not yet counted):
    // its readers compute them over the file instead (run-verdicts.ts), as for files without the column
    delete index.verdict;
    delete index.verdicts;
  }
  const end = at + (index.offsets[index.count] ?? 0);
  if (end !== size) fail(`${size} bytes where the index promises ${end}`);
  return { index, dataStart: at };
}

const OPTIONAL_V2 = new Set<RunColumnName>(['cap', 'flags', 'verdict', 'place']);

/** A version 2 JSON column as its typed array, each element of the column's type (nothing wraps or truncates). */
function fromJson(raw: unknown, type: ColumnType, n: number, name: string) {
  if (!Array.isArray(raw) || raw.length !== n) return bad(`column ${name} is not ${n} long`);
  const fits =
    type === 'f64'
      ? Number.isFinite
      : (v: number) =>
          Number.isInteger(v) &&
          (type === 'u32' ? v >= 0 && v <= 0xffffffff : v >= -(2 ** 31) && v < 2 ** 31);
  for (const v of raw as unknown[]) if (typeof v !== 'number' || !fits(v)) bad(`column ${name}`);
  return ARRAYS[type].from(raw as number[]);
}

function checkMeta(raw: unknown): RunIndexMeta {
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const doc = raw as RunIndexMeta;
  if (!Number.isInteger(doc.count) || doc.count < 0 || doc.count > 0xffffffff) bad('count');
  if (!z.array(RunVariantSchema).safeParse(doc.variants).success) bad('variants');
  if (!Array.isArray(doc.functions) || !Array.isArray(doc.drops)) bad('tables');
  if (!Array.isArray(doc.tuples) || !doc.tuples.every((t) => FiveTupleSchema.safeParse(t).success))
    bad('tuples');
  if (doc.verdicts !== undefined && !(Array.isArray(doc.verdicts) && doc.verdicts.every(isVerdictKind)))
    bad('table of column verdict');
  if (doc.places !== undefined && !(Array.isArray(doc.places) && doc.places.every(isPlaceEntry)))
    bad('table of column place');
  const { count, hops, dropped, variants, drops, tuples, functions, verdicts, places } = doc;
  return {
    count,
    hops,
    dropped,
    variants,
    drops,
    tuples,
    functions,
    ...(verdicts ? { verdicts } : {}),
    ...(places ? { places } : {}),
  };
}

/** The columns agree with each other and with their tables: times finite, offsets rising, references in range. */
function checkColumns(x: RunIndexDoc): void {
  const n = x.count;
  for (const c of [x.first, x.dur]) for (const v of c) if (!Number.isFinite(v)) bad('a time is not finite');
  if (x.offsets[0] !== 0) bad('offsets');
  for (let i = 0; i < n; i++)
    if (!((x.offsets[i + 1] ?? 0) > (x.offsets[i] ?? 0))) bad('offsets not increasing');
  for (let i = 0; i < n; i++)
    if (
      !((x.variant[i] ?? 0) < x.variants.length) ||
      !((x.last[i] ?? -1) >= 0 && (x.last[i] ?? 0) < x.functions.length) ||
      !((x.drop[i] ?? 0) < x.drops.length) ||
      !((x.tuple[i] ?? 0) < x.tuples.length)
    )
      bad(`packet ${i} refers to a missing table entry`);
  checkTableColumn(x.verdict, x.verdicts, 'verdict');
  checkTableColumn(x.place, x.places, 'place');
}

/** An optional column of indexes (-1 = none) into its table: both there or both absent, every index in range. */
function checkTableColumn(col: Int32Array | undefined, table: unknown[] | undefined, name: string): void {
  if (col === undefined && table === undefined) return;
  if (!col || !table) return bad(`column ${name} without its table`);
  for (const v of col) if (v < -1 || v >= table.length) bad(`column ${name}`);
}
