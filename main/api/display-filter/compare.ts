import { VerdictKindSchema } from '../explain.js';
import type { FieldDef } from './fields.js';
import { FilterSyntaxError, type Token } from './lexer.js';
import { ipMatches, parseDuration, parseIpPattern, parseProtocol } from './values.js';

export type Op = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'contains' | 'matches' | 'in';

/** Word spellings of operators (Wireshark's), onto the symbols. */
export const WORD_OPS: Record<string, Op> = {
  eq: '==',
  ne: '!=',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
  contains: 'contains',
  matches: 'matches',
  in: 'in',
};

/** Tests one value of a field against the literal it was compared with. */
type Test = (v: string | number) => boolean;

const ORDERED = new Set<Op>(['<', '<=', '>', '>=']);

function fail(t: Token, message: string): never {
  throw new FilterSyntaxError(message, t.at, t.end);
}

/** The test for `field OP literal` on one value; checks that the literal suits the field (at parse time). */
export function valueTest(name: string, def: FieldDef, op: Op, lit: Token): Test {
  const text = lit.text;
  if (ORDERED.has(op) && !['port', 'number', 'duration'].includes(def.kind))
    fail(lit, `“${op}” does not apply to ${name}: it is not a number`);
  if ((op === 'contains' || op === 'matches') && def.kind !== 'string')
    fail(lit, `“${op}” applies to text fields (func, drop.reason, iface, netns), not ${name}`);
  switch (def.kind) {
    case 'ip': {
      const p = parseIpPattern(text);
      if (!p) fail(lit, `“${text}” is not an IP address or prefix (10.0.0.1, 10.0.0.0/24, fe80::1)`);
      return (v) => ipMatches(p, String(v));
    }
    case 'port':
    case 'number': {
      if (!/^\d+$/.test(text) || (def.kind === 'port' && Number(text) > 65535))
        fail(lit, `“${text}” is not ${def.kind === 'port' ? 'a port (0–65535)' : 'a whole number'}`);
      return numeric(op, Number(text));
    }
    case 'duration': {
      const ns = parseDuration(text);
      if (typeof ns === 'string') fail(lit, ns);
      return numeric(op, ns);
    }
    case 'proto': {
      const n = parseProtocol(text);
      if (typeof n === 'string') fail(lit, n);
      return (v) => v === n;
    }
    case 'verdict': {
      const kinds = VerdictKindSchema.options as readonly string[];
      if (!kinds.includes(text.toLowerCase()))
        fail(lit, `“${text}” is not a verdict: one of ${kinds.join(', ')}`);
      return (v) => v === text.toLowerCase();
    }
    case 'string':
      return textTest(op, lit);
    case 'flag':
      return fail(lit, `${name} is true or false: write “${name}” or “!${name}”, without a value`);
  }
}

function numeric(op: Op, n: number): Test {
  switch (op) {
    case '<':
      return (v) => Number(v) < n;
    case '<=':
      return (v) => Number(v) <= n;
    case '>':
      return (v) => Number(v) > n;
    case '>=':
      return (v) => Number(v) >= n;
    default:
      return (v) => Number(v) === n;
  }
}

/** Text compares case-insensitively (kernel names never differ by case only); `matches` is a regex. */
function textTest(op: Op, lit: Token): Test {
  const want = lit.text.toLowerCase();
  if (op === 'contains') return (v) => String(v).toLowerCase().includes(want);
  if (op === 'matches') {
    let re: RegExp;
    try {
      re = new RegExp(lit.text, 'i');
    } catch (e) {
      return fail(lit, `not a regular expression: ${(e as Error).message}`);
    }
    return (v) => re.test(String(v));
  }
  return (v) => String(v).toLowerCase() === want;
}
