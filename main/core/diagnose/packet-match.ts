/**
 * What a firewall rule can be checked against: the packet's 5-tuple and the interfaces it came in / went out by.
 * Three-valued, because a rule may test what a trace does not know (conntrack state, marks, rates).
 */
export type Match = 'yes' | 'no' | 'maybe';

export interface PacketKey {
  proto: number;
  saddr: string;
  daddr: string;
  sport: number;
  dport: number;
  iif?: string;
  oif?: string;
}

export const PROTO_NAMES: Readonly<Record<string, number>> = {
  icmp: 1,
  tcp: 6,
  udp: 17,
  icmpv6: 58,
  sctp: 132,
};

/** ICMP type names as nft and iptables spell them. */
const ICMP_TYPES: Readonly<Record<string, number>> = {
  'echo-reply': 0,
  'destination-unreachable': 3,
  'source-quench': 4,
  redirect: 5,
  'echo-request': 8,
  'router-advertisement': 9,
  'router-solicitation': 10,
  'time-exceeded': 11,
  'parameter-problem': 12,
  'timestamp-request': 13,
  'timestamp-reply': 14,
};

/** The ICMP type of a tuple (the loader puts type << 8 | code in `dport` for ICMP). */
export const icmpType = (k: { proto: number; dport: number }) =>
  k.proto === 1 || k.proto === 58 ? k.dport >> 8 : undefined;

export const and = (a: Match, b: Match): Match =>
  a === 'no' || b === 'no' ? 'no' : a === 'maybe' || b === 'maybe' ? 'maybe' : 'yes';

const ipv4ToInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const isV4 = (a: string) => /^\d+\.\d+\.\d+\.\d+$/.test(a);

/** Whether address `addr` is in `spec`: an address, a prefix `a.b.c.d/n` (IPv6: exact text only). */
export function inPrefix(addr: string, spec: string): boolean {
  const [net, len] = spec.split('/');
  if (!net) return false;
  if (!isV4(addr) || !isV4(net)) return addr === net;
  const bits = len === undefined ? 32 : Number(len);
  if (bits === 0) return true;
  const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
  return (ipv4ToInt(addr) & mask) >>> 0 === (ipv4ToInt(net) & mask) >>> 0;
}

/** One value of a rule against the packet's: a number, a range `a-b`, a name, a prefix. */
function valueMatches(kind: 'addr' | 'port' | 'proto' | 'icmp' | 'name', v: string, actual: string | number) {
  if (kind === 'addr') return inPrefix(String(actual), v);
  if (kind === 'name') return v.replace(/^"|"$/g, '') === actual;
  const num =
    kind === 'proto'
      ? (PROTO_NAMES[v] ?? Number(v))
      : kind === 'icmp'
        ? (ICMP_TYPES[v] ?? Number(v))
        : undefined;
  if (num !== undefined) return num === actual;
  const r = /^(\d+)-(\d+)$/.exec(v);
  if (r) return Number(actual) >= Number(r[1]) && Number(actual) <= Number(r[2]);
  return Number(v) === actual;
}

/**
 * A value expression as rules write it: `x`, `{ a, b }`, `a,b`, with `!=` negation. `actual` undefined (the trace
 * does not know, e.g. an interface name) gives maybe.
 */
export function valuesMatch(
  kind: 'addr' | 'port' | 'proto' | 'icmp' | 'name',
  expr: string,
  actual: string | number | undefined,
  negated = false,
): Match {
  if (actual === undefined) return 'maybe';
  const values = expr
    .replace(/^\{|\}$/g, '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const hit = values.some((v) => valueMatches(kind, v, actual));
  return hit !== negated ? 'yes' : 'no';
}
