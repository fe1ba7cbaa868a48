import { expect } from 'vitest';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { labTarget, type LabHostName, type LabState } from '../lab/lab.js';
import { sshArgs, sshShell } from '../lab/ssh-client.js';
import type { Shell } from '../lab/exec.js';
import { VM_SPECS } from '../lab/vm.js';
import { LOADER } from './loader-run.js';

/** The committed loader a lab VM runs: the aarch64 build on vmarm64, this machine's otherwise. */
export function loaderFor(name: LabHostName): string {
  const arm = VM_SPECS.find((s) => s.name === name)?.arch === 'arm64';
  return arm ? resolve(import.meta.dirname, '../../resources/aarch64/pktpath-loader') : LOADER;
}

export const VM_LOADER = '/tmp/pktpath-loader';

export interface VmHost {
  name: LabHostName;
  shell: Shell;
  /** argv prefix that runs the pushed loader in the VM: append the loader's own arguments. */
  via: string[];
}

/**
 * Copies the committed loader into the VM (binary over ssh's stdin; the Shell's `input` is text only). `remote`:
 * a path of the test's own, so that another test pushing its loader meanwhile cannot swap the binary under it.
 */
export async function pushLoader(state: LabState, name: LabHostName, remote = VM_LOADER): Promise<VmHost> {
  const target = labTarget(state, name);
  const args = sshArgs(target, state.runtimeDir);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'ssh',
      [...args, `cat > ${remote}.new && chmod +x ${remote}.new && mv ${remote}.new ${remote}`],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    createReadStream(loaderFor(name)).pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`push to ${name}: exit ${code}: ${err}`)),
    );
  });
  return { name, shell: sshShell(target, state.runtimeDir), via: ['ssh', ...args, remote] };
}

/** The inode of a named netns in the VM (what the loader reports as `netns`). */
export async function nsInode(host: VmHost, ns: string): Promise<number> {
  const r = await host.shell(`stat -L -c %i /run/netns/${ns}`);
  expect(r.code, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}
