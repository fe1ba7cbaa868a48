import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect } from 'vitest';
import { gatedIt, missing } from '../support/requirements.js';

// The loader's pure parsers (trace config, filter compiler, cBPF -> eBPF translation, filter splicing), built on
// the host with ASan + UBSan: their C unit tests, then each libFuzzer target for a bounded time
// (scripts/loader-host-check.sh). The translated filters are run against libpcap's own interpreter.
const root = resolve(import.meta.dirname, '../..');
const itClang = gatedIt(missing({ tools: ['clang'] }));
const fuzzSeconds = Number(process.env.PKTPATH_FUZZ_SECONDS ?? 30);

describe('loader parsers under ASan + UBSan', () => {
  itClang(
    `unit tests pass, and the fuzz targets find nothing in ${fuzzSeconds} s each`,
    () => {
      const r = spawnSync('nice', ['bash', 'scripts/loader-host-check.sh', String(fuzzSeconds)], {
        cwd: root,
        encoding: 'utf8',
        timeout: 600_000,
      });
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.status, out.slice(-4000)).toBe(0);
      expect(out).toContain('parsers: all checks passed');
      for (const t of ['config', 'cbpf', 'filter', 'splice'])
        if (fuzzSeconds > 0) expect(out).toContain(`fuzz_${t}: ${fuzzSeconds}s`);
      // each target really ran inputs (not just its seeds)
      const runs = [...out.matchAll(/stat::number_of_executed_units: (\d+)/g)].map((m) => Number(m[1]));
      if (fuzzSeconds > 0) {
        expect(runs).toHaveLength(4);
        for (const n of runs) expect(n).toBeGreaterThan(1000);
      }
    },
    660_000,
  );
});
