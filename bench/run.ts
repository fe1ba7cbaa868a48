// `npm run bench`: runs every bench/*/*.bench.ts in sequence (each writes bench/results/<name>.json), then writes
// bench/results/summary.json and prints it. Benchmarks report figures and ratios against a peer measured in the
// same run; they never pass or fail on a time.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname);
const results = join(root, 'results');
mkdirSync(results, { recursive: true });
const scripts = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'results')
  .flatMap((d) =>
    readdirSync(join(root, d.name))
      .filter((f) => f.endsWith('.bench.ts'))
      .sort()
      .map((f) => join(d.name, f)),
  );
const summary: Record<string, unknown> = { at: new Date().toISOString(), benches: {} };
let failed = 0;
for (const s of scripts) {
  const name = s.replace(/\.bench\.ts$/, '').replace(/\//g, '-');
  const out = join(results, `${name}.json`);
  console.error(`bench: ${s}`);
  const r = spawnSync('npx', ['tsx', join(root, s), out], { stdio: 'inherit', cwd: join(root, '..') });
  const ok = r.status === 0 && existsSync(out);
  failed += ok ? 0 : 1;
  (summary.benches as Record<string, unknown>)[name] = ok
    ? ((JSON.parse(readFileSync(out, 'utf8')) as { summary?: unknown }).summary ?? 'see ' + out)
    : { error: `exit ${r.status ?? r.signal}` };
}
writeFileSync(join(results, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(summary, null, 2));
process.exit(failed ? 1 : 0);
