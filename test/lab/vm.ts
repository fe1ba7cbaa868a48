import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec } from './exec.js';
import { freePort } from './ports.js';
import { sshArgs, type SshTarget } from './ssh-client.js';

/**
 * Lab VMs: Debian's own kernels under qemu/TCG (no KVM here), root fs in an initramfs, reachable by SSH through
 * qemu user-net port forwarding. Images come from scripts/lab/build-vm-image.sh; qemu runs detached so a VM
 * outlives the process that booted it (`npm run lab:up`), and is found again by pid.
 */
export interface VmSpec {
  name: 'vm510' | 'vm61' | 'vm612' | 'router' | 'vmarm64';
  /** bash extglob over apt package names; the newest match (sort -V) is used. */
  kernelGlob: string;
  /** A Debian suite apt must know first (scripts/lab/apt-suite.sh adds it, pinned low); default: the host's. */
  aptSuite?: string;
  /** Boot another spec's image under this name (the lab's router runs vm612's kernel as a third instance). */
  image?: VmSpec['name'];
  /** Debian architecture of the guest; default amd64. arm64 runs under qemu-system-aarch64 (see QEMU_ARCH). */
  arch?: VmArch;
}

export type VmArch = 'amd64' | 'arm64';

export const VM_SPECS: readonly VmSpec[] = [
  { name: 'vm61', kernelGlob: 'linux-image-6.1.0-+([0-9])-amd64-unsigned' },
  { name: 'vm612', kernelGlob: 'linux-image-6.12.+([0-9])+deb12-amd64-unsigned' },
  { name: 'vm510', kernelGlob: 'linux-image-5.10.0-+([0-9])-amd64-unsigned', aptSuite: 'bullseye' },
  // Forwards between vm61 and vm612 on the lab links (links.ts).
  { name: 'router', kernelGlob: '', image: 'vm612' },
  // arm64 (issue 13): 6.12 rather than 6.1, whose arm64 build has no ftrace direct calls and so no fentry
  { name: 'vmarm64', kernelGlob: 'linux-image-6.12.+([0-9])+deb12-arm64-unsigned', arch: 'arm64' },
];

/**
 * How qemu runs each guest architecture under TCG. arm64: the `virt` board, direct kernel boot (no firmware), a
 * PL011 console. `max` with the implementation-defined pointer-auth algorithm: the architected QARMA one costs
 * TCG a large share of its time on every function return.
 */
export const QEMU_ARCH: Record<
  VmArch,
  { binary: string; machine: string[]; console: string; append?: string }
> = {
  // no_timer_check: under TCG on a loaded host the kernel's IO-APIC timer test can miss its ticks and panic
  // ("IO-APIC + timer doesn't work!", seen in CI booting vm61); the test is for broken hardware, not emulation
  amd64: {
    binary: 'qemu-system-x86_64',
    machine: ['-cpu', 'max'],
    console: 'ttyS0',
    append: 'no_timer_check',
  },
  arm64: {
    binary: 'qemu-system-aarch64',
    machine: ['-M', 'virt', '-cpu', 'max,pauth-impdef=on'],
    console: 'ttyAMA0',
  },
};

export interface VmImage {
  name: string;
  dir: string;
  kernel: string;
  initrd: string;
  kernelRelease: string;
  arch: VmArch;
  /** The guest's public host key line ("ssh-ed25519 AAAA... root@vm61"), for pinning; not a path. */
  hostKeyPub: string;
}

