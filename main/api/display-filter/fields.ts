import type { PacketFacts } from './facts.js';
import { PROTOCOLS } from './values.js';

/**
 * How a field's values are written and compared: `ip` (addresses, prefixes), `port`/`number` (integers),
 * `duration` (ns, written with a unit), `proto` (number or name), `string` (case-insensitive), `verdict` (one of
 * the verdict kinds), `flag` (true or false, never compared).
 */
export type FieldKind = 'ip' | 'port' | 'number' | 'duration' | 'proto' | 'string' | 'verdict' | 'flag';

export interface FieldDef {
  kind: FieldKind;
  /** The packet's values of this field; a bare field is true when there is at least one. */
  values(f: PacketFacts): readonly (string | number)[];
  help: string;
  /** Needs facts the run index lacks. */
  needs?: 'places' | 'verdict';
}

const NONE: readonly never[] = [];
const one = <T>(v: T | null | undefined): readonly T[] => (v === null || v === undefined ? NONE : [v]);
const ports = (proto?: number) => (f: PacketFacts) =>
  f.tuple && (proto === undefined ? PORTED.has(f.tuple.proto) : f.tuple.proto === proto)
    ? [f.tuple.sport, f.tuple.dport]
    : NONE;
const port = (proto: number, end: 'sport' | 'dport') => (f: PacketFacts) =>
  f.tuple?.proto === proto ? [f.tuple[end]] : NONE;
const isProto = (proto: number) => (f: PacketFacts) => (f.tuple?.proto === proto ? [1] : NONE);
const PORTED = new Set([PROTOCOLS.tcp, PROTOCOLS.udp, PROTOCOLS.sctp]);
const family = (v6: boolean) => (f: PacketFacts) =>
  f.tuple && f.tuple.saddr.includes(':') === v6 ? [1] : NONE;

const F = (kind: FieldKind, values: FieldDef['values'], help: string, needs?: FieldDef['needs']): FieldDef =>
  needs ? { kind, values, help, needs } : { kind, values, help };

/** Every field, by name; ALIASES map other spellings (Wireshark's among them) onto these. */
export const FIELDS: Record<string, FieldDef> = {
  'ip.addr': F(
    'ip',
    (f) => (f.tuple ? [f.tuple.saddr, f.tuple.daddr] : NONE),
    'source or destination address',
  ),
  'ip.src': F('ip', (f) => one(f.tuple?.saddr), 'source address'),
  'ip.dst': F('ip', (f) => one(f.tuple?.daddr), 'destination address'),
  'ip.proto': F('proto', (f) => one(f.tuple?.proto), 'IP protocol, by number or name'),
  ip: F('flag', family(false), 'IPv4 packets'),
  ipv6: F('flag', family(true), 'IPv6 packets'),
  port: F('port', ports(), 'TCP/UDP/SCTP source or destination port'),
  'tcp.port': F('port', ports(PROTOCOLS.tcp), 'TCP source or destination port'),
  'tcp.srcport': F('port', port(PROTOCOLS.tcp ?? 6, 'sport'), 'TCP source port'),
  'tcp.dstport': F('port', port(PROTOCOLS.tcp ?? 6, 'dport'), 'TCP destination port'),
  'udp.port': F('port', ports(PROTOCOLS.udp), 'UDP source or destination port'),
  'udp.srcport': F('port', port(PROTOCOLS.udp ?? 17, 'sport'), 'UDP source port'),
  'udp.dstport': F('port', port(PROTOCOLS.udp ?? 17, 'dport'), 'UDP destination port'),
  ...Object.fromEntries(
    Object.entries(PROTOCOLS).map(([name, n]) => [
      name,
      F('flag', isProto(n), `${name.toUpperCase()} packets`),
    ]),
  ),
  func: F('string', (f) => f.functions, 'any function on the path'),
  'func.first': F('string', (f) => one(f.functions[0]), 'the first function of the path'),
  'func.last': F('string', (f) => one(f.functions.at(-1)), 'the last function of the path'),
  drop: F('flag', (f) => (f.drop_reason ? [1] : NONE), 'packets the kernel dropped (with a drop reason)'),
  'drop.reason': F('string', (f) => one(f.drop_reason), 'the kernel’s drop reason, e.g. NETFILTER_DROP'),
  verdict: F('verdict', (f) => one(f.verdict), 'what finally happened to the packet', 'verdict'),
  iface: F('string', (f) => f.ifaces, 'an interface passed, by name or ifindex', 'places'),
  netns: F('string', (f) => f.netns, 'a network namespace passed, by name or inode', 'places'),
  dur: F('duration', (f) => [f.duration_ns], 'last hop − first hop, with a unit: 1ms, 250us'),
  time: F('duration', (f) => [f.time_ns], 'first hop, from the run’s first packet'),
  hops: F('number', (f) => [f.hops], 'how many hops the path has'),
  id: F('number', (f) => [f.id], 'the packet number'),
  variant: F('number', (f) => [f.variant + 1], 'path variant (1 = most frequent)'),
  cut: F('flag', (f) => (f.cut ? [1] : NONE), 'still in flight when the trace ended'),
  partial: F('flag', (f) => (f.partial ? [1] : NONE), 'first seen mid-way'),
};

export const ALIASES: Record<string, string> = {
  function: 'func',
  fn: 'func',
  last: 'func.last',
  first: 'func.first',
  reason: 'drop.reason',
  drop_reason: 'drop.reason',
  ifname: 'iface',
  interface: 'iface',
  ifindex: 'iface',
  duration: 'dur',
  'frame.number': 'id',
  pkt: 'id',
  proto: 'ip.proto',
  'ipv6.addr': 'ip.addr',
  'ipv6.src': 'ip.src',
  'ipv6.dst': 'ip.dst',
  addr: 'ip.addr',
  src: 'ip.src',
  dst: 'ip.dst',
  sport: 'port.src',
  dport: 'port.dst',
  dropped: 'drop',
};

FIELDS['port.src'] = F(
  'port',
  (f) => (f.tuple && PORTED.has(f.tuple.proto) ? [f.tuple.sport] : NONE),
  'source port',
);
FIELDS['port.dst'] = F(
  'port',
  (f) => (f.tuple && PORTED.has(f.tuple.proto) ? [f.tuple.dport] : NONE),
  'destination port',
);
