/** Literal values of the display-filter language: addresses with prefixes, durations with units, protocols. */

/** An IPv4 or IPv6 address (or prefix) as bits, so `10.0.0.0/8` and `fe80::/10` match by prefix. */
export interface IpPattern {
  v6: boolean;
  bits: bigint;
  prefix: number;
}

export function parseIpv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

export function parseIpv6(s: string): bigint | undefined {
  const lower = s.toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(lower) || (lower.match(/::/g)?.length ?? 0) > 1) return undefined;
  let groups = lower.split(':');
  // an embedded IPv4 tail (::ffff:10.0.0.1) is two groups
  const tail = groups.at(-1) ?? '';
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    if (v4 === undefined) return undefined;
    groups = [...groups.slice(0, -1), (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
  }
  const gap = groups.indexOf('');
  if (lower.includes('::')) {
    const head = lower.startsWith('::') ? [] : groups.slice(0, gap);
    const rest = groups.slice(groups.lastIndexOf('') + 1);
    const fill = 8 - head.length - rest.length;
    if (fill < 1) return undefined;
    groups = [...head, ...Array<string>(fill).fill('0'), ...rest];
  }
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** `10.0.0.1`, `10.0.0.0/24`, `fe80::1`, `2001:db8::/32`; undefined when it is not one. */
export function parseIpPattern(s: string): IpPattern | undefined {
  const [addr = '', len, extra] = s.split('/');
  if (extra !== undefined) return undefined;
  const v4 = parseIpv4(addr);
  const v6 = v4 === undefined ? parseIpv6(addr) : undefined;
  if (v4 === undefined && v6 === undefined) return undefined;
  const max = v4 !== undefined ? 32 : 128;
  const prefix = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { v6: v4 === undefined, bits: (v4 ?? v6) as bigint, prefix };
}

/** Whether address text (as a 5-tuple carries it) falls in `p`. */
export function ipMatches(p: IpPattern, addr: string): boolean {
  const bits = p.v6 ? parseIpv6(addr) : parseIpv4(addr);
  if (bits === undefined) return false;
  const width = p.v6 ? 128n : 32n;
  const shift = width - BigInt(p.prefix);
  return bits >> shift === p.bits >> shift;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };

/** `1ms`, `250us`, `1.5s`, `800ns` in ns; a bare number is refused (whose unit would it be?). */
export function parseDuration(s: string): number | string {
  const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s)?$/.exec(s);
  if (!m) return `“${s}” is not a duration: write a number with a unit (ns, us, ms, s), e.g. 1ms`;
  if (!m[2]) return `“${s}” needs a unit: ns, us, ms or s (e.g. ${s}ms)`;
  return Number(m[1]) * (UNITS[m[2]] ?? 1);
}

export const PROTOCOLS: Record<string, number> = {
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  icmpv6: 58,
  sctp: 132,
};

/** A protocol by name or number (0–255). */
export function parseProtocol(s: string): number | string {
  const named = PROTOCOLS[s.toLowerCase()];
  if (named !== undefined) return named;
  if (/^\d{1,3}$/.test(s) && Number(s) <= 255) return Number(s);
  return `“${s}” is not a protocol: a number (0–255) or one of ${Object.keys(PROTOCOLS).join(', ')}`;
}

/** Levenshtein distance, for "did you mean" on unknown names. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (row[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = row;
  }
  return prev[b.length] ?? 0;
}