export interface RunningVm {
  name: string;
  pid: number;
  sshPort: number;
  kernelRelease: string;
  consoleLog: string;
  bootMs: number;
  /** When known, stopVm powers the guest off over SSH before signalling qemu. */
  privateKey?: string;
  hostKeyPub?: string;
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUILD_SCRIPT = join(REPO, 'scripts/lab/build-vm-image.sh');
const APT_SUITE_SCRIPT = join(REPO, 'scripts/lab/apt-suite.sh');
/** Per-boot files (console logs, known_hosts), keyed by port so two boots never share them. */
const runDir = () => join(labCacheDir(), 'run');
const READY_MARKER = 'PKTPATH-LAB-READY';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function labCacheDir(): string {
  return process.env.PKTPATH_LAB_CACHE ?? join(homedir(), '.cache', 'pktpath-lab');
}

/** Builds (or reuses, when its inputs are unchanged) the image for `spec` under labCacheDir()/<name>. */
export async function buildVmImage(spec: VmSpec, pubkeyFile: string): Promise<VmImage> {
  if (spec.image) {
    const base = VM_SPECS.find((s) => s.name === spec.image);
    if (!base) throw new Error(`${spec.name}: no image spec ${spec.image}`);
    return { ...(await buildVmImage(base, pubkeyFile)), name: spec.name };
  }
  const dir = join(labCacheDir(), spec.name);
  const env = { ...process.env, PKTPATH_LAB_CACHE: labCacheDir() };
  if (spec.aptSuite) {
    const a = await exec('bash', [APT_SUITE_SCRIPT, spec.aptSuite], { env, timeoutMs: 5 * 60_000 });
    if (a.code !== 0) throw new Error(`apt-suite ${spec.aptSuite} failed (${a.code}):\n${a.stderr.trim()}`);
  }
  const arch = spec.arch ?? 'amd64';
  const r = await exec('bash', [BUILD_SCRIPT, spec.name, spec.kernelGlob, dir, resolve(pubkeyFile), arch], {
    env,
    timeoutMs: 15 * 60_000,
  });
  if (r.code !== 0)
    throw new Error(`build-vm-image ${spec.name} failed (${r.code}):\n${r.stderr.trim().slice(-3000)}`);
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { kernelRelease: string };
  return {
    name: spec.name,
    dir,
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    kernelRelease: meta.kernelRelease,
    arch,
    hostKeyPub: (await readFile(join(dir, 'ssh_host_ed25519_key.pub'), 'utf8')).trim(),
  };
}

/** How the lab reaches a VM as root: qemu forwards a loopback port to the guest's sshd. */
export function vmTarget(sshPort: number, privateKey: string, hostKeyPub: string): SshTarget {
  return { host: '127.0.0.1', port: sshPort, user: 'root', privateKey, hostKeyPub };
}

/** The readiness probe: a real, host-key-checked `ssh ... uname -r`. Resolves the release or undefined. */
export async function probeSsh(target: SshTarget, timeoutMs = 15_000): Promise<string | undefined> {
  // While the guest boots, qemu's user-net accepts the TCP connection and ssh waits for a banner: the
  // timeout bounds a probe then, not ConnectTimeout.
  const r = await exec('ssh', [...sshArgs(target, runDir(), 5), 'uname -r'], { timeoutMs }).catch(
    () => undefined,
  );
  return r?.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** `pid` is still this VM's qemu (not a zombie, same -name and port): guards against pid reuse. */
function isOurQemu(vm: RunningVm): boolean {
  try {
    const args = readFileSync(`/proc/${vm.pid}/cmdline`, 'utf8').split('\0');
    return (
      !isZombie(vm.pid) &&
      args.includes(`pktpath-lab-${vm.name}`) &&
      args.some((a) => a.includes(`hostfwd=tcp:127.0.0.1:${vm.sshPort}-:22`))
    );
  } catch {
    return false;
  }
}

/** An exited child not yet reaped by its parent counts as gone. Throws if there is no such pid. */
function isZombie(pid: number): boolean {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return st.slice(st.lastIndexOf(')') + 2).startsWith('Z');
}

// Terminal escapes SeaBIOS and the guest shell print; stripped so an error's console tail stays readable.
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;?]*[A-Za-z]|\x1bc|\r/g;

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.replace(ESCAPES, '').split('\n').slice(-lines).join('\n');
}

/** Drops per-boot files of VMs no longer running, keeping the newest few console logs for post-mortems. */
async function pruneRunDir(runDir: string, name: string, keep = 4): Promise<void> {
  const re = new RegExp(`^${name}-(\\d+)\\.console\\.log$`);
  const logs = [];
  for (const f of await readdir(runDir)) {
    const port = re.exec(f)?.[1];
    if (port) logs.push({ f, port, mtime: (await stat(join(runDir, f))).mtimeMs });
  }
  logs.sort((a, b) => b.mtime - a.mtime);
  for (const { f, port } of logs.slice(keep)) {
    if (pidsWithArg(`hostfwd=tcp:127.0.0.1:${port}-:22`).length) continue;
    await rm(join(runDir, f), { force: true });
  }
}

/** pids of live processes with `needle` in their command line. */
export function pidsWithArg(needle: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle) && !isZombie(Number(d)))
        pids.push(Number(d));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/**
 * Boots the image under qemu/TCG and resolves once SSH (host key pinned) answers `uname -r`. qemu is detached
 * and unref'd: it keeps running after this process exits; stop it with stopVm.
 */
