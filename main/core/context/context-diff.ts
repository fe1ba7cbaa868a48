import type { ContextChange, ContextDiff } from '../../api/compare.js';
import type { ContextLink, HostContext, NetnsContext } from '../../api/explain.js';
import { tcConfigLines } from './tc-text.js';

/** Changes listed at most: two unrelated hosts can differ in thousands of routes. */
export const MAX_CONTEXT_CHANGES = 500;

type Kind = ContextChange['kind'];
/** Listed in this order: configuration that decides a path first, listeners (short-lived clients too) last. */
const ORDER: readonly Kind[] = [
  'namespace',
  'sysctl',
  'route',
  'rule',
  'nftables',
  'iptables',
  'tc',
  'link',
  'listener',
];

/** nft rules without what changes by itself (handles, counters), so the same rule on two hosts compares equal. */
const nftLines = (text: string | undefined) =>
  (text ?? '')
    .split('\n')
    .map((l) =>
      l
        .replace(/\s*# handle \d+\s*$/, '')
        .replace(/counter packets \d+ bytes \d+/, 'counter')
        .trim(),
    )
    .filter((l) => l && l !== '}');

/** iptables-save rules and chain policies without comments and `[packets:bytes]` counters. */
const iptablesLines = (text: string | undefined) =>
  (text ?? '')
    .split('\n')
    .map((l) => l.replace(/\s*\[\d+:\d+\]\s*$/, '').trim())
    .filter((l) => l && !l.startsWith('#') && l !== 'COMMIT');

/** `ss`/`netstat` listener lines as protocol, local address and process names (no queue sizes, pids or fds). */
const listenerKeys = (lines: readonly string[]) =>
  lines.map((l) => {
    const f = l.trim().split(/\s+/);
    const ss = /^(tcp|udp|raw|u_\w+|\w+)$/.test(f[0] ?? '') && /^[A-Z-]+$/.test(f[1] ?? '');
    const local = ss ? f[4] : f[3];
    const procs = [...l.matchAll(/\("([^"]+)",pid=/g)].map((m) => m[1]).join(',');
    return `${f[0]} ${local ?? ''}${procs ? ` ${procs}` : ''}`;
  });

const linkValue = (l: ContextLink) =>
  `${l.kind ?? ''} ${l.state ?? ''}${l.carrier === false ? ' NO-CARRIER' : ''} mtu ${l.mtu ?? '?'}${l.master ? ` master ${l.master}` : ''} ${[...l.addresses].sort().join(' ')}`.trim();

/** Set difference of lines, each side's extra lines as changes of `kind`. */
function lineChanges(netns: string, kind: Kind, a: readonly string[], b: readonly string[]): ContextChange[] {
  const inA = new Set(a);
  const inB = new Set(b);
  return [
    ...[...inA].filter((l) => !inB.has(l)).map((l) => ({ netns, kind, key: l, a: l, b: null })),
    ...[...inB].filter((l) => !inA.has(l)).map((l) => ({ netns, kind, key: l, a: null, b: l })),
  ];
}

/**
 * IPv6 link-local destinations (`fe80::…`; a route *via* a link-local gateway stays) are made by the kernel from each interface's (often random) MAC, and appear
 * only once address autoconfiguration ran: between two runs or two hosts they differ without meaning anything.
 */
const notLinkLocal = (route: string): boolean =>
  !/^(?:(?:local|anycast|multicast|broadcast|unicast) )?fe80:[0-9a-f:]*(?:\/\d+)?\s/.test(route);

/** Keyed values that differ (or exist on one side only). */
function mapChanges(
  netns: string,
  kind: Kind,
  a: ReadonlyMap<string, string>,
  b: ReadonlyMap<string, string>,
): ContextChange[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => a.get(k) !== b.get(k))
    .map((k) => ({ netns, kind, key: k, a: a.get(k) ?? null, b: b.get(k) ?? null }));
}

function netnsChanges(name: string, a: NetnsContext, b: NetnsContext): ContextChange[] {
  const links = (n: NetnsContext) => new Map(n.links.map((l) => [l.ifname, linkValue(l)]));
  return [
    ...mapChanges(name, 'link', links(a), links(b)),
    ...lineChanges(name, 'route', a.routes.filter(notLinkLocal), b.routes.filter(notLinkLocal)),
    ...lineChanges(name, 'rule', a.rules, b.rules),
    ...mapChanges(name, 'sysctl', new Map(Object.entries(a.sysctls)), new Map(Object.entries(b.sysctls))),
    ...lineChanges(name, 'nftables', nftLines(a.nftables), nftLines(b.nftables)),
    ...lineChanges(name, 'iptables', iptablesLines(a.iptables), iptablesLines(b.iptables)),
    ...lineChanges(name, 'tc', tcConfigLines(a.tc), tcConfigLines(b.tc)),
    ...lineChanges(name, 'listener', listenerKeys(a.listeners), listenerKeys(b.listeners)),
  ];
}

/**
 * How two runs' host contexts differ, namespace by namespace (matched by name: `init`, `ip netns` names), from
 * each run's start snapshot (else its end): links (kind, state, MTU, addresses), routes, rules, sysctls, nftables
 * and iptables rules (handles and counters ignored), tc qdiscs and filters (counters ignored) and listeners, in that order of relevance (ORDER).
 * Neighbours and counters are left out: they change by themselves. A namespace on one side only is one
 * `namespace` change.
 */
export function diffContexts(a: HostContext | undefined, b: HostContext | undefined): ContextDiff {
  const sa = a?.start ?? a?.end;
  const sb = b?.start ?? b?.end;
  if (!sa || !sb) return { available: false, changes: [] };
  const byName = (ns: readonly NetnsContext[]) => new Map(ns.map((n) => [n.name, n]));
  const na = byName(sa.namespaces);
  const nb = byName(sb.namespaces);
  const changes: ContextChange[] = [];
  for (const name of [...new Set([...na.keys(), ...nb.keys()])]) {
    const x = na.get(name);
    const y = nb.get(name);
    if (x && y) changes.push(...netnsChanges(name, x, y));
    else
      changes.push({
        netns: name,
        kind: 'namespace',
        key: name,
        a: x ? `netns ${x.netns}` : null,
        b: y ? `netns ${y.netns}` : null,
      });
  }
  changes.sort((x, y) => ORDER.indexOf(x.kind) - ORDER.indexOf(y.kind)); // stable: namespaces keep their order
  return {
    available: true,
    changes: changes.slice(0, MAX_CONTEXT_CHANGES),
    ...(changes.length > MAX_CONTEXT_CHANGES ? { truncated: true } : {}),
  };
}
