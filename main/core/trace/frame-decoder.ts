import { CoreError } from '../errors.js';
import { CAPTURE, EVENT, TASK } from './event-layout.js';
import { LoaderProtocolError } from './loader-protocol-error.js';

/** Framing version 1 of `pktpath-loader trace` (docs/LOADER.md): `u32 len · u16 type · u16 0 · payload`, LE. */
export const FRAMING_VERSION = 1;
export const FRAME_HEADER = 8;
/** `struct pktpath_event` of framing 1. */
const MIN_EVENT: number = EVENT.size;
export const FRAME_HELLO = 1;
export const FRAME_EVENT = 2;
export const FRAME_STATUS = 3;
/** Packet bytes (`capture.snaplen`): `struct pktpath_capture`'s 24-byte header, then `caplen` bytes. */
export const FRAME_CAPTURE = 4;
export const CAPTURE_HEADER = CAPTURE.header;
/** The receiving process at a hop: `struct pktpath_task`. */
export const FRAME_TASK = 5;
/** Far above any real frame (a status record with thousands of probes is ~100 KiB): a bigger length is garbage.
 * It also bounds what an incomplete frame can hold in memory. */
export const MAX_FRAME = 4 << 20;
/** The loader's JSON error line (before the hello) is short; this much text without a newline is garbage. */
const MAX_JSON_LINE = 64 << 10;

export interface StatusRecord {
  type: string;
  [key: string]: unknown;
}

export interface FrameSink {
  /** An event payload at `buf[off .. off + eventSize)`; valid only during the call. */
  event(buf: Buffer, off: number): void;
  status(record: StatusRecord): void;
  /** A capture payload at `buf[off .. off + len)`; valid only during the call. */
  capture?(buf: Buffer, off: number, len: number): void;
  /** A task payload (`TASK.size` bytes) at `buf[off ..)`; valid only during the call. */
  task?(buf: Buffer, off: number): void;
}

/**
 * Splits the loader's stdout into frames straight from the chunks SSH delivers: events are handed over as
 * (buffer, offset) without copying or JSON, status and hello frames are parsed as JSON (a few per second).
 * Before the hello, a stdout that starts with `{` is the loader's one-line JSON error (bad config or filter).
 */
export class FrameDecoder {
  private pending: Buffer | undefined;
  private helloSeen = false;
  private jsonText: string | undefined;
  eventSize = MIN_EVENT;

  constructor(private readonly sink: FrameSink) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = undefined;
    }
    if (this.jsonText !== undefined || (!this.helloSeen && buf.length > 0 && buf[0] === 0x7b))
      return this.pushJsonLines(buf);
    let off = 0;
    const end = buf.length;
    while (end - off >= FRAME_HEADER) {
      const len = buf.readUInt32LE(off);
      if (len < FRAME_HEADER || len > MAX_FRAME)
        throw new LoaderProtocolError(`loader stream is corrupt: frame length ${len} at byte ${off}`);
      const type = buf.readUInt16LE(off + 4);
      if (!this.helloSeen && type !== FRAME_HELLO)
        throw new LoaderProtocolError(`loader stream is corrupt: frame type ${type} before the hello`);
      if (end - off < len) break;
      if (type === FRAME_EVENT) {
        if (len - FRAME_HEADER < this.eventSize)
          throw new LoaderProtocolError(`loader event frame of ${len} bytes is shorter than an event`);
        this.sink.event(buf, off + FRAME_HEADER);
      } else if (type === FRAME_HELLO || type === FRAME_STATUS) {
        const rec = parseRecord(buf.toString('utf8', off + FRAME_HEADER, off + len));
        if (type === FRAME_HELLO) this.onHello(rec);
        this.sink.status(rec);
      } else if (type === FRAME_CAPTURE) {
        if (len - FRAME_HEADER < CAPTURE_HEADER)
          throw new LoaderProtocolError(`loader capture frame of ${len} bytes is shorter than its header`);
        this.sink.capture?.(buf, off + FRAME_HEADER, len - FRAME_HEADER);
      } else if (type === FRAME_TASK) {
        if (len - FRAME_HEADER < TASK.size)
          throw new LoaderProtocolError(`loader task frame of ${len} bytes is shorter than a task record`);
        this.sink.task?.(buf, off + FRAME_HEADER);
      } // other types: a later framing revision's additions, skipped by length
      off += len;
    }
    if (off < end) this.pending = Buffer.from(buf.subarray(off));
  }

  private onHello(rec: StatusRecord): void {
    if (rec.framing !== FRAMING_VERSION)
      throw new CoreError(
        'deploy-failed',
        `the loader speaks framing ${String(rec.framing)}, this pktpath reads ${FRAMING_VERSION}`,
      );
    if (rec.eventSize !== undefined) {
      const size = Number(rec.eventSize);
      // the grouper reads the 104 bytes of framing 1's event; a later loader may only append
      if (!Number.isInteger(size) || size < MIN_EVENT || size > MAX_FRAME - FRAME_HEADER)
        throw new LoaderProtocolError(`the loader's hello gives an event size of ${String(rec.eventSize)}`);
      this.eventSize = size;
    }
    this.helloSeen = true;
  }

  private pushJsonLines(buf: Buffer): void {
    this.jsonText = (this.jsonText ?? '') + buf.toString('utf8');
    let nl: number;
    while ((nl = this.jsonText.indexOf('\n')) >= 0) {
      const line = this.jsonText.slice(0, nl).trim();
      this.jsonText = this.jsonText.slice(nl + 1);
      if (line) this.sink.status(parseRecord(line));
    }
    if (this.jsonText.length > MAX_JSON_LINE)
      throw new LoaderProtocolError(
        `loader stream is corrupt: ${this.jsonText.length} bytes of text without a newline`,
      );
  }

  /** Bytes of an incomplete frame left at the end of the stream (0 after a clean exit). */
  get leftover(): number {
    return (this.pending?.length ?? 0) + (this.jsonText?.trim().length ?? 0);
  }
}

function parseRecord(text: string): StatusRecord {
  let rec: unknown;
  try {
    rec = JSON.parse(text);
  } catch {
    throw new LoaderProtocolError(`loader status record is not JSON: ${text.slice(0, 120)}`);
  }
  if (!rec || typeof rec !== 'object' || typeof (rec as StatusRecord).type !== 'string')
    throw new LoaderProtocolError(`loader status record has no type: ${text.slice(0, 120)}`);
  return rec as StatusRecord;
}
