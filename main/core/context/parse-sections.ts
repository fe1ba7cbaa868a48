import type { ContextLink } from '../../api/explain.js';

/**
 * Parsers of single sections of the capture script's output (capture-script.ts), each on the text one command
 * printed. They never throw: what does not parse is reported by the caller as an error of that namespace.
 */

interface IpAddrInfo {
  family?: string;
  local?: string;
  prefixlen?: number;
}
interface IpLink {
  ifindex?: number;
  ifname?: string;
  link_type?: string;
  operstate?: string;
  flags?: string[];
  qdisc?: string;
  mtu?: number;
  master?: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string };
  addr_info?: IpAddrInfo[];
}

/** `ip -j -d addr show`: one entry per interface, addresses as `addr/prefix`. */
export function parseLinks(text: string): ContextLink[] {
  const doc = JSON.parse(text) as unknown;
  if (!Array.isArray(doc)) throw new Error('ip -j addr did not print a JSON array');
  const links: ContextLink[] = [];
  for (const l of doc as IpLink[]) {
    if (!Number.isInteger(l.ifindex) || typeof l.ifname !== 'string') continue;
    const peer =
      l.link ??
      (l.link_index !== undefined
        ? `if${l.link_index}${l.link_netnsid !== undefined ? ` nsid ${l.link_netnsid}` : ''}`
        : undefined);
    links.push({
      ifindex: l.ifindex as number,
      ifname: l.ifname,
      kind: l.linkinfo?.info_kind ?? l.link_type,
      ...(l.operstate ? { state: l.operstate } : {}),
      // an UP device without carrier is down for packets before linkwatch updates its operstate
      ...(l.flags?.includes('UP') ? { carrier: !l.flags.includes('NO-CARRIER') } : {}),
      ...(Number.isInteger(l.mtu) ? { mtu: l.mtu } : {}),
      ...(l.qdisc ? { qdisc: l.qdisc } : {}), // the diagnosis names a netem qdisc
      ...(l.master ? { master: l.master } : {}),
      ...(peer ? { link: peer } : {}),
      addresses: (l.addr_info ?? [])
        .filter((a) => typeof a.local === 'string')
        .map((a) => `${a.local}/${a.prefixlen ?? ''}`),
    });
  }
  return links;
}

/** `grep -H . /proc/sys/net/…` lines → `net.ipv4.conf.eth0.rp_filter` → value (tabs as sysctl prints them). */
export function parseSysctls(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [, path, value] = /^\/proc\/sys\/(net\/[^:]+):(.*)$/.exec(line) ?? [];
    if (path !== undefined && value !== undefined) out[path.replace(/\//g, '.')] = value.replace(/\t/g, ' ');
  }
  return out;
}

/**
 * /proc/net/snmp + /proc/net/netstat (pairs of `Prefix: names…` / `Prefix: values…` lines) and /proc/net/snmp6
 * (`name value` lines), named as `nstat` names them: `IpInReceives`, `TcpExtListenDrops`, `Ip6InNoRoutes`.
 */
export function parseCounters(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const all = text.split('\n');
  for (let i = 0; i < all.length; i++) {
    const line = all[i] ?? '';
    const [, prefix, names] = /^(\w+): (.*)$/.exec(line) ?? [];
    if (prefix && names) {
      const [, again, values] = /^(\w+): (.*)$/.exec(all[i + 1] ?? '') ?? [];
      if (again !== prefix || !values) continue;
      const vs = values.trim().split(/\s+/);
      names
        .trim()
        .split(/\s+/)
        .forEach((n, j) => {
          const v = Number(vs[j]);
          if (Number.isFinite(v)) out[`${prefix}${n}`] = v;
        });
      i++;
      continue;
    }
    const [, name, value] = /^(\w+)\s+(-?\d+)$/.exec(line.trim()) ?? [];
    if (name && value) out[name] = Number(value);
  }
  return out;
}

/** Non-empty lines, trailing blanks trimmed. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
}

/** busybox `netstat -lntuw` without its two header lines, so it lists like `ss -H`. */
export function netstatListeners(text: string): string[] {
  return lines(text).filter((l) => !/^(Active Internet|Proto )/.test(l));
}
