import { and, valuesMatch, type Match, type PacketKey } from './packet-match.js';

/** One `-A CHAIN …` line of `iptables-save`, with its table. */
export interface IptablesRule {
  table: string;
  chain: string;
  /** the line as iptables-save prints it */
  text: string;
  target?: string;
}

export interface IptablesRuleset {
  rules: IptablesRule[];
  /** `:INPUT DROP [0:0]` → filter/INPUT → DROP */
  policies: Map<string, string>;
}

export function parseIptablesSave(text: string): IptablesRuleset {
  const rules: IptablesRule[] = [];
  const policies = new Map<string, string>();
  let table = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    const pol = /^:(\S+) (\S+)/.exec(line);
    if (pol?.[2] && pol[2] !== '-') policies.set(`${table}/${pol[1] ?? ''}`, pol[2]);
    const chain = /^-A (\S+) /.exec(line)?.[1];
    if (!chain) continue;
    const target = / -j (\S+)/.exec(line)?.[1];
    rules.push({ table, chain, text: line, ...(target ? { target } : {}) });
  }
  return { rules, policies };
}

/** The built-in chain that a netfilter hook runs for iptables' filter table. */
export const HOOK_CHAIN: Readonly<Record<string, string>> = {
  input: 'INPUT',
  forward: 'FORWARD',
  output: 'OUTPUT',
  prerouting: 'PREROUTING',
  postrouting: 'POSTROUTING',
};

/** Evaluates an iptables rule's matches (-p, -s, -d, --dport, --sport, --icmp-type, -i, -o); the rest is maybe. */
export function evalIptablesRule(text: string, k: PacketKey): Match {
  const tok = text.split(/\s+/).slice(2);
  let m: Match = 'yes';
  for (let i = 0; i < tok.length; i++) {
    const neg = tok[i] === '!';
    if (neg) i++;
    const [opt, v] = [tok[i], tok[i + 1] ?? ''];
    if (opt === '-j' || opt === '-g') break;
    if (opt === '-m') {
      i++;
      continue;
    }
    const one = (kind: 'addr' | 'port' | 'proto' | 'icmp' | 'name', actual: string | number | undefined) => {
      m = and(m, valuesMatch(kind, v, actual, neg));
      i++;
    };
    if (opt === '-p') one('proto', k.proto);
    else if (opt === '-s') one('addr', k.saddr);
    else if (opt === '-d') one('addr', k.daddr);
    else if (opt === '--dport' || opt === '--dports') one('port', k.proto === 1 ? undefined : k.dport);
    else if (opt === '--sport' || opt === '--sports') one('port', k.proto === 1 ? undefined : k.sport);
    else if (opt === '--icmp-type') one('icmp', k.proto === 1 ? k.dport >> 8 : undefined);
    else if (opt === '-i') one('name', k.iif);
    else if (opt === '-o') one('name', k.oif);
    else if (opt?.startsWith('-')) m = and(m, 'maybe');
  }
  return m;
}
