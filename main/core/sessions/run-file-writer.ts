import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isDropped } from '../../api/explain.js';
import { summarizePacket, capturesOf, type PacketSummary } from '../../api/packets.js';
import { MAX_LISTED_VARIANTS, type RunVariant } from '../../api/sessions.js';
import type { PacketPath } from '../../api/trace.js';
import { packetFlags } from './run-file.js';
import { columnBytes, RUN_COLUMNS, runHeader, type RunColumnName } from './run-index.js';
import { placeOf } from './run-index-places.js';
import { ExplainWindow, withVerdict, type ExplainOptions } from '../explain/explain-packets.js';

/** What a finished run file adds up to: the totals a session's metadata copies, and where the file is. */
export interface RecordedRun {
  file: string;
  packets: number;
  hops: number;
  dropped: number;
  firstTsNs: number;
  /** The most frequent variants (at most MAX_LISTED_VARIANTS); `variantCount` counts all. */
  variants: RunVariant[];
  variantCount: number;
}

/** One packet's index row on the row spool: first, dur, end offset (f64) · id, nhops, ifch, variant, cap (u32) ·
 * drop, tuple, last (i32) · flags (u32) · verdict, place (i32). Fixed size, so the columns are read back one at a
 * time with constant memory. */
const ROW = 68;
const F64 = { first: 0, dur: 8, end: 16 } as const;
const U32 = { id: 24, nhops: 28, ifch: 32, variant: 36, cap: 52, flags: 56 } as const;
const I32 = { drop: 40, tuple: 44, last: 48, verdict: 60, place: 64 } as const;
const FLUSH_BYTES = 1 << 20;
const ROWS_PER_CHUNK = 1 << 14;

/** A packet's row fields known at append; its verdict comes when the explain window lets it go. */
interface PendingRow {
  order: number;
  cap: number;
  end: number;
  place: string;
}

interface VariantAcc {
  functions: string[];
  partial: boolean;
  count: number;
  dropped: number;
  firstPacket: number;
  order: number;
}

/** Buffered appends of text to a file descriptor (sync: the callers are sync, and the OS page cache absorbs it).
 * Text is joined and encoded once per flush: no Buffer per line to collect later. */
class Appender {
  private parts: string[] = [];
  private size = 0;
  written = 0;
  constructor(readonly fd: number) {}
  /** Appends `text` (`bytes` = its UTF-8 length, when the caller has it). */
  write(text: string, bytes = Buffer.byteLength(text)): void {
    this.parts.push(text);
    this.size += bytes;
    if (this.size >= FLUSH_BYTES) this.flush();
  }
  flush(): void {
    if (!this.size) return;
    writeAll(this.fd, Buffer.from(this.parts.join(''), 'utf8'));
    this.written += this.size;
    this.parts = [];
    this.size = 0;
  }
}

