import { and, icmpType, valuesMatch, type Match, type PacketKey } from './packet-match.js';

/** What a rule does with a packet it matches. */
export type RuleVerdict = 'drop' | 'reject' | 'accept' | 'jump' | 'goto' | 'return' | 'other';

export interface RuleEval {
  match: Match;
  verdict: RuleVerdict;
  /** jump/goto target chain */
  target?: string;
}

/** Splits a rule into tokens, keeping `{ … }` sets and quoted names whole. */
function tokenize(text: string): string[] {
  return text.match(/\{[^}]*\}|"[^"]*"|\S+/g) ?? [];
}

const PORT_FIELDS = new Set(['dport', 'sport']);
const STOP = new Set([
  'counter',
  'log',
  'accept',
  'drop',
  'reject',
  'jump',
  'goto',
  'return',
  'continue',
  'queue',
]);

/**
 * Evaluates one nft rule's matches against a packet (`ip saddr`, `ip protocol`, `meta l4proto`, `tcp/udp/th
 * dport|sport`, `icmp type`, `iifname`/`oifname`); anything else it cannot check (ct state, marks, limits…) is
 * maybe. The verdict is the rule's last verdict statement.
 */
export function evalNftRule(text: string, k: PacketKey): RuleEval {
  const tok = tokenize(text);
  let match: Match = 'yes';
  let verdict: RuleVerdict = 'other';
  let target: string | undefined;
  for (let i = 0; i < tok.length; i++) {
    const t = tok[i] ?? '';
    if (t === 'drop' || t === 'accept' || t === 'return') verdict = t;
    else if (t === 'reject') verdict = 'reject';
    else if (t === 'jump' || t === 'goto') [verdict, target] = [t, tok[++i]];
    if (t === 'counter' && tok[i + 1] === 'packets') i += 4; // counter packets N bytes M
    if (t === 'log') while (['prefix', 'level', 'flags', 'group'].includes(tok[i + 1] ?? '')) i += 2;
    if (STOP.has(t)) continue;
    const step = matcher(tok, i, k);
    match = and(match, step.match);
    i += step.used - 1;
  }
  return { match, verdict, ...(target ? { target } : {}) };
}

/** One match expression at tok[i]: how it compares and how many tokens it took. */
function matcher(tok: string[], i: number, k: PacketKey): { match: Match; used: number } {
  const [a, b] = [tok[i] ?? '', tok[i + 1]];
  const valueAt = (j: number) => {
    const neg = tok[j] === '!=';
    const op = neg || tok[j] === '==' ? 1 : 0;
    return { neg, value: tok[j + op] ?? '', used: j - i + op + 1 };
  };
  const v4 = !k.saddr.includes(':');
  if (
    (a === 'ip' || a === 'ip6') &&
    (b === 'saddr' || b === 'daddr' || b === 'protocol' || b === 'nexthdr')
  ) {
    if ((a === 'ip') !== v4) return { match: 'no', used: valueAt(i + 2).used };
    const v = valueAt(i + 2);
    const actual = b === 'saddr' ? k.saddr : b === 'daddr' ? k.daddr : k.proto;
    return {
      match: valuesMatch(b.endsWith('addr') ? 'addr' : 'proto', v.value, actual, v.neg),
      used: v.used,
    };
  }
  if (a === 'meta' && (b === 'l4proto' || b === 'iifname' || b === 'oifname')) {
    const v = valueAt(i + 2);
    const actual = b === 'l4proto' ? k.proto : b === 'iifname' ? k.iif : k.oif;
    return { match: valuesMatch(b === 'l4proto' ? 'proto' : 'name', v.value, actual, v.neg), used: v.used };
  }
  if (a === 'iifname' || a === 'oifname') {
    const v = valueAt(i + 1);
    return { match: valuesMatch('name', v.value, a === 'iifname' ? k.iif : k.oif, v.neg), used: v.used };
  }
  if ((a === 'tcp' || a === 'udp' || a === 'th' || a === 'sctp') && b !== undefined && PORT_FIELDS.has(b)) {
    const v = valueAt(i + 2);
    const proto = a === 'tcp' ? 6 : a === 'udp' ? 17 : a === 'sctp' ? 132 : k.proto;
    if (k.proto !== proto || (a === 'th' && ![6, 17, 132].includes(k.proto)))
      return { match: 'no', used: v.used };
    return { match: valuesMatch('port', v.value, b === 'dport' ? k.dport : k.sport, v.neg), used: v.used };
  }
  if ((a === 'icmp' || a === 'icmpv6') && b === 'type') {
    const v = valueAt(i + 2);
    if (k.proto !== (a === 'icmp' ? 1 : 58)) return { match: 'no', used: v.used };
    return { match: valuesMatch('icmp', v.value, icmpType(k), v.neg), used: v.used };
  }
  // reject with tcp reset | with icmp[x|v6] [type] CODE
  if (a === 'with') return { match: 'yes', used: b === 'tcp' || tok[i + 2] !== 'type' ? 3 : 4 };
  // ct state, mark, limit, fib, anything else: not knowable from the trace
  return { match: 'maybe', used: 1 };
}
