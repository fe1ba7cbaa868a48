/**
 * `nft -a list ruleset` text → tables, chains and rules with their handles: enough to find which rule of a hook's
 * chains dropped a packet. Tolerant: lines it does not understand (sets, maps, flowtables' bodies) are skipped.
 */
export interface NftRule {
  family: string;
  table: string;
  chain: string;
  /** The rule as nft prints it, without the `# handle N` comment. */
  text: string;
  handle?: number;
}

export interface NftChain {
  family: string;
  table: string;
  name: string;
  /** Base chains only: the hook (input, forward, output, prerouting, postrouting, ingress, egress). */
  hook?: string;
  policy?: string;
  rules: NftRule[];
}

export interface NftRuleset {
  chains: NftChain[];
  /** Tables iptables-nft manages (nft prints a warning comment in them): their rules are iptables rules. */
  iptablesTables: Set<string>;
}

const HANDLE = /\s*# handle (\d+)\s*$/;

export function parseNftRuleset(text: string): NftRuleset {
  const chains: NftChain[] = [];
  const iptablesTables = new Set<string>();
  let table: { family: string; name: string } | undefined;
  let chain: NftChain | undefined;
  let depth = 0; // braces below the chain (sets, maps, anonymous blocks) whose lines are not rules
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t?.[1] && t[2]) {
      table = { family: t[1], name: t[2] };
      continue;
    }
    if (table && /managed by iptables-nft/.test(line)) iptablesTables.add(`${table.family} ${table.name}`);
    const c = /^chain (\S+) \{/.exec(line);
    if (table && c?.[1]) {
      chain = { family: table.family, table: table.name, name: c[1], rules: [] };
      chains.push(chain);
      depth = 0;
      continue;
    }
    if (!chain) continue;
    if (line === '}') {
      if (depth > 0) depth--;
      else chain = undefined;
      continue;
    }
    const base = /^type \S+ hook (\S+)(?: device \S+)? priority [^;]+;(?:\s*policy (\w+);)?/.exec(line);
    if (base) {
      chain.hook = base[1];
      chain.policy = base[2];
      continue;
    }
    if (line.endsWith('{')) depth++;
    if (depth > 0 || line.startsWith('#')) continue;
    const h = HANDLE.exec(line);
    chain.rules.push({
      family: chain.family,
      table: chain.table,
      chain: chain.name,
      text: line.replace(HANDLE, ''),
      ...(h ? { handle: Number(h[1]) } : {}),
    });
  }
  return { chains, iptablesTables };
}
