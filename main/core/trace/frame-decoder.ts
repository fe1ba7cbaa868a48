import { CoreError } from '../errors.js';

/** Framing version 1 of `pktpath-loader trace` (docs/LOADER.md): `u32 len · u16 type · u16 0 · payload`, LE. */
export const FRAMING_VERSION = 1;
export const FRAME_HEADER = 8;
export const FRAME_HELLO = 1;
export const FRAME_EVENT = 2;
export const FRAME_STATUS = 3;
/** Packet bytes (`capture.snaplen`): `struct pktpath_capture`'s 24-byte header, then `caplen` bytes. */
export const FRAME_CAPTURE = 4;
export const CAPTURE_HEADER = 24;
/** Far above any real frame (a status record with thousands of probes is ~100 KiB): a bigger length is garbage. */
const MAX_FRAME = 16 << 20;

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
  eventSize = 104;

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
        throw new CoreError('internal', `loader stream is corrupt: frame length ${len} at byte ${off}`);
      if (end - off < len) break;
      const type = buf.readUInt16LE(off + 4);
      if (type === FRAME_EVENT) {
        if (len - FRAME_HEADER < this.eventSize)
          throw new CoreError('internal', `loader event frame of ${len} bytes is shorter than an event`);
        this.sink.event(buf, off + FRAME_HEADER);
      } else if (type === FRAME_HELLO || type === FRAME_STATUS) {
        const rec = parseRecord(buf.toString('utf8', off + FRAME_HEADER, off + len));
        if (type === FRAME_HELLO) this.onHello(rec);
        this.sink.status(rec);
      } else if (type === FRAME_CAPTURE) {
        if (len - FRAME_HEADER < CAPTURE_HEADER)
          throw new CoreError('internal', `loader capture frame of ${len} bytes is shorter than its header`);
        this.sink.capture?.(buf, off + FRAME_HEADER, len - FRAME_HEADER);
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
    if (typeof rec.eventSize === 'number') this.eventSize = rec.eventSize;
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
    throw new CoreError('internal', `loader status record is not JSON: ${text.slice(0, 120)}`);
  }
  if (!rec || typeof rec !== 'object' || typeof (rec as StatusRecord).type !== 'string')
    throw new CoreError('internal', `loader status record has no type: ${text.slice(0, 120)}`);
  return rec as StatusRecord;
}
