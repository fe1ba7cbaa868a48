import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check } from './exec.js';
import { sshRun, type SshTarget } from './ssh-client.js';
import { isAlive, sshBanner, startSshd, stopPid } from './sshd.js';
import { ensureLabUsers, type LabUsers } from './users.js';
import {
  ensureLinkPorts,
  LINKED_VMS,
  linkQemuArgs,
  linkSetupScript,
  linkSignature,
  type LinkedVm,
} from './links.js';
import {
  bootVm,
  buildVmImage,
  labCacheDir,
  stopVm,
  VM_SPECS,
  vmTarget,
  type RunningVm,
  type VmImage,
  type VmSpec,
} from './vm.js';

/**
 * The test lab: real kernels behind real SSH servers.
 *   local  — this machine's kernel through an OpenSSH sshd on 127.0.0.1 (tracepoints, raw tracepoints, TC)
 *   jump   — a second sshd, used as a jump host in front of the others
 *   vm510, vm61, vm612 — Debian's 5.10, 6.1 and 6.12 kernels under qemu/TCG (kprobes, fentry; kprobe-multi on
 *                        6.12)
 *   vmarm64 — Debian's arm64 6.12 kernel under qemu-system-aarch64/TCG (kprobes, fentry; no kprobe-multi there)
 * `labUp` starts what is not already running and records it in a state file, so `npm run lab:up` once serves
 * every later test run until `npm run lab:down`.
 */
export type LabHostName = 'local' | 'jump' | VmSpec['name'];

export interface LabHost {
  name: LabHostName;
  kind: 'sshd' | 'vm';
  address: string;
  port: number;
  pid: number;
  hostKeyPub: string;
  kernelRelease: string;
  bootMs?: number;
  /** For a VM on the lab links: the link ports it was booted with (links.ts linkSignature). */
  links?: string;
}

export interface LabState {
  version: 1;
  privateKey: string;
  publicKey: string;
  users: LabUsers;
  hosts: Partial<Record<LabHostName, LabHost>>;
  runtimeDir: string;
}

export const labRuntimeDir = () => process.env.PKTPATH_LAB_RUN ?? '/run/pktpath-lab';
const stateFile = () => join(labRuntimeDir(), 'state.json');
/**
 * Each host is also recorded in a file of its own: a lab:up from a checkout that does not know a host (an older
 * branch) rewrites state.json without it, and the record lets the next labUp find that running host again
 * instead of booting a second one.
 */
const hostFile = (name: string) => join(labRuntimeDir(), `host-${name}.json`);

export function readLabState(): LabState | undefined {
  if (!existsSync(stateFile())) return undefined;
  const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as LabState;
  for (const f of readdirSync(labRuntimeDir())) {
    const name = /^host-([\w-]+)\.json$/.exec(f)?.[1] as LabHostName | undefined;
    if (!name || state.hosts[name]) continue;
    const h = JSON.parse(readFileSync(join(labRuntimeDir(), f), 'utf8')) as LabHost;
    if (isAlive(h.pid)) state.hosts[name] = h;
  }
  return state;
}

