import { valueTest, WORD_OPS, type Op } from './compare.js';
import type { FactNeeds, PacketFacts } from './facts.js';
import { ALIASES, FIELDS, type FieldDef } from './fields.js';
import { FilterSyntaxError, tokenize, type Token } from './lexer.js';
import { editDistance } from './values.js';

export type Predicate = (f: PacketFacts) => boolean;

const END: Token = { kind: 'end', text: '', at: 0, end: 0 };
const SYMBOL_OPS = new Set(['==', '!=', '<', '<=', '>', '>=', '~']);

/** Recursive descent over the tokens: or → and → not → comparison. */
export class Parser {
  private i = 0;
  readonly needs: FactNeeds = { places: false, verdict: false };

  constructor(private readonly tokens: Token[]) {}

  static parse(src: string): { test: Predicate; needs: FactNeeds } {
    const p = new Parser(tokenize(src));
    const test = p.or();
    const rest = p.peek();
    if (rest.kind !== 'end')
      throw new FilterSyntaxError(
        rest.text === ')' ? 'this “)” closes nothing' : `expected “&&” or “||” before “${rest.text}”`,
        rest.at,
        rest.end,
      );
    return { test, needs: p.needs };
  }

  private peek(): Token {
    return this.tokens[this.i] ?? END;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'end') this.i++;
    return t;
  }
  private isWord(t: Token, ...words: string[]): boolean {
    return t.kind === 'word' && words.includes(t.text.toLowerCase());
  }

  private or(): Predicate {
    const parts = [this.and()];
    for (let t = this.peek(); t.text === '||' || this.isWord(t, 'or'); t = this.peek()) {
      this.next();
      parts.push(this.and());
    }
    return parts.length === 1 && parts[0] ? parts[0] : (f) => parts.some((p) => p(f));
  }

  private and(): Predicate {
    const parts = [this.not()];
    for (let t = this.peek(); t.text === '&&' || this.isWord(t, 'and'); t = this.peek()) {
      this.next();
      parts.push(this.not());
    }
    return parts.length === 1 && parts[0] ? parts[0] : (f) => parts.every((p) => p(f));
  }

  private not(): Predicate {
    const t = this.peek();
    if ((t.kind === 'op' && t.text === '!') || this.isWord(t, 'not')) {
      this.next();
      const inner = this.not();
      return (f) => !inner(f);
    }
    return this.primary();
  }

  private primary(): Predicate {
    const t = this.next();
    if (t.text === '(' && t.kind === 'punct') {
      const inner = this.or();
      const close = this.next();
      if (close.text !== ')') throw new FilterSyntaxError('this “(” is never closed', t.at, close.end);
      return inner;
    }
    if (t.kind === 'end')
      throw new FilterSyntaxError('the filter ends where a field was expected', t.at, t.end);
    if (t.kind !== 'word') throw new FilterSyntaxError(`expected a field, not “${t.text}”`, t.at, t.end);
    return this.comparison(t);
  }

  private comparison(nameTok: Token): Predicate {
    const { name, def } = this.field(nameTok);
    if (def.needs) this.needs[def.needs] = true;
    const opTok = this.peek();
    const op = this.operator(opTok);
    if (!op) {
      // after a flag (`tcp udp`) the missing piece is `&&`/`||`, which the caller reports
      if (opTok.kind === 'word' && def.kind !== 'flag' && !this.isWord(opTok, 'and', 'or', 'not'))
        throw new FilterSyntaxError(
          `expected an operator (==, !=, <, >, contains…) before “${opTok.text}”`,
          opTok.at,
          opTok.end,
        );
      return (f) => def.values(f).length > 0;
    }
    this.next();
    if (op === 'in') return this.inSet(name, def);
    const test = valueTest(name, def, op, this.literal(op));
    if (op === '!=') return (f) => def.values(f).length > 0 && !def.values(f).some(test);
    return (f) => def.values(f).some(test);
  }

  private field(t: Token): { name: string; def: FieldDef } {
    const lower = t.text.toLowerCase();
    const name = ALIASES[lower] ?? lower;
    const def = FIELDS[name];
    if (def) return { name, def };
    const known = [...Object.keys(FIELDS), ...Object.keys(ALIASES)];
    const near = known
      .map((k) => ({ k, d: editDistance(lower, k) }))
      .sort((a, b) => a.d - b.d)
      .find((c) => c.d <= Math.max(1, Math.floor(lower.length / 3)));
    throw new FilterSyntaxError(
      `unknown field “${t.text}”${near ? ` — did you mean ${near.k}?` : ''}`,
      t.at,
      t.end,
    );
  }

  private operator(t: Token): Op | undefined {
    if (t.kind === 'op' && SYMBOL_OPS.has(t.text)) return t.text === '~' ? 'matches' : (t.text as Op);
    if (t.kind === 'word') return WORD_OPS[t.text.toLowerCase()];
    return undefined;
  }

  private literal(op: Op): Token {
    const t = this.next();
    if (t.kind === 'word' || t.kind === 'string') return t;
    throw new FilterSyntaxError(
      t.kind === 'end'
        ? `the filter ends where a value after “${op}” was expected`
        : `expected a value, not “${t.text}”`,
      t.at,
      t.end,
    );
  }

  /** `field in {a b c}` (commas optional): any value equal to any of them. */
  private inSet(name: string, def: FieldDef): Predicate {
    const open = this.next();
    if (open.text !== '{') throw new FilterSyntaxError('“in” takes a set: {80 443}', open.at, open.end);
    const tests: ((v: string | number) => boolean)[] = [];
    for (let t = this.peek(); t.text !== '}'; t = this.peek()) {
      if (t.text === ',') {
        this.next();
        continue;
      }
      if (t.kind === 'end') throw new FilterSyntaxError('this “{” is never closed', open.at, t.end);
      tests.push(valueTest(name, def, '==', this.literal('in')));
    }
    this.next();
    if (!tests.length) throw new FilterSyntaxError('the set is empty', open.at, this.peek().at);
    return (f) => def.values(f).some((v) => tests.some((test) => test(v)));
  }
}
