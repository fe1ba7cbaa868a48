import { createHash } from 'node:crypto';
import type { FiveTupleSchema, PacketCapture } from '../../api/trace.js';
import type { z } from 'zod';

type Tuple = z.infer<typeof FiveTupleSchema>;

/** The header fields of one captured packet that stitching uses (IPv4 or IPv6, then ICMP/TCP/UDP). */
export interface PacketHeaders {
  ip: 4 | 6;
  proto: number;
  saddr: string;
  daddr: string;
  ttl: number;
  /** IPv4 total length / IPv6 payload length. */
  len: number;
  /** IPv4 identification; IPv6 has none. */
  ipId?: number;
  sport?: number;
  dport?: number;
  icmp?: { type: number; code: number; id: number; seq: number };
  tcp?: { seq: number; ack: number; flags: number };
  /** sha256 (first 16 hex) of the UDP payload bytes that were captured, with their count. */
  udpPayload?: string;
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const VLAN_TYPES = new Set([0x8100, 0x88a8]);

/** Where the IP header starts in a capture and which version it is, or undefined (ARP, truncated…). */
function ipStart(data: Buffer, link: PacketCapture['link']): { off: number; ip: 4 | 6 } | undefined {
  let off = 0;
  if (link === 'ether') {
    if (data.length < 14) return undefined;
    let type = data.readUInt16BE(12);
    off = 14;
    while (VLAN_TYPES.has(type) && data.length >= off + 4) {
      type = data.readUInt16BE(off + 2);
      off += 4;
    }
    if (type !== ETH_P_IP && type !== ETH_P_IPV6) return undefined;
  }
  const v = (data[off] ?? 0) >> 4;
  return v === 4 || v === 6 ? { off, ip: v } : undefined;
}

function ipv4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** RFC 5952 text, as the trace's tuples write it: the longest run (≥ 2) of zero groups becomes "::". */
function ipv6(b: Buffer, o: number): string {
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(o + i).toString(16));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

function transport(h: PacketHeaders, b: Buffer, o: number): void {
  if ((h.proto === 1 || h.proto === 58) && b.length >= o + 8)
    h.icmp = { type: b[o] ?? 0, code: b[o + 1] ?? 0, id: b.readUInt16BE(o + 4), seq: b.readUInt16BE(o + 6) };
  else if (h.proto === 6 && b.length >= o + 14) {
    h.sport = b.readUInt16BE(o);
    h.dport = b.readUInt16BE(o + 2);
    h.tcp = { seq: b.readUInt32BE(o + 4), ack: b.readUInt32BE(o + 8), flags: b[o + 13] ?? 0 };
  } else if (h.proto === 17 && b.length >= o + 8) {
    h.sport = b.readUInt16BE(o);
    h.dport = b.readUInt16BE(o + 2);
    const payload = b.subarray(o + 8);
    const digest = createHash('sha256').update(payload).digest('hex').slice(0, 16);
    h.udpPayload = `${payload.length}:${digest}`;
  }
}

/** The headers in one capture; undefined when the bytes are not an IP packet (or not yet one: an skb seen before
 * its IP header was written). */
export function parseCapture(c: PacketCapture): PacketHeaders | undefined {
  const b = Buffer.from(c.data, 'base64');
  const start = ipStart(b, c.link);
  if (!start) return undefined;
  const o = start.off;
  if (start.ip === 4) {
    const ihl = ((b[o] ?? 0) & 0xf) * 4;
    if (ihl < 20 || b.length < o + 20) return undefined;
    const h: PacketHeaders = {
      ip: 4,
      proto: b[o + 9] ?? 0,
      saddr: ipv4(b, o + 12),
      daddr: ipv4(b, o + 16),
      ttl: b[o + 8] ?? 0,
      len: b.readUInt16BE(o + 2),
      ipId: b.readUInt16BE(o + 4),
    };
    // a fragment after the first carries no transport header
    if ((b.readUInt16BE(o + 6) & 0x1fff) === 0) transport(h, b, o + ihl);
    return h;
  }
  if (b.length < o + 40) return undefined;
  const h: PacketHeaders = {
    ip: 6,
    proto: b[o + 6] ?? 0,
    saddr: ipv6(b, o + 8),
    daddr: ipv6(b, o + 24),
    ttl: b[o + 7] ?? 0,
    len: b.readUInt16BE(o + 4),
  };
  transport(h, b, o + 40);
  return h;
}

/** The header a hop's tuple agrees with: guards against bytes read where no IP header was yet. */
export function agreesWith(h: PacketHeaders, t: Tuple | undefined): boolean {
  return !t || (t.proto === h.proto && t.saddr === h.saddr && t.daddr === h.daddr);
}

/**
 * What identifies the packet on every host it crosses, NAT or not: protocol, IPv4 ID, and the transport fields
 * no NAT rewrites (ICMP type/seq, TCP seq/ack, the UDP payload). Addresses, ports and the ICMP id are left out
 * (NAT changes them; `changedFields` names them). Undefined when nothing invariant enough was captured.
 */
export function invariantKey(h: PacketHeaders): { key: string; on: string } | undefined {
  const id = h.ipId === undefined ? '' : `id${h.ipId}`;
  const withId = h.ipId === undefined ? '' : ' + IP ID';
  if (h.icmp)
    return {
      key: `${h.ip}|${h.proto}|${id}|${h.len}|${h.icmp.type}/${h.icmp.code}/${h.icmp.seq}`,
      on: `icmp type/seq${withId}`,
    };
  // TCP leaves the length out: a GSO super-packet is cut into wire frames (the first keeps its ID and seq)
  if (h.tcp) return { key: `${h.ip}|6|${id}|${h.tcp.seq}/${h.tcp.ack}`, on: `tcp seq/ack${withId}` };
  if (h.udpPayload)
    return { key: `${h.ip}|17|${id}|${h.len}|${h.udpPayload}`, on: `udp payload hash${withId}` };
  if (h.ipId !== undefined && h.ipId !== 0)
    return { key: `${h.ip}|${h.proto}|${id}|${h.len}`, on: 'IP ID + length' };
  return undefined;
}

/** Fields NAT may rewrite: the ones `changed_fields` can list. */
export const NAT_FIELDS = ['saddr', 'daddr', 'sport', 'dport', 'icmp_id'] as const;

export function natFields(
  h: PacketHeaders,
): Record<(typeof NAT_FIELDS)[number], string | number | undefined> {
  return { saddr: h.saddr, daddr: h.daddr, sport: h.sport, dport: h.dport, icmp_id: h.icmp?.id };
}