function writeAtomic(file: string, value: unknown): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2), { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

function writeLabState(state: LabState): void {
  for (const h of Object.values(state.hosts)) writeAtomic(hostFile(h.name), h);
  writeAtomic(stateFile(), state);
}

/** The lab's client key pair, made once and kept with the cached VM images (whose authorized_keys it is). */
export async function ensureLabKey(): Promise<{ privateKey: string; publicKey: string }> {
  const dir = join(labCacheDir(), 'keys');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privateKey = join(dir, 'lab_ed25519');
  if (!existsSync(privateKey))
    await check('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'pktpath-lab', '-f', privateKey]);
  return { privateKey, publicKey: `${privateKey}.pub` };
}

/** How to reach a lab host as `user` with OpenSSH (host key pinned; optionally through the jump host). */
export function labTarget(
  state: LabState,
  name: LabHostName,
  opts: { user?: string; viaJump?: boolean } = {},
): SshTarget {
  const h = state.hosts[name];
  if (!h) throw new Error(`lab host ${name} is not up (npm run lab:up)`);
  const target: SshTarget = {
    host: h.address,
    port: h.port,
    user: opts.user ?? 'root',
    privateKey: state.privateKey,
    hostKeyPub: h.hostKeyPub,
  };
  if (opts.viaJump) target.jump = labTarget(state, 'jump');
  return target;
}

/**
 * True when the host's process is alive and it answers over SSH with the kernel release the lab recorded. A loaded
 * machine can make a healthy TCG guest slow to answer: a live process gets `attempts` tries before it counts as dead.
 * A TCG guest's sshd takes 1-1.5 s to send its banner on an idle machine (measured), so the banner gets as long
 * as the command does: a 2 s wait dropped a healthy vmarm64 from lab:inventory while tests ran beside it.
 */
export async function hostAnswers(state: LabState, h: LabHost, attempts = 1): Promise<boolean> {
  for (let i = 0; i < attempts && isAlive(h.pid); i++) {
    try {
      await sshBanner(h.port, h.address, 30_000);
      const r = await sshRun(labTarget(state, h.name), state.runtimeDir, 'uname -r', 30_000);
      if (r.code === 0 && r.stdout.trim() === h.kernelRelease) return true;
    } catch {
      // retried below while the process lives
    }
  }
  return false;
}

/** tracefs, debugfs and bpffs are not mounted at boot on these machines; the tracer needs all three. */
export async function mountKernelFilesystems(): Promise<void> {
  const mounts = [
    ['tracefs', '/sys/kernel/tracing'],
    ['debugfs', '/sys/kernel/debug'],
    ['bpf', '/sys/fs/bpf'],
  ];
  const script = mounts
    .map(([type, dir]) => `mountpoint -q ${dir} || mount -t ${type} ${type} ${dir}`)
    .join(' && ');
  await check('/bin/sh', ['-c', script]);
}

export interface LabUpOptions {
  vms: boolean;
  log?: (line: string) => void;
}

/** Brings up every lab host not already answering; returns the state and the names it started itself. */
export async function labUp(opts: LabUpOptions): Promise<{ state: LabState; started: LabHostName[] }> {
  const log = opts.log ?? (() => undefined);
  const runtimeDir = labRuntimeDir();
  mkdirSync(runtimeDir, { recursive: true, mode: 0o755 });
  const key = await ensureLabKey();
  const users = await ensureLabUsers(join(labCacheDir(), 'state'));

  // sshd opens authorized_keys with the user's uid: keep them in a world-readable place.
  const authorizedKeysDir = join(runtimeDir, 'authorized_keys');
  mkdirSync(authorizedKeysDir, { recursive: true, mode: 0o755 });
  const pub = readFileSync(key.publicKey, 'utf8');
  for (const user of ['root', users.sudoNoPassword.name, users.sudoPassword.name])
    writeFileSync(join(authorizedKeysDir, user), pub, { mode: 0o644 });

  const previous = readLabState();
  const state: LabState = { version: 1, ...key, users, hosts: {}, runtimeDir };
  const started: LabHostName[] = [];
  // A recorded host that is alive but never answers is stopped before its replacement boots: two qemu guests of
  // one name would otherwise pile up on this 2-core machine, each run booting another.
  const reusable = async (name: LabHostName) => {
    const h = previous?.hosts[name];
    if (!h) return undefined;
    if (await hostAnswers({ ...state, hosts: previous.hosts }, h, 3)) return h;
    if (isAlive(h.pid)) await labDown([name]);
    return undefined;
  };

  await mountKernelFilesystems();
  const kernelRelease = (await check('uname', ['-r'])).trim();
  for (const name of ['local', 'jump'] as const) {
    const alive = await reusable(name);
    if (alive) {
      state.hosts[name] = alive;
      continue;
    }
    const s = await startSshd(name, join(runtimeDir, `sshd-${name}`), authorizedKeysDir);
    state.hosts[name] = {
      name,
      kind: 'sshd',
      address: '127.0.0.1',
      port: s.port,
      pid: s.pid,
      hostKeyPub: s.hostKeyPub,
      kernelRelease,
    };
    started.push(name);
    log(`${name}: sshd on 127.0.0.1:${s.port} (kernel ${kernelRelease})`);
  }
  writeLabState(state);

  if (!opts.vms) {
    // A run without VMs leaves the recorded ones alone: dropping them from the state would orphan their qemu.
    for (const spec of VM_SPECS) {
      const h = previous?.hosts[spec.name];
      if (h && isAlive(h.pid)) state.hosts[spec.name] = h;
    }
    writeLabState(state);
  } else {
    const links = await ensureLinkPorts(runtimeDir);
    const toBoot = [];
    for (const spec of VM_SPECS) {
      const alive = await reusable(spec.name);
      // A VM booted before the links existed (or with other ports) cannot join them: reboot it.
      const linked = isLinked(spec.name);
      if (alive && (!linked || alive.links === linkSignature(links))) state.hosts[spec.name] = alive;
      else {
        if (alive) await labDown([spec.name]);
        toBoot.push(spec);
      }
    }
    for (const h of await bootVms(toBoot, key, links)) {
      state.hosts[h.name] = h;
      started.push(h.name);
      log(
        `${h.name}: kernel ${h.kernelRelease}, SSH on 127.0.0.1:${h.port}, ready in ${((h.bootMs ?? 0) / 1000).toFixed(1)} s`,
      );
    }
    writeLabState(state);
  }
  return { state, started };
}

const isLinked = (name: string): name is LinkedVm => (LINKED_VMS as readonly string[]).includes(name);

/** Builds the images (one at a time: disk and apt), boots the VMs side by side, and sets up their links. */
async function bootVms(
  specs: readonly VmSpec[],
  key: { privateKey: string; publicKey: string },
  links: Awaited<ReturnType<typeof ensureLinkPorts>>,
): Promise<LabHost[]> {
  const images: VmImage[] = [];
  for (const spec of specs) images.push(await buildVmImage(spec, key.publicKey));
  const vms: [VmImage, RunningVm][] = await Promise.all(
    images.map(async (img) => {
      const qemuArgs = isLinked(img.name) ? linkQemuArgs(img.name, links) : [];
      return [img, await bootVm(img, { privateKey: key.privateKey, qemuArgs })] as [VmImage, RunningVm];
    }),
  );
  return Promise.all(
    vms.map(async ([image, vm]) => {
      const name = vm.name as LabHostName;
      const h: LabHost = {
        name,
        kind: 'vm',
        address: '127.0.0.1',
        port: vm.sshPort,
        pid: vm.pid,
        hostKeyPub: image.hostKeyPub,
        kernelRelease: vm.kernelRelease,
        bootMs: vm.bootMs,
      };
      if (isLinked(name)) {
        const target = vmTarget(vm.sshPort, key.privateKey, image.hostKeyPub);
        const r = await sshRun(target, labRuntimeDir(), linkSetupScript(name));
        if (r.code !== 0) throw new Error(`${name}: link setup failed (${r.code}):\n${r.stderr}`);
        h.links = linkSignature(links);
      }
      return h;
    }),
  );
}

/** Stops the named lab hosts (default: all) and forgets them. */
export async function labDown(names?: readonly LabHostName[]): Promise<void> {
  const state = readLabState();
  if (!state) return;
  const kept: LabState['hosts'] = {};
  for (const h of Object.values(state.hosts)) {
    if (names && !names.includes(h.name)) {
      kept[h.name] = h;
      continue;
    }
    if (h.kind === 'vm')
      await stopVm({
        name: h.name,
        pid: h.pid,
        sshPort: h.port,
        kernelRelease: h.kernelRelease,
        consoleLog: '',
        bootMs: 0,
      });
    else await stopPid(h.pid);
    rmSync(hostFile(h.name), { force: true });
  }
  state.hosts = kept;
  if (Object.keys(state.hosts).length === 0) rmSync(stateFile(), { force: true });
  else writeLabState(state);
}

export interface HostStatus {
  name: LabHostName;
  up: boolean;
  port: number;
  kernelRelease: string;
}

export async function labStatus(): Promise<HostStatus[]> {
  const state = readLabState();
  if (!state) return [];
  return Promise.all(
    Object.values(state.hosts).map(async (h) => ({
      name: h.name,
      up: await hostAnswers(state, h),
      port: h.port,
      kernelRelease: h.kernelRelease,
    })),
  );
}
