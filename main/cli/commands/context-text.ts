import type { ContextDiff } from '../../api/compare.js';
import type { HostContext, HostContextSnapshot, NetnsContext } from '../../api/explain.js';
import { counterDeltas } from '../../api/counter-deltas.js';
import { tcConfigLines } from '../../core/context/tc-text.js';

/** Gauges and configuration values /proc/net/snmp prints among its counters: not movement. */
const NOT_COUNTERS =
  /^(IpForwarding|IpDefaultTTL|TcpRtoAlgorithm|TcpRtoMin|TcpRtoMax|TcpMaxConn|TcpCurrEstab)$/;

function* netnsLines(ns: NetnsContext): Generator<string> {
  yield `  netns ${ns.name} (${ns.netns})`;
  for (const l of ns.links)
    yield `    ${l.ifindex}: ${l.ifname}${l.link ? `@${l.link}` : ''}  ${l.kind ?? ''} ${l.state ?? ''} mtu ${l.mtu ?? '?'}${l.master ? ` master ${l.master}` : ''}  ${l.addresses.join(' ')}`;
  for (const r of ns.routes) yield `    route ${r}`;
  for (const r of ns.rules) yield `    rule ${r}`;
  for (const n of ns.neighbours) yield `    neigh ${n}`;
  const sysctls = Object.entries(ns.sysctls).map(([k, v]) => `${k.replace(/^net\./, '')}=${v}`);
  for (let i = 0; i < sysctls.length; i += 6) yield `    sysctl ${sysctls.slice(i, i + 6).join('  ')}`;
  if (ns.nftables?.trim()) for (const l of ns.nftables.split('\n')) yield `    nft ${l}`;
  if (ns.iptables?.trim())
    for (const l of ns.iptables.split('\n')) if (l && !l.startsWith('#')) yield `    iptables ${l}`;
  for (const l of tcConfigLines(ns.tc)) yield `    tc ${l}`;
  for (const l of ns.listeners) yield `    listen ${l}`;
  for (const e of ns.errors) yield `    ! ${e}`;
}

function* snapshotLines(label: string, s: HostContextSnapshot): Generator<string> {
  yield `${label} ${s.at}: ${s.namespaces.length} namespaces${s.truncated ? ' (truncated)' : ''}`;
  if (s.error) yield `  ! ${s.error}`;
  for (const ns of s.namespaces) yield* netnsLines(ns);
}

/** `sessions context`: both snapshots, then the counters that moved (end − start) per namespace. */
export function* describeContext(ctx: HostContext | undefined): Generator<string> {
  if (!ctx)
    return yield 'no host context in this run (traced with --no-context, or before pktpath captured it)';
  if (ctx.start) yield* snapshotLines('start', ctx.start);
  if (ctx.end) yield* snapshotLines('end', ctx.end);
  for (const d of counterDeltas(ctx)) {
    const moved = Object.entries(d.deltas).filter(([k]) => !NOT_COUNTERS.test(k));
    yield `counters moved in netns ${d.name}: ${moved.length ? moved.map(([k, v]) => `${k} ${v > 0 ? '+' : ''}${v}`).join(', ') : 'none'}`;
  }
}

/** Context changes shown next to the first divergence: `netns X: sysctl k: 1 → 0`, `+`/`-` for one-sided lines. */
export function* describeContextDiff(d: ContextDiff | undefined): Generator<string> {
  if (!d) return;
  if (!d.available)
    return yield 'host context: not compared (a run has none: traced with --no-context or before it was captured)';
  if (!d.changes.length)
    return yield 'host context: no differences (routes, rules, sysctls, firewall, links, listeners)';
  yield `host context differs (A → B), ${d.changes.length}${d.truncated ? '+' : ''} changes:`;
  for (const c of d.changes) {
    const what =
      c.a !== null && c.b !== null
        ? `${c.kind} ${c.key}: ${c.a} → ${c.b}`
        : `${c.kind} ${c.a === null ? '+ only in B' : '- only in A'}: ${c.key}`;
    yield `  netns ${c.netns}: ${what}`;
  }
}
