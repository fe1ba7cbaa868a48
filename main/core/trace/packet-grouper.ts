import type { Hop, PacketCapture, PacketPath } from '../../api/trace.js';
import { CloneLinker } from '../explain/clone-linker.js';
import { CAPTURE, CAPTURE_FLAGS, EVENT_FLAGS, TASK } from './event-layout.js';
import type { StatusRecord } from './frame-decoder.js';
import {
  decodeHop,
  eventFlags,
  eventPacketId,
  eventProbeId,
  eventSkbKey,
  hopKindOf,
  newProbeTable,
} from './hop-decoder.js';
import { NOT_DROPS } from '../explain/not-drops.js';
import { LoaderProtocolError } from './loader-protocol-error.js';

const C = CAPTURE.fields;
const T = TASK.fields;

/** A task's `comm` (NUL-padded bytes any process may set): UTF-8 up to the NUL, control characters as `?`. */
function commText(buf: Buffer, off: number, size: number): string {
  const field = buf.subarray(off, off + size);
  const end = field.indexOf(0);
  const text = field.toString('utf8', 0, end >= 0 ? end : size);
  // eslint-disable-next-line no-control-regex -- the point is to replace them
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
const TWO_32 = 2 ** 32;

/** Memory bounds of a recording grouper (one with a sink); docs/LOADER.md "Client-side limits". */
export const GROUPER_LIMITS = {
  /** More hops than this on one packet is a broken or hostile loader (a routing loop at TTL 255 stays below). */
  maxHopsPerPacket: 16_384,
  /** Hops held in memory across in-flight packets; past it the oldest packets are written out early. */
  maxHopsInMemory: 200_000,
  /** A freed packet is written out after this many quiet publish ticks (its tail hops arrive within µs). */
  freedTicks: 2,
  /** Any packet without a hop for this many ticks is written out as it is. */
  idleTicks: 50,
  /** How many written-out ids are remembered, so a late hop is counted instead of starting a new packet. */
  rememberIds: 1 << 16,
};

/** The last `max` ids added, in constant memory. */
class RecentIds {
  private readonly set = new Set<number>();
  private readonly ring: number[] = [];
  private at = 0;
  constructor(private readonly max: number) {}
  has(id: number): boolean {
    return this.set.has(id);
  }
  add(id: number): void {
    if (this.set.has(id)) return;
    if (this.ring.length < this.max) this.ring.push(id);
    else {
      this.set.delete(this.ring[this.at] as number);
      this.ring[this.at] = id;
      this.at = (this.at + 1) % this.max;
    }
    this.set.add(id);
  }
}
/**
 * Groups decoded events into packet paths as they arrive: one PacketPath per packet id, hops in time order, the
 * drop reason of the packet set from the hop that dropped it. Reads fields straight from the frame buffer (no
 * BigInt, no JSON) and remembers which packets changed since the last `takeChanged()`, for batched publishing.
 * With a `sink` (a live run) a packet leaves memory once complete — its final probe, its free plus a quiet tick,
 * or idle — and goes to the sink (the run file); without one (tests, tools) every packet stays in `packets`.
 */
export class PacketGrouper {
  /** Packets in memory: in flight (with a sink) or all of them (without). */
  readonly packets = new Map<number, PacketPath>();
  private readonly lastTick = new Map<number, number>();
  private readonly freed = new Set<number>();
  private tickNo = 0;
  private hopsInMemory = 0;
  /** Hops that arrived for a packet already written out (late or beyond its final probe). */
  late = 0;
  private changed = new Set<PacketPath>();
  /** Probe names, kinds, copy functions, location symbols and drop-reason names from the loader's records. */
  readonly probes = newProbeTable();
  /** Probe ids whose hop ends the path of the skb it saw (`final` in the probe set). */
  readonly finalProbes = new Set<number>();
  /** Packet id → its skbs whose path a final probe ended (packets with copies only). */
  private readonly finalSkbs = new Map<number, Set<number>>();
  private readonly ended = new RecentIds(GROUPER_LIMITS.rememberIds);
  /** Packet id → its captured bytes (frame type 4). Kept beside the paths: live batches stay small, the bytes
   * only go to the run file when the run is saved (and from there to pcapng). */
  readonly captures = new Map<number, PacketCapture[]>();
  /** Packet id → its skbs' addresses (low 53 bits) → copy number, for hop `copy`. */
  private readonly skbs = new Map<number, Map<number, number>>();
  private readonly linker = new CloneLinker();
  /** A copy function's probe attached: the loader adds each clone to its packet itself, so a packet first seen at
   * a hop that cannot start a path is a new packet (a ping's next request at ip_send_skb), never a clone to link. */
  private kernelLinksClones = false;
  events = 0;

  constructor(private readonly sink?: (p: PacketPath) => void) {}

  /** Probe id → function or tracepoint name. */
  get probeNames(): string[] {
    return this.probes.names;
  }

  setDropReasons(map: Record<string, string>): void {
    for (const [v, name] of Object.entries(map)) this.probes.dropNames[Number(v)] = name;
  }

  /** Takes what decoding needs from a loader status record (hello, probe, symbol). */
  noteRecord(rec: StatusRecord): void {
    if (rec.type === 'hello' && rec.dropReasons && typeof rec.dropReasons === 'object')
      this.setDropReasons(rec.dropReasons as Record<string, string>);
    else if (rec.type === 'probe') {
      const id = Number(rec.id);
      this.probes.names[id] = String(rec.name);
      this.probes.kinds[id] = hopKindOf(rec.kind);
      if (rec.clone === true) this.probes.clones.add(id);
      if (rec.clone === true && rec.attached === true) this.kernelLinksClones = true;
    } else if (rec.type === 'symbol' && typeof rec.addr === 'string' && typeof rec.sym === 'string')
      this.probes.symbols.set(rec.addr, `${rec.sym}+0x${Number(rec.off ?? 0).toString(16)}`);
  }

  add(buf: Buffer, off: number): void {
    this.events++;
    const id = eventPacketId(buf, off);
    if (this.ended.has(id)) {
      this.late++;
      return;
    }
    let p = this.packets.get(id);
    if (!p) {
      p = { id, hops: [], drop_reason: null, partial: false, cut: false };
      this.packets.set(id, p);
    } else if (p.hops.length >= GROUPER_LIMITS.maxHopsPerPacket)
      throw new LoaderProtocolError(
        `the loader sent more than ${GROUPER_LIMITS.maxHopsPerPacket} hops for packet ${id}`,
      );
    this.lastTick.set(id, this.tickNo);
    this.hopsInMemory++;
    const probe = eventProbeId(buf, off);
    const flags = eventFlags(buf, off);
    const hop = decodeHop(buf, off, this.probes);
    const skb = eventSkbKey(buf, off);
    const copy = this.copyOf(id, skb, flags, probe);
    if (copy) hop.copy = copy;
    if (hop.drop_reason && !NOT_DROPS.has(hop.drop_reason)) p.drop_reason = hop.drop_reason;
    if (flags & EVENT_FLAGS.partial) p.partial = true;
    if (flags & EVENT_FLAGS.free) this.freed.add(id);
    this.place(p, hop);
    this.changed.add(p);
    // A final probe ends the path of the skb it saw; the packet's path ends when every skb it had ended so, or the
    // kernel released its last one (`free`). One copy of several (ping_rcv freeing the echo reply while its clone
    // waits on the raw socket) does not end it: the clone's delivery is still to come.
    if (this.finalProbes.has(probe) && (this.endCopy(id, skb) || flags & EVENT_FLAGS.free)) {
      this.ended.add(id);
      if (this.sink) this.flush(p);
    }
  }

  /** Which of the packet's skbs an event is on: the first one is 0; a new address (the new skb of a copy
   * function's return event, or one whose copy no probe saw) is the next copy. */
  private copyOf(id: number, skb: number, flags: number, probe: number): number {
    let m = this.skbs.get(id);
    if (!m) this.skbs.set(id, (m = new Map()));
    let copy = m.get(skb);
    if (copy === undefined) {
      copy = m.size;
      if (m.size < 4096 || (flags & EVENT_FLAGS.retval && this.probes.clones.has(probe))) m.set(skb, copy);
    }
    return copy;
  }

  /** Marks the skb's path ended at a final probe; true once every skb of the packet has ended. */
  private endCopy(id: number, skb: number): boolean {
    const skbs = this.skbs.get(id);
    if (!skbs || skbs.size <= 1) return true;
    let done = this.finalSkbs.get(id);
    if (!done) this.finalSkbs.set(id, (done = new Set()));
    done.add(skb);
    for (const k of skbs.keys()) if (!done.has(k)) return false;
    return true;
  }

  /** Puts a hop in time order (events of a packet handed between CPUs can reach the ring buffer out of order). */
  private place(p: PacketPath, hop: Hop): void {
    const hops = p.hops;
    const last = hops[hops.length - 1];
    if (!last) {
      hops.push(hop);
      if (!this.kernelLinksClones) this.linker.first(p);
      return;
    }
    if (!this.kernelLinksClones) this.linker.hop(p.id, hop);
    if (last.ts_ns <= hop.ts_ns) hops.push(hop);
    else {
      let i = hops.length - 1;
      while (i > 0 && (hops[i - 1] as Hop).ts_ns > hop.ts_ns) i--;
      hops.splice(i, 0, hop);
    }
  }

  /** Writes a packet out to the sink and forgets it (its id is remembered, so late hops are only counted). */
  private flush(p: PacketPath): void {
    const captures = this.captures.get(p.id);
    this.captures.delete(p.id);
    this.packets.delete(p.id);
    this.lastTick.delete(p.id);
    this.freed.delete(p.id);
    this.finalSkbs.delete(p.id);
    this.skbs.delete(p.id);
    this.linker.written(p.id);
    this.hopsInMemory -= p.hops.length;
    this.ended.add(p.id);
    this.sink?.(captures ? { ...p, captures } : p);
  }

  /** One publish tick: writes out packets that are complete or idle, and the oldest ones past the memory bound. */
  tick(): void {
    if (!this.sink) return;
    const now = ++this.tickNo;
    for (const p of [...this.packets.values()]) {
      const quiet = now - (this.lastTick.get(p.id) ?? now);
      if (quiet >= GROUPER_LIMITS.idleTicks || (quiet >= GROUPER_LIMITS.freedTicks && this.freed.has(p.id)))
        this.flush(p);
    }
    for (const p of this.packets.values()) {
      if (this.hopsInMemory <= GROUPER_LIMITS.maxHopsInMemory) break;
      this.flush(p); // Map order = first seen: the oldest go first
    }
  }

  /** Writes out every packet still in memory (the run has ended). */
  flushAll(): void {
    if (this.sink) for (const p of [...this.packets.values()]) this.flush(p);
  }

  /** One capture record (docs/LOADER.md, `struct pktpath_capture`) at `buf[off .. off + len)`. */
  addCapture(buf: Buffer, off: number, len: number): void {
    const id = buf.readUInt32LE(off + C.packet_id.offset);
    if (this.ended.has(id) || !this.packets.has(id)) return; // a capture follows its packet's event
    const probe = buf.readUInt32LE(off + C.probe_id.offset);
    const caplen = Math.min(buf.readUInt16LE(off + C.caplen.offset), len - CAPTURE.header);
    const c: PacketCapture = {
      ts_ns: buf.readUInt32LE(off + 4) * TWO_32 + buf.readUInt32LE(off + C.ktime_ns.offset),
      function: this.probes.names[probe] ?? `probe#${probe}`,
      link: (buf[off + C.flags.offset] ?? 0) & CAPTURE_FLAGS.l2 ? 'ether' : 'raw',
      len: buf.readUInt32LE(off + C.wire_len.offset),
      data: buf.toString('base64', off + C.data.offset, off + C.data.offset + caplen),
    };
    const list = this.captures.get(id);
    if (list) list.push(c);
    else this.captures.set(id, [c]);
  }

  /**
   * One task record (`struct pktpath_task`): the task its hop ran in. It follows that hop's event, so the hop is
   * found from the end of the packet's path by time and probe; a packet already written out keeps none.
   */
  addTask(buf: Buffer, off: number): void {
    const p = this.packets.get(buf.readUInt32LE(off + T.packet_id.offset));
    const tgid = buf.readUInt32LE(off + T.tgid.offset);
    const tid = buf.readUInt32LE(off + T.pid.offset);
    if (!p || !tgid || !tid) return;
    const ts = buf.readUInt32LE(off + 4) * TWO_32 + buf.readUInt32LE(off + T.ktime_ns.offset);
    const fn = this.probes.names[buf.readUInt32LE(off + T.probe_id.offset)];
    const hop = p.hops.findLast((h) => h.ts_ns === ts && h.function === fn);
    if (hop) hop.task = { pid: tgid, tid, comm: commText(buf, off + T.comm.offset, T.comm.size) };
  }

  /** Marks the packets the loader reported still in flight when the trace ended (`done.cut`). */
  markCut(ids: readonly number[]): void {
    for (const id of ids) {
      const p = this.packets.get(id);
      if (p && !p.cut) {
        p.cut = true;
        this.changed.add(p);
      }
    }
  }

  /** Packets new or grown since the previous call. */
  takeChanged(): PacketPath[] {
    if (!this.changed.size) return [];
    const out = [...this.changed];
    this.changed = new Set();
    return out;
  }

  /** Every packet; `withCaptures` adds each one's captured bytes (`captures`, for the run file). */
  all(withCaptures = false): PacketPath[] {
    const all = [...this.packets.values()];
    if (!withCaptures || !this.captures.size) return all;
    return all.map((p) => {
      const captures = this.captures.get(p.id);
      return captures ? { ...p, captures } : p;
    });
  }
}
