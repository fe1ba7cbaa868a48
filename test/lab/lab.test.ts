import { labContext } from '../support/lab-context.js';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import type { Shell } from './exec.js';
import { hostAnswers, labRuntimeDir, labTarget, readLabState, type LabHostName } from './lab.js';
import {
  addBlackhole,
  addNftDrop,
  createPair,
  createRouted,
  destroy,
  ping,
  tcpConnect,
  tcpListen,
} from './netns.js';
import { sshRun, sshShell } from './ssh-client.js';
import { spawnSync } from 'node:child_process';
import { freePort } from './ports.js';

// Smoke tests of the lab itself: each host answers over real SSH with its own kernel, has BTF and tracefs, and
// can carry traffic between two network namespaces. The negative tests prove the checks can fail.
const { lab, labIt } = labContext();
const itLab = labIt();
const itOn = (h: LabHostName) => labIt({ hosts: [h] });
const shellOf = (h: LabHostName, user?: string): Shell =>
  sshShell(labTarget(lab(), h, { user }), lab().runtimeDir);
const expectedRelease: Record<string, (r: string) => boolean> = {
  local: (r) => r === release(),
  vm510: (r) => r.startsWith('5.10.'),
  vm61: (r) => r.startsWith('6.1.'),
  vm612: (r) => r.startsWith('6.12.'),
};

describe.each(['local', 'vm510', 'vm61', 'vm612'] as const)('lab host %s', (name) => {
  itOn(name)('answers over SSH with its own kernel release', async () => {
    const r = await shellOf(name)('uname -r');
    expect(r.code).toBe(0);
    const rel = r.stdout.trim();
    expect(expectedRelease[name]!(rel)).toBe(true);
    expect(rel).toBe(lab().hosts[name]!.kernelRelease);
  });

  itOn(name)('has BTF and a mounted tracefs', async () => {
    // BTF's magic is 0xeB9F, little-endian on x86.
    const r = await shellOf(name)(
      'od -An -tx1 -N2 /sys/kernel/btf/vmlinux; test -d /sys/kernel/tracing/events/skb && echo tracefs-ok',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/9f eb/);
    expect(r.stdout).toMatch(/tracefs-ok/);
  });

  itOn(name)('carries pings between two network namespaces', async () => {
    const topo = await createPair(shellOf(name));
    try {
      expect(await ping(topo, 3)).toMatchObject({ transmitted: 3, received: 3 });
    } finally {
      await destroy(topo);
    }
  });
});

describe('lab as a whole', () => {
  labIt({ hosts: ['vm510', 'vm61', 'vm612'] })('runs four different kernels', () => {
    const releases = (['local', 'vm510', 'vm61', 'vm612'] as const).map((h) => lab().hosts[h]!.kernelRelease);
    expect(new Set(releases).size).toBe(4);
  });

  itLab('reaches a host through the jump host, each hop key-pinned', async () => {
    const r = await sshRun(
      labTarget(lab(), 'local', { viaJump: true }),
      lab().runtimeDir,
      'echo via-jump; uname -r',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`via-jump\n${release()}\n`);
  });

  itLab('has a user with passwordless sudo', async () => {
    const r = await shellOf('local', lab().users.sudoNoPassword.name)('id -u; sudo -n id -u');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([expect.not.stringMatching(/^0$/), '0']);
  });

  itLab('has a user whose sudo asks for the password', async () => {
    const shell = shellOf('local', lab().users.sudoPassword.name);
    const noPw = await shell('sudo -n id -u');
    expect(noPw.code).not.toBe(0);
    expect(noPw.stderr).toMatch(/password is required/);
    const wrong = await shell("sudo -S -p '' id -u", { input: 'not-the-password\n' });
    expect(wrong.code).not.toBe(0);
    const right = await shell("sudo -S -p '' id -u", { input: `${lab().users.sudoPassword.password}\n` });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout.trim()).toBe('0');
  });
});

