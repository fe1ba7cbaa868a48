import type { Hop, PacketCapture, PacketPath } from '../../api/trace.js';
import { LoaderProtocolError } from './loader-protocol-error.js';

/** Event flags (docs/LOADER.md, `struct pktpath_event`). */
const F_TUPLE = 1;
const F_DROP = 2;
const F_STACK = 4;
const F_RET = 8;
const F_FREE = 32;
const F_PARTIAL = 128;
/** Capture flags: the bytes start at the MAC header. */
const CAP_L2 = 1;
const CAPTURE_HEADER = 24;

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
/** Reasons the kernel reports for frees that are not drops. */
const NOT_DROPS = new Set(['SKB_NOT_DROPPED_YET', 'SKB_CONSUMED', 'NOT_DROPPED_YET', 'CONSUMED']);

function ipv4(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

function ipv6(buf: Buffer, off: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(buf.readUInt16BE(off + i).toString(16));
  // RFC 5952: the longest run (≥ 2) of zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
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
  /** Probe id → function or tracepoint name (from the loader's `probe` records). */
  readonly probeNames: string[] = [];
  /** Probe ids whose hop ends the packet's path (`final` in the probe set). */
  readonly finalProbes = new Set<number>();
  private readonly ended = new RecentIds(GROUPER_LIMITS.rememberIds);
  /** Packet id → its captured bytes (frame type 4). Kept beside the paths: live batches stay small, the bytes
   * only go to the run file when the run is saved (and from there to pcapng). */
  readonly captures = new Map<number, PacketCapture[]>();
  /** enum skb_drop_reason value → name (from the hello). */
  dropNames: string[] = [];
  events = 0;

  constructor(private readonly sink?: (p: PacketPath) => void) {}

  setDropReasons(map: Record<string, string>): void {
    for (const [v, name] of Object.entries(map)) this.dropNames[Number(v)] = name;
  }

  add(buf: Buffer, off: number): void {
    this.events++;
    const id = buf.readUInt32LE(off + 16);
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
    const probe = buf.readUInt32LE(off + 20);
    const flags = buf.readUInt16LE(off + 44);
    const mark = buf.readUInt32LE(off + 40);
    const hop: Hop = {
      function: this.probeNames[probe] ?? `probe#${probe}`,
      ts_ns: buf.readUInt32LE(off + 4) * TWO_32 + buf.readUInt32LE(off),
      ifindex: buf.readUInt32LE(off + 32),
      netns: buf.readUInt32LE(off + 28),
      len: buf.readUInt32LE(off + 36),
      cpu: buf.readUInt32LE(off + 24),
    };
    if (mark) hop.mark = mark;
    if (flags & F_TUPLE) {
      const proto = buf[off + 46] ?? 0;
      const v6 = buf[off + 47] === 6;
      hop.tuple = {
        proto,
        saddr: v6 ? ipv6(buf, off + 64) : ipv4(buf, off + 64),
        daddr: v6 ? ipv6(buf, off + 80) : ipv4(buf, off + 80),
        sport: buf.readUInt16LE(off + 96),
        dport: buf.readUInt16LE(off + 98),
      };
    }
    if (flags & F_DROP) {
      const v = buf.readUInt32LE(off + 48);
      const name = this.dropNames[v] ?? `REASON_${v}`;
      hop.drop_reason = name;
      if (!NOT_DROPS.has(name)) p.drop_reason = name;
    }
    if (flags & F_PARTIAL) p.partial = true;
    if (flags & F_FREE) this.freed.add(id);
    if (flags & F_STACK) hop.stack_id = buf.readInt32LE(off + 52);
    if (flags & F_RET) hop.ret = Number(buf.readBigInt64LE(off + 56));

    const hops = p.hops;
    const last = hops[hops.length - 1];
    if (!last || last.ts_ns <= hop.ts_ns) hops.push(hop);
    else {
      // rare: a packet handed between CPUs whose events reached the ring buffer out of order
      let i = hops.length - 1;
      while (i > 0 && (hops[i - 1] as Hop).ts_ns > hop.ts_ns) i--;
      hops.splice(i, 0, hop);
    }
    this.changed.add(p);
    if (this.finalProbes.has(probe)) {
      this.ended.add(id);
      if (this.sink) this.flush(p);
    }
  }

  /** Writes a packet out to the sink and forgets it (its id is remembered, so late hops are only counted). */
  private flush(p: PacketPath): void {
    const captures = this.captures.get(p.id);
    this.captures.delete(p.id);
    this.packets.delete(p.id);
    this.lastTick.delete(p.id);
    this.freed.delete(p.id);
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
    const id = buf.readUInt32LE(off + 8);
    if (this.ended.has(id) || !this.packets.has(id)) return; // a capture follows its packet's event
    const probe = buf.readUInt32LE(off + 12);
    const caplen = Math.min(buf.readUInt16LE(off + 20), len - CAPTURE_HEADER);
    const c: PacketCapture = {
      ts_ns: buf.readUInt32LE(off + 4) * TWO_32 + buf.readUInt32LE(off),
      function: this.probeNames[probe] ?? `probe#${probe}`,
      link: (buf[off + 22] ?? 0) & CAP_L2 ? 'ether' : 'raw',
      len: buf.readUInt32LE(off + 16),
      data: buf.toString('base64', off + CAPTURE_HEADER, off + CAPTURE_HEADER + caplen),
    };
    const list = this.captures.get(id);
    if (list) list.push(c);
    else this.captures.set(id, [c]);
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
