import { describe, expect } from 'vitest';
import { FUNCTION_EQUIVALENCES } from '../../main/core/compare/function-equivalence.js';
import { labContext } from '../support/lab-context.js';
import { labTarget, type LabHostName } from './lab.js';
import { sshRun } from './ssh-client.js';

// The compare's function-equivalence table claims, per kernel version, which of each renamed function's names a
// kernel has. Re-measured here on every lab kernel: the table stays evidence, and a new lab kernel that breaks a
// claim (or is missing from it) fails this test.
const { lab, labIt } = labContext();
const HOSTS: LabHostName[] = ['local', 'vm510', 'vm61', 'vm612', 'vmarm64'];

/**
 * Which of `names` the host's kernel has as functions: available_filter_functions (traceable), or, where lockdown
 * hides that file (this machine), /proc/kallsyms (a symbol: not inlined away).
 */
async function present(host: LabHostName, names: readonly string[]): Promise<string[]> {
  const script = [
    'f=/sys/kernel/tracing/available_filter_functions',
    'if cat $f >/dev/null 2>&1; then src=ftrace; cut -d" " -f1 $f >/tmp/pktpath-fn; else src=kallsyms; awk \'{print $3}\' /proc/kallsyms >/tmp/pktpath-fn; fi',
    `for n in ${names.join(' ')}; do grep -qx "$n" /tmp/pktpath-fn && echo "$n"; done; echo "source=$src"`,
  ].join('\n');
  const r = await sshRun(labTarget(lab(), host), lab().runtimeDir, script, 120_000);
  expect(r.code, r.stderr).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines.at(-1)).toMatch(/^source=(ftrace|kallsyms)$/);
  return lines.slice(0, -1);
}

describe('function equivalences (main/core/compare/function-equivalence.ts) against the lab kernels', () => {
  for (const host of HOSTS)
    labIt({ hosts: [host] })(
      `${host}: has exactly the names the table records for its version`,
      async () => {
        const release = lab().hosts[host]!.kernelRelease;
        const version = /^(\d+\.\d+)/.exec(release)![1]!;
        const names = FUNCTION_EQUIVALENCES.flatMap((e) => e.names);
        const has = new Set(await present(host, names));
        expect(has.size).toBeGreaterThan(0); // control: the measurement finds names at all
        for (const e of FUNCTION_EQUIVALENCES) {
          const claimed = e.seen[version];
          expect(claimed, `${e.names.join('/')}: no measurement recorded for ${version}`).toBeDefined();
          expect(
            e.names.filter((n) => has.has(n)),
            `${e.names.join('/')} on ${host} (${release})`,
          ).toEqual(claimed);
        }
      },
      180_000,
    );
});
