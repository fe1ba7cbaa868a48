import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { check } from '../lab/exec.js';
import { labContext } from '../support/lab-context.js';

// A host record names key files on the machine pktpath runs on, and a remote face (browser mode) can write host
// records: a key path that is a FIFO must not hang the process, nor /dev/zero fill its memory. Both go through the
// CLI binary against the lab's real sshd; the usable key after the bad one must still log in.
const { lab, labIt } = labContext();
const itLab = labIt({ hosts: ['local'], needs: { tools: ['mkfifo'] } });
const home = mkdtempSync(join(tmpdir(), 'pktpath-identity-edges-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function pktpath(args: string[]) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/pktpath.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PKTPATH_HOME: home, HOME: home, SSH_AUTH_SOCK: '' },
    timeout: 25_000,
    killSignal: 'SIGKILL',
    input: '',
  });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}

function addHost(name: string, identities: string[]) {
  const h = lab().hosts.local!;
  const r = pktpath([
    ...['hosts', 'add', name, '--address', h.address, '--port', String(h.port), '--user', 'root'],
    ...identities.flatMap((f) => ['--identity', f]),
  ]);
  expect(r.code, r.err).toBe(0);
}

itLab('a FIFO named as a key is skipped at once and the next key logs in', async () => {
  const fifo = join(home, 'id_fifo');
  await check('mkfifo', [fifo]);
  addHost('fifo-key', [fifo, lab().privateKey]);
  const r = pktpath(['hosts', 'test', 'fifo-key', '--accept-new-host-key', '--json']);
  expect(r.code, `${r.err}${r.out}`).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject({ ok: true });
  expect(r.ms).toBeLessThan(15_000);
});

itLab('/dev/zero named as the only key fails fast with a clear reason, memory untouched', () => {
  addHost('zero-key', ['/dev/zero']);
  const r = pktpath(['hosts', 'test', 'zero-key', '--accept-new-host-key', '--json']);
  const doc = JSON.parse(r.out) as { ok: boolean; error?: { code: string; message: string } };
  expect(doc.ok).toBe(false);
  expect(doc.error?.message).toMatch(/\/dev\/zero is a character device, not a regular file/);
  expect(r.ms).toBeLessThan(15_000);
});
