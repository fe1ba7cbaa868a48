import type { Hop } from '../../api/trace.js';
import { EVENT, EVENT_FLAGS } from './event-layout.js';

const F = EVENT.fields;
const TWO_32 = 2 ** 32;

/** Reasons the kernel reports for frees that are not drops. */
export const NOT_DROPS = new Set(['SKB_NOT_DROPPED_YET', 'SKB_CONSUMED', 'NOT_DROPPED_YET', 'CONSUMED']);

/** What the loader's records told about the run's probes and kernel symbols, for decoding events. */
export interface ProbeTable {
  /** Probe id → function or tracepoint name (`probe` records). */
  readonly names: string[];
  /** Probe id → hop `probe_kind` for tracepoint and TC probes (functions: absent). */
  readonly kinds: (Hop['probe_kind'] | undefined)[];
  /** Probe ids of the copy functions (`clone: true`): their return event is on the new skb. */
  readonly clones: Set<number>;
  /** kfree_skb location address (hex, as the loader writes it) → `symbol+0xoff` (`symbol` records). */
  readonly symbols: Map<string, string>;
  /** enum skb_drop_reason value → name (from the hello). */
  dropNames: string[];
}

export function newProbeTable(): ProbeTable {
  return { names: [], kinds: [], clones: new Set(), symbols: new Map(), dropNames: [] };
}

/** The hop `probe_kind` of a loader probe record's `kind`. */
export function hopKindOf(kind: unknown): Hop['probe_kind'] | undefined {
  return kind === 'raw_tp' ? 'tracepoint' : kind === 'tc' ? 'tc' : undefined;
}

const u32 = (buf: Buffer, off: number, f: { offset: number }) => buf.readUInt32LE(off + f.offset);

export const eventPacketId = (buf: Buffer, off: number): number => u32(buf, off, F.packet_id);
export const eventProbeId = (buf: Buffer, off: number): number => u32(buf, off, F.probe_id);
export const eventFlags = (buf: Buffer, off: number): number => buf.readUInt16LE(off + F.flags.offset);

/** The skb address as a Map key: its low 53 bits (kernel heap addresses differ well below them). */
export function eventSkbKey(buf: Buffer, off: number): number {
  return (
    (buf.readUInt32LE(off + F.skb.offset + 4) & 0x1fffff) * TWO_32 + buf.readUInt32LE(off + F.skb.offset)
  );
}

/** The event's u64 at `retval`'s slot as the loader prints it (`0x…`). */
function retvalHex(buf: Buffer, off: number): string {
  return `0x${buf.readBigUInt64LE(off + F.retval.offset).toString(16)}`;
}

/** One event as a hop (without `copy`, which depends on the packet's other skbs). */
export function decodeHop(buf: Buffer, off: number, probes: ProbeTable): Hop {
  const probe = eventProbeId(buf, off);
  const flags = eventFlags(buf, off);
  const mark = u32(buf, off, F.mark);
  const hop: Hop = {
    function: probes.names[probe] ?? `probe#${probe}`,
    ts_ns: u32(buf, off, { offset: F.ktime_ns.offset + 4 }) * TWO_32 + u32(buf, off, F.ktime_ns),
    ifindex: u32(buf, off, F.ifindex),
    netns: u32(buf, off, F.netns),
    len: u32(buf, off, F.len),
    cpu: u32(buf, off, F.cpu),
  };
  const kind = probes.kinds[probe];
  if (kind) hop.probe_kind = kind;
  if (mark) hop.mark = mark;
  if (flags & EVENT_FLAGS.tuple) {
    const v6 = buf[off + F.ip_version.offset] === 6;
    const addr = v6 ? ipv6 : ipv4;
    hop.tuple = {
      proto: buf[off + F.l4proto.offset] ?? 0,
      saddr: addr(buf, off + F.saddr.offset),
      daddr: addr(buf, off + F.daddr.offset),
      sport: buf.readUInt16LE(off + F.sport.offset),
      dport: buf.readUInt16LE(off + F.dport.offset),
    };
  }
  // kernels before 5.17 have no reasons (the hello names none): the tracepoint's third word is not one
  if (flags & EVENT_FLAGS.drop && probes.dropNames.length) {
    const v = u32(buf, off, F.drop_reason);
    hop.drop_reason = probes.dropNames[v] ?? `REASON_${v}`;
  }
  if (flags & EVENT_FLAGS.stack) hop.stack_id = buf.readInt32LE(off + F.stack_id.offset);
  if (flags & EVENT_FLAGS.retval) hop.ret = Number(buf.readBigInt64LE(off + F.retval.offset));
  if (flags & EVENT_FLAGS.location) {
    const at = retvalHex(buf, off);
    hop.location = probes.symbols.get(at) ?? at;
  }
  return hop;
}

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
