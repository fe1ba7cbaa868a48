import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT_EXEC_TAG, VERIFIED_EXEC_SCRIPT } from '../../../main/core/deploy/root-exec.js';
import { ROOT_PRELUDE, privilegedCommand } from '../../../main/core/ssh/privileged.js';
import { onPath } from '../../support/requirements.js';

// The privileged command line and the root script, checked without root: the command's shape for each privilege
// method, and the script's verify-then-exec logic run by /bin/sh as this user (it falls back from /run to /tmp).
const dir = mkdtempSync(join(tmpdir(), 'pktpath-root-exec-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('privilegedCommand', () => {
  const cmd = (p: Parameters<typeof privilegedCommand>[0]) => privilegedCommand(p, 'true', ["it's"], 'MARK');
  it('runs /bin/sh by absolute path, sudo/doas from the system directories only', () => {
    const inner = `/bin/sh -c '${ROOT_PRELUDE.replace(/'/g, `'\\''`)}true' pktpath-root 'it'\\''s'`;
    const sys = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin exec';
    expect(cmd('root')).toBe(inner);
    expect(cmd('sudo')).toBe(`${sys} sudo -n -- ${inner}`);
    expect(cmd('sudo-password')).toBe(`${sys} sudo -S -p 'MARK\n' -- ${inner}`);
    expect(cmd('doas')).toBe(`${sys} doas -n -- ${inner}`);
  });

  it('fixes PATH and umask before anything else runs as root', () => {
    expect(ROOT_PRELUDE).toMatch(/^PATH=\/usr\/sbin:\/usr\/bin:\/sbin:\/bin; export PATH; umask 077; /);
  });
});

/** Runs the verify-then-exec script (minus the root prelude) as this user; `t` is the marker token. */
function runScript(src: string, sha256: string, size: number, ...args: string[]) {
  const r = spawnSync(
    '/bin/sh',
    ['-c', `t=tok; ${VERIFIED_EXEC_SCRIPT}`, 'pktpath-root', src, sha256, String(size), ...args],
    {
      encoding: 'utf8',
      env: { PATH: '/usr/bin:/bin' },
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ours = () =>
  ['/run', '/tmp', '/var/tmp'].flatMap((d) =>
    readdirSync(d).filter((f) => /^pktpath\.[A-Za-z0-9]{8}$/.test(f)),
  );

describe('VERIFIED_EXEC_SCRIPT', () => {
  const body = '#!/bin/sh\necho "ran from $(dirname "$0") with $*"\n';
  const file = join(dir, 'pktpath-loader');
  writeFileSync(file, body, { mode: 0o755 });
  const sha = createHash('sha256').update(body).digest('hex');

  it('parses in every /bin/sh we can find (dash, busybox ash)', () => {
    const script = ROOT_PRELUDE + VERIFIED_EXEC_SCRIPT;
    expect(spawnSync('/bin/sh', ['-n', '-c', script]).status).toBe(0);
    if (onPath('busybox')) expect(spawnSync('busybox', ['sh', '-n', '-c', script]).status).toBe(0);
  });

  it('runs its own private copy when the hash matches, and removes the copy once it started', async () => {
    const before = ours();
    const r = runScript(file, sha, body.length, 'a', 'b c');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('__pktpath_ready_tok__\n');
    expect(r.stdout).toMatch(/^ran from \/(run|tmp|var\/tmp)\/pktpath\.[A-Za-z0-9]{8} with a b c\n$/);
    await new Promise((res) => setTimeout(res, 300)); // the cleaner polls every 50 ms
    expect(ours().filter((f) => !before.includes(f))).toEqual([]);
  });

  it('copies no more than the shipped size: extra bytes are never read, a short file never matches', () => {
    const longer = join(dir, 'longer');
    writeFileSync(longer, body + 'x'.repeat(1 << 20), { mode: 0o755 });
    expect(runScript(longer, sha, body.length, 'z').stdout).toMatch(/ with z\n$/);
    const shorter = join(dir, 'shorter');
    writeFileSync(shorter, body.slice(0, -1), { mode: 0o755 });
    expect(runScript(shorter, sha, body.length).stderr).toMatch(/refusing to run it\n$/);
  });

  it('refuses a copy with another hash, a symlink and a missing file, leaving nothing behind', () => {
    const before = ours();
    const wrong = runScript(file, '0'.repeat(64), body.length);
    expect(wrong.code).toBe(125);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toBe(
      `${ROOT_EXEC_TAG}: ${file} hashes to ${sha} as root, expected ${'0'.repeat(64)}; refusing to run it\n`,
    );
    const link = join(dir, 'link');
    symlinkSync(file, link);
    expect(runScript(link, sha, body.length).stderr).toBe(
      `${ROOT_EXEC_TAG}: ${link} is not a regular file; deploy again\n`,
    );
    expect(runScript(join(dir, 'gone'), sha, body.length).code).toBe(125);
    expect(ours().filter((f) => !before.includes(f))).toEqual([]);
  });
});
