import type { ProbeEntry, ProbeSetError } from '../../api/probeset.js';

/**
 * The probe-set format, successor of the prototype's kp_func.list:
 *
 *   # comment                     (whole line, or after the options)
 *   ip_rcv                        one kernel function per line
 *   __dev_queue_xmit  arg=1 stack options: arg=N (skb argument position 1-5), final, stack, ret
 *   consume_skb final             `final` ends the path of the skb it sees at this function (the seed's KP_FIN);
 *                                 a packet's path ends once every copy of it ended so (packet-grouper.ts)
 *
 * Errors carry 1-based line and column of the offending token, so editors can underline it.
 */

// Kernel symbols, including the compiler's local clones (ip_rcv_core.isra.0, foo.constprop.0, bar.cold).
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;
const FLAGS = new Set(['final', 'stack', 'ret']);

export interface ProbeSetParse {
  entries: ProbeEntry[];
  errors: ProbeSetError[];
}

export function parseProbeSet(text: string): ProbeSetParse {
  const entries: ProbeEntry[] = [];
  const errors: ProbeSetError[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf('#');
    const body = hash >= 0 ? raw.slice(0, hash) : raw;
    const tokens = [...body.matchAll(/\S+/g)].map((m) => ({ text: m[0], column: m.index + 1 }));
    const first = tokens.shift();
    if (!first) return;
    const err = (column: number, message: string) => errors.push({ line, column, message });
    if (!FUNCTION_NAME.test(first.text))
      return void err(first.column, `"${first.text}" is not a kernel function name`);
    const prev = seen.get(first.text);
    if (prev !== undefined) return void err(first.column, `${first.text} is already listed on line ${prev}`);
    seen.set(first.text, line);

    const entry: ProbeEntry = { function: first.text, final: false, stack: false, ret: false, line };
    const given = new Set<string>();
    for (const tok of tokens) {
      const [key, value] = tok.text.split('=', 2) as [string, string | undefined];
      if (given.has(key)) {
        err(tok.column, `option ${key} given twice`);
        continue;
      }
      given.add(key);
      if (key === 'arg') {
        const n = value !== undefined && /^[1-5]$/.test(value) ? Number(value) : NaN;
        if (Number.isNaN(n))
          err(tok.column + 4, `arg= takes the skb argument position 1-5, not "${value ?? ''}"`);
        else entry.arg = n;
      } else if (FLAGS.has(key)) {
        if (value !== undefined) err(tok.column + key.length, `${key} takes no value`);
        else entry[key as 'final' | 'stack' | 'ret'] = true;
      } else {
        err(tok.column, `unknown option "${key}" (expected arg=N, final, stack or ret)`);
      }
    }
    entries.push(entry);
  });
  return { entries, errors };
}

/** One-line summary of errors for the CLI: `file:line:col: message` for the first, then a count. */
export function formatProbeSetErrors(source: string, errors: readonly ProbeSetError[]): string {
  const [e] = errors;
  if (!e) return '';
  return `${source}:${e.line}:${e.column}: ${e.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`;
}

/** Writes entries back in the canonical form (round-trips through parseProbeSet). */
export function formatProbeSet(entries: readonly ProbeEntry[]): string {
  return entries
    .map((e) =>
      [
        e.function,
        e.arg ? `arg=${e.arg}` : '',
        e.final ? 'final' : '',
        e.stack ? 'stack' : '',
        e.ret ? 'ret' : '',
      ]
        .filter(Boolean)
        .join(' '),
    )
    .join('\n')
    .concat(entries.length ? '\n' : '');
}
