import type { PathComparison } from '../../api/compare.js';
import { parsePathRef } from '../path-ref.js';
import { parseCommand, UsageError } from '../args.js';
import { json, type CliContext } from '../cli-context.js';
import { describeContextDiff } from './context-text.js';

export async function compareCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { at, values } = parseCommand(
    'compare',
    argv,
    { json: { type: 'boolean' } },
    { min: 2, max: 2, names: 'SESSION[:RUN[:PACKET]] SESSION[:RUN[:PACKET]] [--json]' },
  );
  const ref = (s: string) => {
    try {
      return parsePathRef(s);
    } catch (e) {
      throw new UsageError(`compare: ${(e as Error).message}`);
    }
  };
  const c = await (await ctx.core()).call('compare.paths', { a: ref(at(0)), b: ref(at(1)) });
  if (values.json) ctx.io.out(json(c));
  else for (const line of describeComparison(c)) ctx.io.out(line);
  return 0;
}

const ns = (v: number | null) => (v === null ? '' : `${(v / 1000).toFixed(1)} µs`);

function describeComparison(c: PathComparison): string[] {
  const d = c.first_divergence;
  const out = [
    c.identical
      ? 'identical paths'
      : d
        ? `first divergence: A[${d.a_index}] ${d.a_function ?? '(ended)'}  vs  B[${d.b_index}] ${d.b_function ?? '(ended)'}`
        : 'same functions, different timing',
    ...describeContextDiff(c.context_diff), // often the answer to why the paths diverge
    `${'A'.padStart(4)} ${'B'.padStart(4)}  ${'function'.padEnd(32)} ${'Δt A'.padStart(10)} ${'Δt B'.padStart(10)} ${'B−A'.padStart(10)}`,
  ];
  for (const r of c.rows) {
    // `=`: one function under each kernel's name for it; `~`: a hop replaced by another
    const renamed = r.op === 'same' && r.b_function !== undefined;
    const mark = renamed ? '=' : { same: ' ', missing: '-', inserted: '+', changed: '~' }[r.op];
    const fn =
      r.b_function !== undefined ? `${r.function} ${renamed ? '=' : '→'} ${r.b_function}` : r.function;
    out.push(
      `${String(r.a_index ?? '').padStart(4)} ${String(r.b_index ?? '').padStart(4)} ${mark}${fn.padEnd(32)} ${ns(r.a_dt_ns).padStart(10)} ${ns(r.b_dt_ns).padStart(10)} ${ns(r.delta_ns).padStart(10)}`,
    );
  }
  out.push(
    `total: A ${ns(c.a_total_ns)}, B ${ns(c.b_total_ns)}, B−A ${ns(c.total_delta_ns)}; ${c.missing.length} only in A, ${c.inserted.length} only in B`,
  );
  for (const e of c.equivalences ?? [])
    out.push(
      `aligned across kernel versions: A's ${e.a_function} = B's ${e.b_function}: one function, ${e.role}; ${e.evidence}`,
    );
  return out;
}
