import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { labContext } from '../support/lab-context.js';
import { exec } from './exec.js';

// `npm run lab:inventory` and `npm run lab:exec`, run the way a person runs them, then pktpath's own CLI binary
// (bin/pktpath.mjs, the built dist) against the inventory they wrote: no prompt, no terminal, keys pinned.
const { lab, labIt } = labContext();
const it = labIt({ hosts: ['local', 'jump', 'vm510'] });
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-lab-inventory-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh PKTPATH_HOME and an empty HOME (no ~/.ssh/known_hosts, no agent): only what lab:inventory writes counts. */
function freshHome(name: string) {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'user'), { recursive: true });
  return { ...process.env, HOME: join(dir, 'user'), PKTPATH_HOME: join(dir, 'pktpath'), SSH_AUTH_SOCK: '' };
}

const npmRun = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  exec('npm', ['run', '-s', ...args], { env, timeoutMs: 120_000 });
const pktpath = (env: NodeJS.ProcessEnv, ...args: string[]) =>
  exec(process.execPath, ['bin/pktpath.mjs', ...args], { env, timeoutMs: 120_000 });

interface ProbeDoc {
  kernel: { release: string };
  btf: { vmlinux: boolean };
  attach: Record<string, { ok: boolean }>;
  auto: string;
}

describe('lab:inventory and lab:exec', () => {
  it('lab:inventory writes every lab host with its key pinned: the CLI binary probes vm510 without a prompt', async () => {
    const env = freshHome('probe');
    // the user's own host named like a lab VM is left alone
    const own = await pktpath(env, 'hosts', 'add', 'vm61', '--address', 'vm61.example', '--tag', 'mine');
    expect(own.code, own.stderr).toBe(0);

    const inv = await npmRun(env, 'lab:inventory');
    expect(inv.code, inv.stderr).toBe(0);
    expect(inv.stderr).toBe('');
    expect(inv.stdout).toMatch(/^skipped vm61: .*pktpath-lab tag/m);
    const hosts = JSON.parse(readFileSync(join(env.PKTPATH_HOME, 'hosts.json'), 'utf8')) as {
      hosts: { name: string; port: number; user: string; privilege: string; tags: string[] }[];
    };
    const byName = new Map(hosts.hosts.map((h) => [h.name, h]));
    const { local, jump, vm510 } = lab().hosts;
    expect(byName.get('lab-local')).toMatchObject({ port: local!.port, user: 'root', privilege: 'root' });
    expect(byName.get('lab-nopw')).toMatchObject({
      user: lab().users.sudoNoPassword.name,
      privilege: 'sudo',
    });
    expect(byName.get('lab-pw')).toMatchObject({ privilege: 'sudo-password' });
    expect(byName.get('lab-jump')).toMatchObject({ port: jump!.port });
    expect(byName.get('vm510')).toMatchObject({ port: vm510!.port, tags: ['pktpath-lab'] });
    expect(byName.get('vm61')).toMatchObject({ port: 22, tags: ['mine'] });

    // stdin is not a terminal: an unpinned host key would be refused, not asked about
    const probe = await pktpath(env, 'probe', 'vm510', '--json');
    expect(probe.code, probe.stderr).toBe(0);
    const doc = JSON.parse(probe.stdout) as ProbeDoc;
    expect(doc.kernel.release).toBe(vm510!.kernelRelease);
    expect(doc.kernel.release).toMatch(/^5\.10\./);
    expect(doc.btf.vmlinux).toBe(true);
    // 5.10's eBPF lacks what fentry and kprobe-multi programs need; kprobes find their function by address
    expect([doc.attach['kprobe-multi']!.ok, doc.attach.fentry!.ok, doc.attach.kprobe!.ok]).toEqual([
      false,
      false,
      true,
    ]);
    expect(doc.auto).toBe('kprobe');
    // the sudo user through the same inventory: privilege escalation works too
    const nopw = await pktpath(env, 'hosts', 'test', 'lab-nopw', '--json');
    expect(JSON.parse(nopw.stdout)).toMatchObject({ ok: true, privileged: true });
  }, 240_000);

  it('the pinned key is what lets the CLI in: without it the key is refused; a stale one is replaced on rerun', async () => {
    const env = freshHome('pin');
    const first = await npmRun(env, 'lab:inventory');
    expect(first.code).toBe(0);
    // a host that does not answer is named, never left out silently
    expect(first.stderr).toBe('');
    const knownHosts = join(env.PKTPATH_HOME, 'known_hosts');
    const pinnedLines = () => readFileSync(knownHosts, 'utf8').split('\n').filter(Boolean);
    // one line per lab host: local's three users share its key
    const hostCount = Object.keys(lab().hosts).length;
    expect(pinnedLines()).toHaveLength(hostCount);

    rmSync(knownHosts);
    const unpinned = await pktpath(env, 'hosts', 'test', 'lab-jump');
    expect(unpinned.code).toBe(1);
    expect(unpinned.stderr).toMatch(/host key/i);

    // the same port recorded with another key (a lab port reused after a restart): refused as changed...
    const other = join(scratch, 'other_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const [type, key] = readFileSync(`${other}.pub`, 'utf8').split(' ');
    writeFileSync(knownHosts, `[127.0.0.1]:${lab().hosts.jump!.port} ${type} ${key}\n`);
    const changed = await pktpath(env, 'hosts', 'test', 'lab-jump');
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/changed/i);

    // ...until lab:inventory runs again and pins the lab's key in its place
    const rerun = await npmRun(env, 'lab:inventory');
    expect(rerun.code).toBe(0);
    expect(rerun.stderr).toBe('');
    expect(pinnedLines()).toHaveLength(hostCount);
    expect(readFileSync(knownHosts, 'utf8')).not.toContain(key);
    const fixed = await pktpath(env, 'hosts', 'test', 'lab-jump', '--json');
    expect(JSON.parse(fixed.stdout)).toMatchObject({ ok: true, user: 'root' });
  }, 240_000);

  it('lab:exec runs a command on a lab host as root and passes its output and exit status through', async () => {
    const env = freshHome('exec');
    const r = await npmRun(env, 'lab:exec', '--', 'vm510', 'uname -r; id -u; exit 3');
    expect(r.stdout.trim().split('\n')).toEqual([lab().hosts.vm510!.kernelRelease, '0']);
    expect(r.code).toBe(3);
    const bad = await npmRun(env, 'lab:exec', '--', 'nosuchhost', 'true');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/lab host nosuchhost: not one of .*vm510/);
  }, 120_000);
});
