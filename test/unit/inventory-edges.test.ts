import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore } from '../../main/core/service/create-core.js';

/** Inventory inputs at the edge (issue 8 item 10), through the built CLI and the core's API entry point. */

let home: string;
beforeEach(() => void (home = mkdtempSync(join(tmpdir(), 'pktpath-inputs-hosts-'))));
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** `node bin/pktpath.mjs …` with its own data dir and HOME, as a user runs it. */
function pktpath(args: string[], timeoutMs = 30_000) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['bin/pktpath.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PKTPATH_HOME: home, HOME: home },
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 2 ** 26,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, ms: performance.now() - t0 };
}

const hostsFile = () => join(home, 'hosts.json');
const stored = () =>
  (JSON.parse(readFileSync(hostsFile(), 'utf8')) as { hosts: Record<string, unknown>[] }).hosts;

describe('hosts.update', { timeout: 90_000 }, () => {
  const web1 = {
    name: 'web1',
    address: '10.0.0.5',
    port: 2222,
    user: 'ops',
    auth: { kind: 'key' as const, identityFiles: ['/k/id_ed25519'] },
    tags: ['lab', 'x'],
    privilege: 'doas' as const,
    connectTimeoutMs: 5000,
  };

  it('changes only the fields the patch names (API)', async () => {
    const core = await createCore({ home });
    try {
      const before = await core.call('hosts.add', web1);
      const after = await core.call('hosts.update', { name: 'web1', patch: { notes: 'rack 4' } });
      expect(after).toEqual({ ...before, notes: 'rack 4' });
      expect(await core.call('hosts.get', { name: 'web1' })).toEqual(after);
      // null unsets an optional field and nothing else
      const unset = await core.call('hosts.update', { name: 'web1', patch: { user: null } });
      const { user: _u, ...rest } = after;
      expect(unset).toEqual(rest);
    } finally {
      await core.close();
    }
  });

  it('changes only the fields named on the command line (CLI)', () => {
    expect(
      pktpath(['hosts', 'add', 'web1', '--address', '10.0.0.5', '--port', '2222', '--user', 'ops']).code,
    ).toBe(0);
    expect(pktpath(['hosts', 'add', 'db1', '--address', '10.0.0.6']).code).toBe(0);
    const base = ['--identity', '/k/id', '--tag', 'lab', '--privilege', 'doas', '--jump', 'db1'];
    expect(pktpath(['hosts', 'update', 'web1', ...base]).code).toBe(0);
    const r = pktpath(['hosts', 'update', 'web1', '--notes', 'rack 4']);
    expect(r).toMatchObject({ code: 0, out: 'updated web1 (ops@10.0.0.5:2222)\n' });
    expect(stored().find((h) => h.name === 'web1')).toEqual({
      name: 'web1',
      kind: 'ssh',
      address: '10.0.0.5',
      port: 2222,
      user: 'ops',
      auth: { kind: 'key', identityFiles: ['/k/id'] },
      jump: ['db1'],
      tags: ['lab'],
      privilege: 'doas',
      notes: 'rack 4',
    });
  });

  it('refuses a jump loop made by an update, and leaves hosts.json as it was', async () => {
    expect(pktpath(['hosts', 'add', 'a', '--address', '10.0.0.1']).code).toBe(0);
    expect(pktpath(['hosts', 'add', 'b', '--address', '10.0.0.2', '--jump', 'a']).code).toBe(0);
    const before = readFileSync(hostsFile(), 'utf8');
    const r = pktpath(['hosts', 'update', 'a', '--jump', 'b']);
    expect(r).toMatchObject({ code: 1, out: '', err: 'pktpath: jump hosts loop: a → b → a\n' });
    expect(readFileSync(hostsFile(), 'utf8')).toBe(before);
    const core = await createCore({ home });
    try {
      await expect(core.call('hosts.update', { name: 'a', patch: { jump: ['b'] } })).rejects.toMatchObject({
        code: 'invalid-request',
        message: 'jump hosts loop: a → b → a',
      });
    } finally {
      await core.close();
    }
    expect(readFileSync(hostsFile(), 'utf8')).toBe(before);
  });
});

