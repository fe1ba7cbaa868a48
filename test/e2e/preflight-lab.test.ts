import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { exec, localShell, sh } from '../lab/exec.js';
import { writeLabInventory } from '../lab/inventory.js';
import { ensureLabKey } from '../lab/lab.js';
import { bootVm, buildVmImage, stopVm, VM_SPECS, vmTarget } from '../lab/vm.js';
import { sshShell } from '../lab/ssh-client.js';
import { labContext } from '../support/lab-context.js';

// `pktpath probe` explains what limits tracing, against real kernels and real accounts: the built CLI
// (bin/pktpath.mjs → dist, `npm run build`) as its own process, with a private HOME and PKTPATH_HOME.
const { lab, labIt } = labContext();
const bin = join(import.meta.dirname, '../../bin/pktpath.mjs');
const built = existsSync(join(import.meta.dirname, '../../dist/main/cli/main.js'));
const itVm510 = labIt({ hosts: ['vm510'] });
const itBoot = labIt({ needs: { root: true, tools: ['qemu-system-x86_64'] } });
const itUser = labIt({ needs: { root: true, tools: ['useradd', 'userdel', 'mount', 'umount'] } });
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-preflight-'));
const home = join(scratch, 'pktpath-home');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pktpath(args: string[], timeoutMs = 180_000): Promise<CliResult> {
  if (!built) throw new Error('dist/ is missing: run `npm run build` first');
  const env = { ...process.env, HOME: scratch, PKTPATH_HOME: home, SSH_AUTH_SOCK: '' };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

/** The finding lines `  SEVERITY ID: summary` of `pktpath probe`'s output. */
const limitIds = (out: string) =>
  [...out.matchAll(/^ {2}(error|warning|info) +([a-z-]+):/gm)].map((m) => m[2]);

const vm510Shell = () => {
  const h = lab().hosts.vm510!;
  return sshShell(
    { host: '127.0.0.1', port: h.port, user: 'root', privateKey: lab().privateKey, hostKeyPub: h.hostKeyPub },
    scratch,
  );
};

describe('pktpath probe: the preflight explains every limit', () => {
  itVm510(
    'on Debian 11 (5.10) the compat object loads and the missing helpers are explained in words; an unmounted tracefs is seen and remounted',
    async () => {
      writeLabInventory(lab(), home);
      const vm = vm510Shell();
      // tracefs off (the loader mounts it again when it runs; remounted below in any case)
      await sh(vm, 'umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/tracing; true');
      try {
        const r = await pktpath(['probe', 'vm510', '--refresh']);
        expect(r.code, r.stderr).toBe(0);
        const ids = limitIds(r.stdout);
        expect(ids).toContain('helpers-missing');
        expect(ids).toContain('tracefs-unmounted');
        expect(ids).not.toContain('loader-refused'); // the load check passes: the compat object
        expect(ids).not.toContain('attach-refused'); // fentry/kprobe-multi refusals are said once, by the helpers
        expect(r.stdout).toMatch(/loads +yes/);
        expect(r.stdout).toMatch(/before 5\.12, run its compat object/);
        expect(r.stdout).toMatch(/here kprobes, each found by its address, without return values/);
        expect(r.stdout).toMatch(/bpf_get_func_ip \(fentry probes\), bpf_get_attach_cookie/);
        // nothing of the load check stays attached
        const left = await sh(
          vm,
          'bpftool -j link list; bpftool -j prog list | grep -c tp_kfree_skb || true',
        );
        expect(left).not.toMatch(/tp_kfree_skb"/);
        // --json carries the same findings
        const doc = JSON.parse((await pktpath(['probe', 'vm510', '--json'])).stdout) as {
          limits: { id: string; severity: string }[];
        };
        expect(doc.limits.find((l) => l.id === 'helpers-missing')?.severity).toBe('warning');
      } finally {
        await sh(
          vm,
          'grep -q " /sys/kernel/tracing tracefs" /proc/mounts || mount -t tracefs nodev /sys/kernel/tracing',
        );
      }
    },
    300_000,
  );

  itUser(
    'a user without sudo, with ~/.cache noexec and then read-only (bind mounts here, over the lab sshd)',
    async () => {
      const name = `pf${randomBytes(4).toString('hex')}`;
      const keyFile = join(lab().runtimeDir, 'authorized_keys', name);
      const cache = `/home/${name}/.cache`;
      const local = lab().hosts.local!;
      writeLabInventory(lab(), home); // pins the lab sshd's host key
      await exec('useradd', ['-m', '-s', '/bin/sh', name]);
      try {
        await exec('chpasswd', [], { input: `${name}:${randomBytes(12).toString('base64url')}\n` });
        writeFileSync(keyFile, readFileSync(lab().publicKey, 'utf8'), { mode: 0o644 });
        const add = await pktpath(
          [
            'hosts',
            'add',
            name,
            '--address',
            '127.0.0.1',
            '--port',
            String(local.port),
            '--user',
            name,
          ].concat(['--identity', lab().privateKey, '--privilege', 'sudo']),
        );
        expect(add.code, add.stderr).toBe(0);
        const dir = join(scratch, `${name}-cache`);
        await sh(
          localShell,
          `mkdir -p ${dir} ${cache} && chown ${name} ${dir} ${cache} && mount --bind ${dir} ${cache} && ` +
            `mount -o remount,bind,noexec ${cache}`,
        );
        const noexec = await pktpath(['probe', name]);
        expect(noexec.code).toBe(1);
        expect(noexec.stderr).toMatch(/could not become root/);
        expect(limitIds(noexec.stdout)).toEqual(expect.arrayContaining(['no-root', 'cache-noexec']));
        expect(noexec.stdout).toMatch(new RegExp(`${name} cannot become root with sudo`));
        expect(noexec.stdout).toMatch(/give \S+ a NOPASSWD sudo rule/);
        expect(noexec.stdout).toMatch(/a password is required/);
        // root's script never ran: nothing is claimed about the kernel
        expect(limitIds(noexec.stdout)).not.toContain('no-kprobes');

        await sh(localShell, `mount -o remount,bind,ro,noexec ${cache}`);
        const ro = await pktpath(['probe', name]);
        expect(ro.code).toBe(1);
        expect(limitIds(ro.stdout)).toEqual(expect.arrayContaining(['no-root', 'cache-readonly']));
        expect(ro.stdout).toMatch(
          /cannot be written by \S+ \(read-only mount\): the loader cannot be uploaded/,
        );
      } finally {
        await exec('/bin/sh', ['-c', `umount ${cache} 2>/dev/null; umount ${cache} 2>/dev/null; true`]);
        rmSync(keyFile, { force: true });
        await exec('userdel', ['-r', '-f', name]);
      }
    },
    300_000,
  );

  itBoot(
    'a VM of its own booted with lockdown=integrity: the level and what it blocks, with and without securityfs',
    async () => {
      const key = await ensureLabKey();
      const image = await buildVmImage(
        VM_SPECS.find((v) => v.name === 'vm61')!,
        key.publicKey,
      );
      const name = `lockdown${randomBytes(3).toString('hex')}`;
      const vm = await bootVm(
        { ...image, name },
        { privateKey: key.privateKey, append: 'lockdown=integrity', timeoutMs: 240_000 },
      );
      try {
        const add = await pktpath(
          [
            'hosts',
            'add',
            name,
            '--address',
            '127.0.0.1',
            '--port',
            String(vm.sshPort),
            '--user',
            'root',
          ].concat(['--identity', key.privateKey, '--privilege', 'root']),
        );
        expect(add.code, add.stderr).toBe(0);
        // the lab's init mounts no securityfs: the level comes from the boot's lockdown= and the kernel's log
        const r = await pktpath(['probe', name, '--accept-new-host-key']);
        expect(r.code, r.stderr).toBe(0);
        expect(limitIds(r.stdout)).toContain('lockdown');
        expect(r.stdout).toMatch(/warning +lockdown: kernel lockdown is "integrity": debugfs/);
        expect(r.stdout).toMatch(/cmdline: lockdown=integrity; .*Kernel is locked down from command line/);
        // with securityfs mounted, the kernel's own file says it
        const guest = sshShell(vmTarget(vm.sshPort, key.privateKey, image.hostKeyPub), scratch);
        await sh(
          guest,
          'mount -t securityfs securityfs /sys/kernel/security; cat /sys/kernel/security/lockdown',
        );
        const again = await pktpath(['probe', name]);
        expect(again.stdout).toMatch(/seen: lockdown=none \[integrity\] confidentiality/);
      } finally {
        await stopVm(vm);
      }
    },
    420_000,
  );
});
