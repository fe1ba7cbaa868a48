import { labContext } from '../support/lab-context.js';
import { describe, expect } from 'vitest';
import { labTarget } from './lab.js';
import { freePort } from './ports.js';
import { sshRun } from './ssh-client.js';
import { bootVm, buildVmImage, pidsWithArg, probeSsh, VM_SPECS, vmTarget } from './vm.js';

// The VM machinery itself (image cache, readiness probe, boot failure), on top of the lab's running VMs. What the
// VMs offer (kernel, BTF, tracefs, netns traffic) is checked with the other lab hosts in lab.test.ts.
const { lab, labIt } = labContext();
const it = labIt({ hosts: ['vm61', 'vm612'] });

describe('lab VMs: Debian kernels under qemu/TCG', () => {
  it('booted each kernel to SSH-ready within 60 s, with a traceable function list', async () => {
    for (const name of ['vm61', 'vm612'] as const) {
      const host = lab().hosts[name]!;
      expect(host.bootMs).toBeLessThan(60_000);
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