/** Fixed-size rows filled in place in one reused buffer, written out when it is full. */
class RowAppender {
  private readonly buf = Buffer.allocUnsafe(ROW * ROWS_PER_CHUNK);
  private used = 0;
  constructor(readonly fd: number) {}
  /** The offset of a fresh row in `this.rowBuf`, valid until the next call. */
  next(): number {
    if (this.used === this.buf.length) this.flush();
    const at = this.used;
    this.used += ROW;
    return at;
  }
  get rowBuf(): Buffer {
    return this.buf;
  }
  flush(): void {
    writeAll(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
}

/**
 * Writes a run file (docs/SESSION-FORMAT.md, "Run files") while the run is still tracing, in constant memory: each
 * packet's NDJSON line goes to a data spool as it completes, and its index row (fixed size) to a row spool once
 * the explain window (`EXPLAIN_LOOKAHEAD` packets) gives its verdict — the same one a reader computes; only the
 * window, the interned tables (functions, drop reasons, 5-tuples) and the variants stay in memory. `finish` writes the header
 * and the index (its columns in binary from the row spool) and appends the data, as a temp file renamed into place.
 */
export class RunFileWriter {
  private readonly dataPath: string;
  private readonly rowPath: string;
  private readonly data: Appender;
  private readonly rows: RowAppender;
  private count = 0;
  /** Bytes of the data section so far (the next packet's offset). */
  private dataEnd = 0;
  private hops = 0;
  private dropped = 0;
  private firstTsNs: number | undefined;
  private readonly variants = new Map<string, VariantAcc>();
  /** The variants by provisional number (`order`), for counting drops once a row's verdict is known. */
  private readonly byOrder: VariantAcc[] = [];
  private readonly tables = {
    drops: new Map<string, number>(),
    tuples: new Map<string, number>(),
    functions: new Map<string, number>(),
    verdicts: new Map<string, number>(),
    places: new Map<string, number>(),
  };
  private closed = false;
  /** Packets whose line is written and whose row waits for their verdict (their clones may follow them). */
  private window: ExplainWindow | undefined;
  private readonly pending: PendingRow[] = [];

  /**
   * `path`: where the finished run file goes; the spools are hidden files beside it. `explainOptions`: how the
   * packets are explained for the `verdict` column (asked at the first packet: the kernel is known by then).
   */
  constructor(
    readonly path: string,
    private readonly explainOptions: () => ExplainOptions,
  ) {
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const dir = join(path, '..');
    this.dataPath = join(dir, `.run-data.tmp-${tag}`);
    this.rowPath = join(dir, `.run-rows.tmp-${tag}`);
    this.data = new Appender(openSync(this.dataPath, 'wx', 0o600));
    this.rows = new RowAppender(openSync(this.rowPath, 'wx', 0o600));
  }

  get packets(): number {
    return this.count;
  }

  append(p: PacketPath): void {
    if (this.closed) return;
    const functions = p.hops.map((h) => h.function);
    const partial = Boolean(p.partial || p.cut);
    const key = `${partial ? 'p' : 'c'}\n${functions.join('\n')}`;
    let v = this.variants.get(key);
    if (!v) {
      v = { functions, partial, count: 0, dropped: 0, firstPacket: p.id, order: this.variants.size };
      this.variants.set(key, v);
      this.byOrder.push(v);
    }
    const s = summarizePacket(p, v.order);
    v.count++;
    this.hops += s.hops;
    this.firstTsNs ??= s.first_ts_ns;
    const line = JSON.stringify(p) + '\n';
    const bytes = Buffer.byteLength(line);
    this.dataEnd += bytes;
    this.data.write(line, bytes);
    this.count++;
    // the row waits in the explain window (FIFO, like the lines) until the packet's verdict is known
    this.pending.push({
      order: v.order,
      cap: capturesOf(p).length,
      end: this.dataEnd,
      place: placeOf(p).key,
    });
    this.window ??= new ExplainWindow(this.explainOptions(), withVerdict);
    const out = this.window.push(p);
    if (out) this.rowOf(out.packet);
  }

  /** The oldest pending row, now with the explained packet's verdict. */
  private rowOf(explained: PacketPath): void {
    const r = this.pending.shift() as PendingRow;
    this.row(summarizePacket(explained, r.order), r.cap, r.end, r.place);
  }

  private row(s: PacketSummary, cap: number, end: number, place: string): void {
    // counted by the verdict, as every face counts drops (api/explain.ts isDropped)
    if (isDropped(s)) {
      this.dropped++;
      const v = this.byOrder[s.variant];
      if (v) v.dropped++;
    }
    const intern = (map: Map<string, number>, key: string) => {
      let i = map.get(key);
      if (i === undefined) map.set(key, (i = map.size));
      return i;
    };
    const at = this.rows.next();
    const b = this.rows.rowBuf;
    b.writeDoubleLE(s.first_ts_ns, at + F64.first);
    b.writeDoubleLE(s.duration_ns, at + F64.dur);
    b.writeDoubleLE(end, at + F64.end);
    b.writeUInt32LE(s.id, at + U32.id);
    b.writeUInt32LE(s.hops, at + U32.nhops);
    b.writeUInt32LE(s.if_changes, at + U32.ifch);
    b.writeUInt32LE(s.variant, at + U32.variant);
    b.writeUInt32LE(cap, at + U32.cap);
    b.writeUInt32LE(packetFlags(s), at + U32.flags);
    b.writeInt32LE(s.drop_reason === null ? -1 : intern(this.tables.drops, s.drop_reason), at + I32.drop);
    b.writeInt32LE(s.tuple ? intern(this.tables.tuples, JSON.stringify(s.tuple)) : -1, at + I32.tuple);
    b.writeInt32LE(intern(this.tables.functions, s.last_function), at + I32.last);
    b.writeInt32LE(s.verdict ? intern(this.tables.verdicts, s.verdict) : -1, at + I32.verdict);
    b.writeInt32LE(intern(this.tables.places, place), at + I32.place);
  }

  /** Variants in the run file's order (complete before partial, most frequent first, then earliest first packet),
   * and the map from each packet's provisional variant number to its final position. */
  private sortedVariants(): { list: VariantAcc[]; final: Uint32Array } {
    const list = [...this.variants.values()].sort(
      (x, y) => Number(x.partial) - Number(y.partial) || y.count - x.count || x.firstPacket - y.firstPacket,
    );
    const final = new Uint32Array(list.length);
    list.forEach((v, i) => (final[v.order] = i));
    return { list, final };
  }

  /** Completes the run file at `path` (atomic: temp file, fsync, rename) and removes the spools. */
  finish(): RecordedRun {
    if (this.closed) throw new Error('run file already finished');
    this.closed = true;
    // the run's last packets with what its end says (the loader's done record: did the packet limit stop it?)
    for (const g of this.window?.drain(this.explainOptions()) ?? []) this.rowOf(g.packet);
    this.data.flush();
    this.rows.flush();
    const { list, final } = this.sortedVariants();
    const variants: RunVariant[] = list.map((v) => ({
      functions: v.functions,
      count: v.count,
      dropped: v.dropped,
      firstPacket: v.firstPacket,
    }));
    const tmp = `${this.path}.tmp-${randomBytes(4).toString('hex')}`;
    const indexPath = `${this.rowPath}.index`;
    try {
      const indexBytes = this.writeIndex(indexPath, variants, final);
      const out = openSync(tmp, 'wx', 0o600);
      try {
        writeSync(out, runHeader(indexBytes));
        copyInto(out, indexPath);
        copyInto(out, this.dataPath);
        fsyncSync(out);
      } finally {
        closeSync(out);
      }
      renameSync(tmp, this.path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    } finally {
      rmSync(indexPath, { force: true });
      this.removeSpools();
    }
    return {
      file: this.path,
      packets: this.count,
      hops: this.hops,
      dropped: this.dropped,
      firstTsNs: this.firstTsNs ?? 0,
      variants: variants.slice(0, MAX_LISTED_VARIANTS),
      variantCount: variants.length,
    };
  }

  /** Drops a run file that will never be finished. */
  abort(): void {
    this.closed = true;
    this.removeSpools();
  }

  private removeSpools(): void {
    for (const a of [this.data, this.rows])
      try {
        closeSync(a.fd);
      } catch {
        // already closed
      }
    rmSync(this.dataPath, { force: true });
    rmSync(this.rowPath, { force: true });
  }

  /** The index (run-index.ts) written to `path`: its JSON, then each column from the row spool in binary, a chunk
   * at a time. Returns the JSON's length in bytes (the header names it). */
  private writeIndex(path: string, variants: RunVariant[], final: Uint32Array): number {
    const fd = openSync(path, 'wx', 0o600);
    try {
      const keys = (m: Map<string, number>) => [...m.keys()];
      const json = Buffer.from(
        JSON.stringify({
          count: this.count,
          hops: this.hops,
          dropped: this.dropped,
          variants,
          drops: keys(this.tables.drops),
          tuples: keys(this.tables.tuples).map((t) => JSON.parse(t) as unknown),
          functions: keys(this.tables.functions),
          verdicts: keys(this.tables.verdicts),
          places: keys(this.tables.places).map((t) => JSON.parse(t) as unknown),
        }),
        'utf8',
      );
      writeAll(fd, json);
      const value: Record<RunColumnName, (row: Buffer, at: number) => number> = {
        id: (r, at) => r.readUInt32LE(at + U32.id),
        nhops: (r, at) => r.readUInt32LE(at + U32.nhops),
        first: (r, at) => r.readDoubleLE(at + F64.first),
        dur: (r, at) => r.readDoubleLE(at + F64.dur),
        ifch: (r, at) => r.readUInt32LE(at + U32.ifch),
        variant: (r, at) => final[r.readUInt32LE(at + U32.variant)] ?? 0,
        drop: (r, at) => r.readInt32LE(at + I32.drop),
        tuple: (r, at) => r.readInt32LE(at + I32.tuple),
        last: (r, at) => r.readInt32LE(at + I32.last),
        cap: (r, at) => r.readUInt32LE(at + U32.cap),
        flags: (r, at) => r.readUInt32LE(at + U32.flags),
        verdict: (r, at) => r.readInt32LE(at + I32.verdict),
        place: (r, at) => r.readInt32LE(at + I32.place),
        offsets: (r, at) => r.readDoubleLE(at + F64.end),
      };
      for (const [name, type] of RUN_COLUMNS) {
        const Typed = type === 'f64' ? Float64Array : type === 'u32' ? Uint32Array : Int32Array;
        if (name === 'offsets') writeAll(fd, columnBytes(new Float64Array([0])));
        this.forEachChunk((buf, rows) => {
          const vals = new Typed(rows);
          for (let i = 0; i < rows; i++) vals[i] = value[name](buf, i * ROW);
          writeAll(fd, columnBytes(vals));
        });
      }
      return json.length;
    } finally {
      closeSync(fd);
    }
  }

  private forEachChunk(fn: (buf: Buffer, rows: number) => void): void {
    const fd = openSync(this.rowPath, 'r');
    const buf = Buffer.allocUnsafe(ROW * ROWS_PER_CHUNK);
    try {
      for (let pos = 0; ;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n < ROW) break;
        const rows = Math.floor(n / ROW);
        fn(buf, rows);
        pos += rows * ROW;
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Appends the whole of `from` to the open file `fd`, 1 MiB at a time. */
function copyInto(fd: number, from: string): void {
  const src = openSync(from, 'r');
  const buf = Buffer.allocUnsafe(FLUSH_BYTES);
  try {
    for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0;)
      for (let off = 0; off < n;) off += writeSync(fd, buf, off, n - off);
  } finally {
    closeSync(src);
  }
}
