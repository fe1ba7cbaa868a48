import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../main/cli/run.js';

function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runCli(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('pktpath CLI', () => {
  it('prints the package version', () => {
    const pkg = JSON.parse(execFileSync('npm', ['pkg', 'get', 'version'], { encoding: 'utf8' })) as string;
    expect(run(['--version'])).toEqual({ code: 0, out: `pktpath ${pkg}`, err: '' });
  });

  it('prints usage listing every command', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['hosts', 'probe', 'trace', 'sessions', 'compare'])
      expect(r.out).toMatch(new RegExp(`^  ${cmd} `, 'm'));
  });

  it('refuses an unknown command with one line on stderr and a non-zero exit', () => {
    const r = run(['frobnicate']);
    expect(r.code).not.toBe(0);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('works through the installed bin entry', () => {
    const r = spawnSync(process.execPath, ['bin/pktpath.mjs', '-V'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^pktpath \d+\.\d+\.\d+\n$/);
  });
});
