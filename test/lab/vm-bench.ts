import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { exec } from './exec.js';
import { ensureLabKey } from './lab.js';
import { sshArgs, sshShell } from './ssh-client.js';
import { bootVm, buildVmImage, labCacheDir, vmTarget, VM_SPECS, type RunningVm } from './vm.js';
import type { Shell } from './exec.js';

const OVERLAY_SCRIPT = resolve(import.meta.dirname, '../../scripts/lab/build-bench-overlay.sh');

export interface BenchVm {
  vm: RunningVm;
  shell: Shell;
  /** argv prefix for `ssh root@vm …` (append a remote command). */
  ssh: string[];
}

/**
 * The guest's clock counts instructions (1 ns each) instead of following the host's: under plain TCG the same
 * untraced flood ran at 6k-17k packets/s within one boot (how fast TCG runs the guest drifts with the host), so
 * a ratio moved by ±0.1 between runs; with the clock tied to instructions, rates the guest measures (ping -f) are
 * cost per packet in instructions and repeat within 1 % (measured: 46,620 and 46,838 pps untraced across four
 * runs). PKTPATH_BENCH_QEMU_ARGS replaces it ('' = the host's clock).
 */
const BENCH_CLOCK = '-icount shift=0,sleep=on';

/**
 * Boots a private vm612 for benchmarks: the lab's image plus the bench overlay (bpftrace, iperf3 and their
 * libraries; scripts/lab/build-bench-overlay.sh) concatenated onto its initrd — the kernel unpacks both archives.
 * The lab's own vm612 and its image stay as they are. 2 GiB: the overlay (LLVM, clang) unpacks into RAM.
 */
export async function bootBenchVm612(): Promise<BenchVm> {
  const key = await ensureLabKey();
  const spec = VM_SPECS.find((s) => s.name === 'vm612');
  if (!spec) throw new Error('no vm612 in VM_SPECS');
  const image = await buildVmImage(spec, key.publicKey);
  const dir = join(labCacheDir(), 'bench');
  await mkdir(dir, { recursive: true });
  const overlay = join(dir, 'overlay.cpio.gz');
  const r = await exec('bash', [OVERLAY_SCRIPT, overlay], { timeoutMs: 10 * 60_000 });
  if (r.code !== 0)
    throw new Error(`build-bench-overlay failed (${r.code}): ${r.stderr.trim().slice(-2000)}`);
  const initrd = join(dir, 'vm612-bench-initrd.img');
  const outFile = createWriteStream(initrd);
  await pipeline(createReadStream(image.initrd), outFile, { end: false });
  await pipeline(createReadStream(overlay), outFile);
  const vm = await bootVm(
    { ...image, name: 'vm612-bench', initrd },
    {
      privateKey: key.privateKey,
      memMiB: 2048,
      timeoutMs: 180_000,
      qemuArgs: (process.env.PKTPATH_BENCH_QEMU_ARGS ?? BENCH_CLOCK).split(' ').filter(Boolean),
    },
  );
  const target = vmTarget(vm.sshPort, key.privateKey, image.hostKeyPub);
  const shell = sshShell(target, dir);
  return { vm, shell, ssh: ['ssh', ...sshArgs(target, dir)] };
}
