import { labContext } from '../support/lab-context.js';
import { describe, expect } from 'vitest';
import { labTarget } from './lab.js';
import { freePort } from './ports.js';
import { sshRun } from './ssh-client.js';
import { bootVm, buildVmImage, labCacheDir, pidsWithArg, probeSsh, VM_SPECS, vmTarget } from './vm.js';
import { exec } from './exec.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// The VM machinery itself (image cache, readiness probe, boot failure), on top of the lab's running VMs. What the
// VMs offer (kernel, BTF, tracefs, netns traffic) is checked with the other lab hosts in lab.test.ts.
const { lab, labIt } = labContext();
const it = labIt({ hosts: ['vm510', 'vm61', 'vm612'] });

/** apt-cache policy's version table for one package: each version with the archives it comes from. */
function versionTable(block: string) {
  const table: { version: string; from: string[] }[] = [];
  for (const line of block.split('\n')) {
    const v = /^ (?:\*\*\*| {3}) (\S+) -?\d+$/.exec(line);
    if (v) table.push({ version: v[1]!, from: [] });
    else if (/^ {8}-?\d+ /.test(line)) table.at(-1)?.from.push(line.trim());
  }
  return table;
}

describe('lab VMs: Debian kernels under qemu/TCG', () => {
  // six guests (three x86 kernels, the router, vmarm64) boot at once under TCG on two cores: 120 s, not 60
  it('booted each kernel to SSH-ready within 120 s, with a traceable function list', async () => {
    for (const name of ['vm510', 'vm61', 'vm612'] as const) {
      const host = lab().hosts[name]!;
      expect(host.bootMs).toBeLessThan(120_000);
      const r = await sshRun(
        labTarget(lab(), name),
        lab().runtimeDir,
        'hostname; grep -c " /sys/kernel/tracing tracefs " /proc/mounts; grep -c . /sys/kernel/tracing/available_filter_functions',
      );
      expect(r.code, r.stderr).toBe(0);
      const [hostname, mounts, funcs] = r.stdout.trim().split('\n');
      expect(hostname).toBe(name);
      expect(Number(mounts)).toBe(1);
      expect(Number(funcs)).toBeGreaterThan(10_000);
    }
  });

  it('takes 5.10 from bullseye, pinned below the host’s own suites: no host package comes from it', async () => {
    const r = await exec('bash', ['scripts/lab/apt-suite.sh', 'bullseye'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(''); // already set up by the lab: no second apt-get update
    const meta = JSON.parse(readFileSync(join(labCacheDir(), 'vm510', 'meta.json'), 'utf8')) as {
      kernelPackage: string;
    };
    expect(meta.kernelPackage).toMatch(/^linux-image-5\.10\.0-\d+-amd64-unsigned$/);
    const policy = await exec('apt-cache', ['policy', meta.kernelPackage, 'bash', 'openssh-server']);
    // the kernel's only version comes from bullseye at priority 100
    expect(policy.stdout).toMatch(/^\s+100 \S+ bullseye\/main amd64 Packages$/m);
    // packages both suites have: the candidate never comes from bullseye (control: bullseye does offer them)
    for (const pkg of ['bash', 'openssh-server']) {
      const block = policy.stdout.split(/^(?=\S)/m).find((b) => b.startsWith(`${pkg}:`))!;
      const table = versionTable(block);
      const candidate = table.find((v) => v.version === /Candidate: (\S+)/.exec(block)?.[1]);
      expect(candidate?.from.join(' '), pkg).not.toMatch(/bullseye\//);
      expect(
        table.some((v) => v.from.some((f) => / bullseye\//.test(f))),
        pkg,
      ).toBe(true);
    }
  });

  it('reuses a cached image when its inputs are unchanged', async () => {
    const t0 = Date.now();
    const image = await buildVmImage(VM_SPECS[0]!, `${lab().privateKey}.pub`);
    expect(Date.now() - t0).toBeLessThan(10_000); // a rebuild takes longer: it unpacks a kernel package
    expect(image.kernelRelease).toBe(lab().hosts.vm61!.kernelRelease);
    expect(image.hostKeyPub).toBe(lab().hosts.vm61!.hostKeyPub);
  });

  it('the readiness probe is not hollow: wrong port or wrong host key fails', async () => {
    const { vm61, vm612 } = lab().hosts;
    const right = vmTarget(vm61!.port, lab().privateKey, vm61!.hostKeyPub);
    expect(await probeSsh(right)).toBe(vm61!.kernelRelease); // control
    expect(await probeSsh({ ...right, port: await freePort() })).toBeUndefined(); // nothing listens there
    expect(await probeSsh({ ...right, hostKeyPub: vm612!.hostKeyPub })).toBeUndefined(); // host key mismatch
  });

  it('bootVm gives up with the console tail when SSH is not ready in time, and kills its qemu', async () => {
    const image = await buildVmImage(VM_SPECS[0]!, `${lab().privateKey}.pub`);
    const port = await freePort();
    await expect(
      bootVm(image, { privateKey: lab().privateKey, sshPort: port, timeoutMs: 1000 }),
    ).rejects.toThrow(/vm61: SSH not ready after \d+ ms.*console tail/s);
    expect(pidsWithArg(`hostfwd=tcp:127.0.0.1:${port}-:22`)).toEqual([]);
  });
});
