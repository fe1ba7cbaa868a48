/** A display-filter error: what is wrong and where (`at`..`end`, character offsets into the source). */
export interface FilterError {
  message: string;
  at: number;
  end: number;
}

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
    readonly end: number,
  ) {
    super(message);
  }
  toFilterError(): FilterError {
    return { message: this.message, at: this.at, end: this.end };
  }
}

export type TokenKind = 'word' | 'string' | 'op' | 'punct' | 'end';

export interface Token {
  kind: TokenKind;
  text: string;
  at: number;
  end: number;
}

// Longest first, so `==` is not read as two `=`, nor `!=` as `!`.
const OPS = ['==', '!=', '<=', '>=', '&&', '||', '<', '>', '~', '!'];
const PUNCT = '(){},';
/** Words carry field names, numbers with units, IPv4/IPv6 addresses with prefixes, drop reasons, function names. */
const WORD = /[A-Za-z0-9_.:/\-+*µ$@%]/;

/** Splits a display filter into tokens; the last is always `end`. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      i = readString(src, i, out);
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op, at: i, end: i + op.length });
      i += op.length;
      continue;
    }
    if (PUNCT.includes(c)) {
      out.push({ kind: 'punct', text: c, at: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '=') throw new FilterSyntaxError('“=” is not an operator: compare with “==”', i, i + 1);
    if (!WORD.test(c)) throw new FilterSyntaxError(`unexpected character “${c}”`, i, i + 1);
    const from = i;
    while (i < src.length && WORD.test(src[i] ?? '')) i++;
    out.push({ kind: 'word', text: src.slice(from, i), at: from, end: i });
  }
  out.push({ kind: 'end', text: '', at: src.length, end: src.length });
  return out;
}

/** A double-quoted string with `\"` and `\\` escapes. */
function readString(src: string, from: number, out: Token[]): number {
  let text = '';
  for (let i = from + 1; i < src.length; i++) {
    const c = src[i];
    if (c === '\\' && i + 1 < src.length) {
      text += src[++i];
    } else if (c === '"') {
      out.push({ kind: 'string', text, at: from, end: i + 1 });
      return i + 1;
    } else text += c;
  }
  throw new FilterSyntaxError('this string has no closing quote', from, src.length);
}