describe('jump fan-out', { timeout: 90_000 }, () => {
  /** f0 jumps through f1 ten times, f1 through f2 ten times…: 10^7 hops once expanded. */
  function writeFanOut() {
    const hosts = Array.from({ length: 8 }, (_, i) => ({
      name: `f${i}`,
      address: '127.0.0.1',
      port: 1,
      jump: i < 7 ? Array.from({ length: 10 }, () => `f${i + 1}`) : [],
    }));
    writeFileSync(hostsFile(), JSON.stringify({ version: 1, hosts }));
  }

  it('answers a connection to a hand-written nested fan-out at once, with a clear error', () => {
    writeFanOut();
    const r = pktpath(['hosts', 'test', 'f0', '--timeout-ms', '1000'], 20_000);
    expect(r.err).toBe('pktpath: the jump chain of f0 is longer than 16 hops (jump hosts expanded)\n');
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(8000); // node's start on a busy machine included; the old code took 10 s and crashed
  });

  it('refuses to add or import a host whose chain is too long', () => {
    writeFanOut();
    const jumps = Array.from({ length: 3 }, () => ['--jump', 'f5']).flat();
    expect(pktpath(['hosts', 'add', 'g', '--address', '10.0.0.9', ...jumps])).toMatchObject({
      code: 1,
      err: 'pktpath: the jump chain of g is longer than 16 hops (jump hosts expanded)\n',
    });
    const cfg = join(home, 'fan.config');
    const lines = Array.from({ length: 6 }, (_, i) => {
      const next = `fan${i + 1}`;
      return `Host fan${i}\n  HostName 10.1.0.${i}\n  ProxyJump ${[next, next, next, next].join(',')}\n`;
    });
    writeFileSync(cfg, `${lines.join('')}Host fan6\n  HostName 10.1.0.6\n`);
    const r = pktpath(['hosts', 'import-ssh-config', cfg, '--json'], 20_000);
    expect(r.code).toBe(0);
    const { imported, skipped } = JSON.parse(r.out) as {
      imported: { name: string }[];
      skipped: { name: string; reason: string }[];
    };
    expect(imported.map((h) => h.name)).toEqual(['fan6', 'fan5']); // fan5: 4 hops; fan4: 4 · (4 + 1) = 20
    expect(skipped).toContainEqual({
      name: 'fan4',
      reason: 'the jump chain of fan4 is longer than 16 hops (jump hosts expanded)',
    });
  });
});

describe('hosts import-ssh-config --dry-run', { timeout: 90_000 }, () => {
  it('says what it would import and skip, and changes nothing', () => {
    const cfg = join(home, 'preview.config');
    writeFileSync(
      cfg,
      'Host db1\n  HostName 10.2.0.1\n  User ops\nHost edge\n  HostName 10.2.0.9\n  Port 2200\n',
    );
    expect(pktpath(['hosts', 'add', 'db1', '--address', '10.9.9.9']).code).toBe(0);
    const dry = pktpath(['hosts', 'import-ssh-config', cfg, '--dry-run']);
    expect(dry).toMatchObject({ code: 0, err: '' });
    expect(dry.out).toBe('would import edge (10.2.0.9:2200)\nskipped db1: exists already\n');
    const names = () => stored().map((h) => h.name);
    expect(names()).toEqual(['db1']);
    expect(stored()[0]).toMatchObject({ address: '10.9.9.9' });
    // overwriting, as the Hosts view's preview asks it: db1 would be replaced, still nothing changes
    const over = pktpath(['hosts', 'import-ssh-config', cfg, '--dry-run', '--overwrite']);
    expect(over.out).toBe('would import db1 (ops@10.2.0.1:22)\nwould import edge (10.2.0.9:2200)\n');
    expect(stored()[0]).toMatchObject({ address: '10.9.9.9' });
    expect(pktpath(['hosts', 'import-ssh-config', cfg]).out).toBe(
      'imported edge (10.2.0.9:2200)\nskipped db1: exists already\n',
    );
    expect(names()).toEqual(['db1', 'edge']);
  });
});

describe('hosts.json from a newer pktpath', { timeout: 90_000 }, () => {
  it('is refused with a clear message and left where it is, untouched', () => {
    const newer = JSON.stringify({ version: 2, hosts: [{ name: 'x', address: 'y', transport: 'quic' }] });
    writeFileSync(hostsFile(), newer);
    for (const args of [
      ['hosts', 'list'],
      ['hosts', 'add', 'z', '--address', '10.0.0.1'],
    ]) {
      const r = pktpath(args);
      expect(r.code).not.toBe(0);
      expect(r.err).toBe(
        `pktpath: ${hostsFile()} was written by a newer pktpath (inventory version 2; this one reads 1): ` +
          'upgrade pktpath; the file is left as it is\n',
      );
    }
    expect(readFileSync(hostsFile(), 'utf8')).toBe(newer);
    expect(readdirSync(home).filter((f) => f.startsWith('hosts.json'))).toEqual(['hosts.json']);
  });
});
