import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gatedIt, missing } from '../support/requirements.js';
import { importSshConfig, importSshConfigText } from '../../main/core/inventory/ssh-config-import.js';

/** ssh_config import at the edge (issue 8 item 12): linear time, only regular files, bounded size. */

const root = mkdtempSync(join(tmpdir(), 'pktpath-inputs-sshcfg-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function freshHome(): string {
  const home = join(root, `h${n++}`);
  mkdirSync(join(home, '.ssh'), { recursive: true });
  return home;
}

/** `node bin/pktpath.mjs …` with its own data dir and HOME, as a user runs it. */
function pktpath(home: string, args: string[], timeoutMs = 30_000) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/pktpath.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PKTPATH_HOME: join(home, 'data'), HOME: home },
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 2 ** 26,
  });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}

/** A config like a big fleet's: one wildcard block, then `count` hosts with four lines each. */
function fleetConfig(count: number): string {
  let text = 'Host *\n  ServerAliveInterval 30\n  User ops\n\n';
  for (let i = 0; i < count; i++)
    text += `Host node${i}\n  HostName 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}\n  Port ${2000 + (i % 100)}\n\n`;
  return text;
}

function bestMs(fn: () => void, times = 3): number {
  let best = Infinity;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

describe('ssh_config import', { timeout: 120_000 }, () => {
  it('is linear: 5,000 hosts take about five times as long as 1,000, well under a second each', () => {
    const home = freshHome();
    writeFileSync(join(home, 'c1k'), fleetConfig(1000));
    writeFileSync(join(home, 'c5k'), fleetConfig(5000));
    let hosts = 0;
    const t1k = bestMs(() => void (hosts = importSshConfig(join(home, 'c1k'), home).hosts.length));
    expect(hosts).toBe(1000);
    const t5k = bestMs(() => void (hosts = importSshConfig(join(home, 'c5k'), home).hosts.length));
    expect(hosts).toBe(5000);
    // quadratic (the old per-alias compute over the whole file) is 25x and ~50 s; linear is 5x
    expect(t5k / t1k).toBeLessThan(12);
    expect(t5k).toBeLessThan(3000);
  });

  it('imports 5,000 hosts through the CLI in a few seconds', () => {
    const home = freshHome();
    writeFileSync(join(home, '.ssh', 'config'), fleetConfig(5000));
    const r = pktpath(home, ['hosts', 'import-ssh-config', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out) as { imported: { name: string; user: string; port: number }[] };
    expect(out.imported).toHaveLength(5000);
    expect(out.imported[4999]).toMatchObject({ name: 'node4999', user: 'ops', port: 2099 });
    expect(r.ms).toBeLessThan(10_000); // node's start on a busy machine included
  });

  it('refuses `Include /dev/zero` at once (a device is never read)', () => {
    const home = freshHome();
    writeFileSync(join(home, '.ssh', 'config'), 'Host a\n  HostName 10.0.0.1\nInclude /dev/zero\n');
    const r = pktpath(home, ['hosts', 'import-ssh-config'], 20_000);
    expect(r.err).toBe('pktpath: Include /dev/zero: /dev/zero is a character device, not a regular file\n');
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(8000);
  });

  gatedIt(missing({ tools: ['mkfifo'] }))(
    'refuses a FIFO, named or included, without waiting for a writer',
    () => {
      const home = freshHome();
      const fifo = join(home, '.ssh', 'pipe');
      const shown = '~/.ssh/pipe'; // files under home are named from ~ (browser mode passes errors to peers)
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      writeFileSync(join(home, '.ssh', 'config'), 'Include pipe\nHost a\n  HostName 10.0.0.1\n');
      const included = pktpath(home, ['hosts', 'import-ssh-config'], 20_000);
      expect(included.err).toBe(`pktpath: Include ${shown}: ${shown} is a FIFO, not a regular file\n`);
      expect(included.code).toBe(1);
      const named = pktpath(home, ['hosts', 'import-ssh-config', fifo], 20_000);
      expect(named).toMatchObject({ code: 1, err: `pktpath: ${fifo} is a FIFO, not a regular file\n` });
      expect(Math.max(included.ms, named.ms)).toBeLessThan(8000);
    },
  );

  it('refuses a config (file or upload) larger than 4 MiB with its includes', () => {
    const home = freshHome();
    const big = join(home, '.ssh', 'big');
    writeFileSync(big, `# ${'x'.repeat(3 * 2 ** 20)}\n`);
    writeFileSync(join(home, '.ssh', 'config'), 'Include big\nInclude big\n');
    expect(() => importSshConfig(undefined, home)).toThrow(
      'the ssh config with its Includes is larger than 4 MiB (at ~/.ssh/big)',
    );
    writeFileSync(big, `# ${'x'.repeat(5 * 2 ** 20)}\n`);
    expect(() => importSshConfig(big, home)).toThrow('~/.ssh/big is 5 MiB, more than the 4 MiB allowed');
    const upload = `Host a\n  HostName 10.0.0.1\n# ${'x'.repeat(5 * 2 ** 20)}\n`;
    expect(() => importSshConfigText(upload, 'upload.txt', home)).toThrow(
      'the ssh config with its Includes is larger than 4 MiB (at upload.txt)',
    );
    // an upload's Include lines are listed, never read
    const r = importSshConfigText('Include /dev/zero\nHost a\n  HostName 10.0.0.1\n', 'upload.txt', home);
    expect(r.hosts.map((h) => h.name)).toEqual(['a']);
    expect(r.skipped).toEqual([
      { name: 'Include /dev/zero', reason: 'Include is not followed in uploaded text' },
    ]);
  });
});