export async function bootVm(
  image: VmImage,
  opts: {
    sshPort?: number;
    memMiB?: number;
    timeoutMs?: number;
    privateKey: string;
    smp?: number;
    /** Extra kernel command-line words (e.g. `lockdown=integrity`), for a private boot. */
    append?: string;
    /** Extra qemu arguments (the lab links' NICs). */
    qemuArgs?: readonly string[];
  },
): Promise<RunningVm> {
  const t0 = Date.now();
  const deadline = t0 + (opts.timeoutMs ?? 90_000);
  // Per-boot files are keyed by port: two boots of one image (or a rebooted one) never share them.
  await mkdir(runDir(), { recursive: true });
  await pruneRunDir(runDir(), image.name);
  for (let attempt = 1; ; attempt++) {
    const sshPort = opts.sshPort ?? (await freePort());
    const consoleLog = join(runDir(), `${image.name}-${sshPort}.console.log`);
    const target = vmTarget(sshPort, opts.privateKey, image.hostKeyPub);
    const out = await open(consoleLog, 'w');
    const q = QEMU_ARCH[image.arch];
    // prettier-ignore
    const args = [
      '-name', `pktpath-lab-${image.name}`,
      '-accel', 'tcg', ...q.machine, '-smp', String(opts.smp ?? 1), '-m', String(opts.memMiB ?? 1024),
      '-nographic', '-no-reboot',
      '-kernel', image.kernel, '-initrd', image.initrd,
      '-append', [`console=${q.console} quiet panic=-1`, q.append, opts.append].filter(Boolean).join(' '),
      '-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
      '-device', 'virtio-net-pci,netdev=n0,romfile=',
      '-device', 'virtio-rng-pci',
      ...(opts.qemuArgs ?? []),
    ];
    const child = spawn(q.binary, args, { detached: true, stdio: ['ignore', out.fd, out.fd] });
    await out.close();
    let exited: string | undefined;
    child.on('exit', (code, sig) => (exited = `qemu exited (${code ?? sig})`));
    child.on('error', (e) => (exited = `qemu failed to start: ${e.message}`));
    child.unref();
    const pid = child.pid ?? -1;
    const vm: RunningVm = {
      name: image.name,
      pid,
      sshPort,
      kernelRelease: '',
      consoleLog,
      bootMs: 0,
      privateKey: opts.privateKey,
      hostKeyPub: image.hostKeyPub,
    };

    // An SSH attempt made before the guest's network is up gets stuck in user-net's SYN retry backoff (ready
    // at ~7 s, answered at ~12 s). So probe when /init prints its marker (sshd is listening by then), and
    // otherwise only as a fallback every few seconds after the first 20 s.
    let lastProbe = 0;
    while (!exited && Date.now() < deadline) {
      const now = Date.now();
      const marked = (await readFile(consoleLog, 'utf8').catch(() => '')).includes(READY_MARKER);
      if (!marked && (now - t0 < 20_000 || now - lastProbe < 5000)) {
        await sleep(200);
        continue;
      }
      lastProbe = now;
      const left = Math.max(1000, Math.min(marked ? 15_000 : 3000, deadline - now));
      const release = await probeSsh(target, left);
      if (release) {
        if (release !== image.kernelRelease) {
          await stopVm(vm);
          throw new Error(`${image.name}: guest runs ${release}, image says ${image.kernelRelease}`);
        }
        return { ...vm, kernelRelease: release, bootMs: Date.now() - t0 };
      }
      await sleep(500);
    }
    const log = await tail(consoleLog);
    if (exited && !opts.sshPort && attempt < 3 && /Could not set up host forwarding/.test(log)) continue; // lost the port race
    const why = exited ?? `SSH not ready after ${Date.now() - t0} ms`;
    if (!exited) await stopVm({ ...vm, privateKey: undefined }); // sshd never answered: signal qemu directly
    const marker = log.includes(READY_MARKER) ? ' (guest printed its ready marker)' : '';
    throw new Error(`${image.name}: ${why}${marker}; console tail (${consoleLog}):\n${log}`);
  }
}

/** Powers the VM off: `poweroff -f` over SSH, then SIGTERM, then SIGKILL. Safe to call twice or on a dead pid. */
export async function stopVm(vm: RunningVm): Promise<void> {
  const gone = async (ms: number) => {
    const end = Date.now() + ms;
    while (isOurQemu(vm) && Date.now() < end) await sleep(100);
    return !isOurQemu(vm);
  };
  let stopped = await gone(0);
  if (!stopped && vm.privateKey && vm.hostKeyPub) {
    const args = [...sshArgs(vmTarget(vm.sshPort, vm.privateKey, vm.hostKeyPub), runDir(), 3), 'poweroff -f'];
    const r = await exec('ssh', args, { timeoutMs: 8000 }).catch(() => undefined);
    if (!r) return;
    // The guest drops the session as it powers off, so a "failure" is normal; wait long only if we got through.
    const reached = r.code === 0 || r.code === null || /closed by remote host/.test(r.stderr);
    stopped = await gone(reached ? 5000 : 300);
  }
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    if (stopped) break;
    try {
      process.kill(vm.pid, sig);
    } catch {
      break; // exited meanwhile
    }
    stopped = await gone(5000);
  }
  if (!(await gone(0))) throw new Error(`${vm.name}: qemu pid ${vm.pid} survived SIGKILL`);
}