describe('drop scenarios on this kernel', () => {
  itLab('an nftables drop rule stops pings, and only while it is there', async () => {
    const topo = await createPair(shellOf('local'));
    try {
      await addNftDrop(topo);
      expect((await ping(topo, 2)).received).toBe(0);
      await shellOf('local')(`ip netns exec ${topo.server} nft flush ruleset`);
      expect((await ping(topo, 2)).received).toBe(2);
    } finally {
      await destroy(topo);
    }
  });

  itLab('a blackhole route on the router drops forwarded packets', async () => {
    const topo = await createRouted(shellOf('local'));
    try {
      expect((await ping(topo, 2)).received).toBe(2);
      await addBlackhole(topo);
      expect((await ping(topo, 2)).received).toBe(0);
    } finally {
      await destroy(topo);
    }
  });

  itLab('a closed TCP port refuses, an open one accepts', async () => {
    const topo = await createPair(shellOf('local'));
    try {
      expect(await tcpConnect(topo, 7001)).toBe(false);
      await tcpListen(topo, 7002);
      expect(await tcpConnect(topo, 7002)).toBe(true);
    } finally {
      await destroy(topo);
    }
  });
});

describe('the lab checks can fail', () => {
  itLab('SSH to a port where nothing listens fails', async () => {
    const target = { ...labTarget(lab(), 'local'), port: await freePort() };
    const r = await sshRun(target, lab().runtimeDir, 'true', 20_000);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/refused/i);
  });

  itLab('a host presenting another key is refused', async () => {
    const target = { ...labTarget(lab(), 'local'), hostKeyPub: lab().hosts.jump!.hostKeyPub };
    const r = await sshRun(target, lab().runtimeDir, 'true', 20_000);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/host key/i);
  });

  itLab('a key that is not authorized is refused', async () => {
    const target = {
      ...labTarget(lab(), 'local'),
      privateKey: `${lab().runtimeDir}/sshd-local/ssh_host_ed25519_key`,
    };
    const r = await sshRun(target, lab().runtimeDir, 'true', 20_000);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/permission denied/i);
  });
});

describe('the lab status check can fail', () => {
  itOn('vm61')('reports a VM whose qemu is gone as down', async () => {
    const deadPid = spawnSync('true').pid; // a pid that has exited
    const vm = lab().hosts.vm61!;
    expect(await hostAnswers(lab(), vm)).toBe(true);
    expect(await hostAnswers(lab(), { ...vm, pid: deadPid })).toBe(false);
    expect(await hostAnswers(lab(), { ...vm, port: await freePort() })).toBe(false);
    expect(await hostAnswers(lab(), { ...vm, kernelRelease: '0.0.0-not-this-kernel' })).toBe(false);
  });
});

describe('a lab host outlives a state.json that forgot it', () => {
  itOn('vm510')('a running VM missing from state.json is found through its own record', () => {
    // what a lab:up from a checkout without vm510 leaves: state.json without it, the record beside it
    const run = mkdtempSync(join(tmpdir(), 'pktpath-lab-run-'));
    const { vm510, ...known } = lab().hosts;
    writeFileSync(join(run, 'state.json'), JSON.stringify({ ...lab(), hosts: known }));
    copyFileSync(join(labRuntimeDir(), 'host-vm510.json'), join(run, 'host-vm510.json'));
    const saved = process.env.PKTPATH_LAB_RUN;
    process.env.PKTPATH_LAB_RUN = run;
    try {
      expect(readLabState()?.hosts.vm510).toEqual(vm510);
      // a record whose process is gone is no host
      const deadPid = spawnSync('true').pid;
      writeFileSync(join(run, 'host-vm510.json'), JSON.stringify({ ...vm510, pid: deadPid }));
      expect(readLabState()?.hosts.vm510).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.PKTPATH_LAB_RUN;
      else process.env.PKTPATH_LAB_RUN = saved;
      rmSync(run, { recursive: true, force: true });
    }
  });
});
