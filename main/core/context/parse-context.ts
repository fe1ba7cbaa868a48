import type { HostContextSnapshot, NetnsContext } from '../../api/explain.js';
import { RULESET_CAP, SECTION_CAP, TOTAL_CAP } from './capture-script.js';
import { lines, netstatListeners, parseCounters, parseLinks, parseSysctls } from './parse-sections.js';

const RULESETS = new Set(['nft', 'iptables-save', 'ip6tables-save']);

/** A section's text without the newline the script adds, and whether it hit its cap (the script prints cap+1). */
function capped(name: string, text: string): { text: string; cut: boolean } {
  const cap = RULESETS.has(name) ? RULESET_CAP : SECTION_CAP;
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return Buffer.byteLength(body) > cap
    ? { text: Buffer.from(body).subarray(0, cap).toString('utf8'), cut: true }
    : { text: body, cut: false };
}

/** Fills one namespace's fields from one section; a section that does not parse becomes an error in words. */
function applySection(ns: NetnsContext, name: string, raw: string): void {
  const { text, cut } = capped(name, raw);
  if (cut) ns.errors.push(`${name}: cut at ${RULESETS.has(name) ? RULESET_CAP : SECTION_CAP} bytes`);
  try {
    switch (name) {
      case 'addr':
        ns.links = parseLinks(text);
        return;
      case 'route4':
      case 'route6':
        ns.routes.push(...lines(text));
        return;
      case 'rule4':
      case 'rule6':
        ns.rules.push(...lines(text));
        return;
      case 'neigh':
        ns.neighbours = lines(text);
        return;
      case 'sysctl':
        ns.sysctls = parseSysctls(text);
        return;
      case 'nft':
        ns.nftables = text;
        return;
      case 'iptables-save':
      case 'ip6tables-save':
        ns.iptables = ns.iptables ? `${ns.iptables}\n${text}` : text;
        return;
      case 'tc':
        ns.tc = text;
        return;
      case 'ss':
        ns.listeners = lines(text);
        return;
      case 'netstat':
        ns.listeners = netstatListeners(text);
        return;
      case 'snmp':
      case 'snmp6':
        Object.assign(ns.counters, parseCounters(text));
        return;
    }
  } catch (e) {
    ns.errors.push(
      `${name}: ${(e instanceof Error ? e.message : String(e)).slice(0, 200)}: ${text.slice(0, 200)}`,
    );
  }
}

const emptyNetns = (netns: number, name: string): NetnsContext => ({
  netns,
  name,
  links: [],
  routes: [],
  rules: [],
  neighbours: [],
  sysctls: {},
  listeners: [],
  counters: {},
  errors: [],
});

/**
 * The capture script's stdout (markers carry `token`) → one snapshot. Output without the final `done` marker was
 * cut (total size, or killed at the time bound): what arrived is kept and `truncated` set.
 */
export function parseContextOutput(stdout: string, token: string, at: string): HostContextSnapshot {
  const mark = `@@${token} `;
  const namespaces: NetnsContext[] = [];
  const notes: string[] = [];
  let ns: NetnsContext | undefined;
  let section: { name: string; body: string[] } | undefined;
  let done = false;
  const close = () => {
    if (ns && section) applySection(ns, section.name, section.body.join('\n'));
    section = undefined;
  };
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(mark)) {
      section?.body.push(line);
      continue;
    }
    const [kind, ...rest] = line.slice(mark.length).split(' ');
    const arg = rest.join(' ');
    close();
    if (kind === 'ns') {
      const tab = arg.indexOf('\t');
      const inode = Number(arg.slice(0, tab));
      ns = Number.isSafeInteger(inode) && inode >= 0 ? emptyNetns(inode, arg.slice(tab + 1)) : undefined;
      if (ns) namespaces.push(ns);
    } else if (kind === 'sec') section = { name: arg, body: [] };
    else if (kind === 'cut') notes.push(`stopped at the ${arg === 'time' ? 'time' : 'namespace'} bound`);
    else if (kind === 'done') done = true;
  }
  close();
  if (!done && Buffer.byteLength(stdout) > TOTAL_CAP) notes.push(`output cut at ${TOTAL_CAP} bytes`);
  else if (!done) notes.push('the capture ended early (time bound or lost link)');
  const truncated = notes.length > 0 || namespaces.some((n) => n.errors.some((e) => e.includes(': cut at ')));
  return {
    at,
    namespaces,
    ...(truncated ? { truncated: true } : {}),
    ...(notes.length ? { error: notes.join('; ') } : {}),
  };
}
