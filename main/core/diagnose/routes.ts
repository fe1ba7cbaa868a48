import { inPrefix } from './packet-match.js';

/** One line of `ip route show table all`, as far as a lookup needs it. */
export interface RouteEntry {
  /** unicast, local, broadcast, blackhole, unreachable, prohibit, throw, … */
  type: string;
  prefix: string;
  table: string;
  via?: string;
  dev?: string;
  /** the line as captured */
  text: string;
}

const TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'anycast',
]);

export function parseRoute(text: string): RouteEntry | undefined {
  const tok = text.trim().split(/\s+/);
  const first = tok[0] ?? '';
  let i = 0;
  const type = TYPES.has(first) ? (i++, first) : 'unicast';
  let prefix = tok[i++];
  if (!prefix) return undefined;
  if (prefix === 'default') prefix = '0.0.0.0/0';
  const kv = (key: string) => {
    const j = tok.indexOf(key, i);
    return j >= 0 ? tok[j + 1] : undefined;
  };
  const [via, dev] = [kv('via'), kv('dev')];
  return {
    type,
    prefix,
    table: kv('table') ?? 'main',
    text: text.trim(),
    ...(via ? { via } : {}),
    ...(dev ? { dev } : {}),
  };
}

const prefixLen = (p: string) => (p.includes('/') ? Number(p.split('/')[1]) : p.includes(':') ? 128 : 32);

/**
 * The route the kernel would pick for an IPv4 destination in the default policy (table local, then main): the
 * longest prefix. Policy rules other than the default ones are not followed (say so where it matters).
 */
export function lookupRoute(lines: readonly string[], daddr: string): RouteEntry | undefined {
  const routes = lines.map(parseRoute).filter((r): r is RouteEntry => r !== undefined);
  for (const table of ['local', 'main']) {
    const hits = routes
      .filter((r) => r.table === table && !r.prefix.includes(':') && inPrefix(daddr, r.prefix))
      .sort((a, b) => prefixLen(b.prefix) - prefixLen(a.prefix));
    if (hits[0]) return hits[0];
  }
  return undefined;
}
