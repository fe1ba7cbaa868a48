import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { createCore } from '../../main/core/service/create-core.js';
import { localShell } from '../lab/exec.js';
import { createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { labContext } from '../support/lab-context.js';

// `pktpath trace` on the built-in `local` host (this kernel, raw tracepoints) as its own process: saving under a
// title, a save that fails (the run is kept and importable), and a flood without a packet limit in bounded memory.
const { labIt } = labContext();
const itLocal = labIt({ needs: { root: true, tools: ['ip', 'ping'] } });
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-bounded-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
/** The bound for a CLI tracing a flood (the old client passed it within a few seconds). */
const RSS_BOUND_MIB = 300;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Lines of stdout starting with "packet " (counted as they stream; stdout is not kept past 1 MB). */
  packetLines: number;
  peakRssMiB: number;
}

/** Runs `pktpath ARGS` (the built CLI binary, as users run it) with PKTPATH_HOME `home`, sampling its RSS from /proc. */
function pktpath(
  home: string,
  args: string[],
  timeoutMs = 120_000,
  onStderr: (all: string) => unknown = () => undefined,
): Promise<CliRun> {
  const child = spawn(process.execPath, ['bin/pktpath.mjs', ...args], {
    env: { ...process.env, PKTPATH_HOME: home, HOME: join(home, '..'), SSH_AUTH_SOCK: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const r: CliRun = { code: null, stdout: '', stderr: '', packetLines: 0, peakRssMiB: 0 };
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop() ?? '';
    // every packet once: on its own, or as a clone under its parent (`  └ packet …`)
    for (const l of lines) if (/^( {2}└ )?packet /.test(l)) r.packetLines++;
    if (r.stdout.length < 1 << 20) r.stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => onStderr((r.stderr += d)));
  const sampler = setInterval(() => {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      r.peakRssMiB = Math.max(r.peakRssMiB, Number(kb ?? 0) / 1024);
    } catch {
      // exited
    }
  }, 50);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearInterval(sampler);
      clearTimeout(timer);
      resolve({ ...r, code });
    }),
  );
}

const newHome = (name: string) => {
  const dir = join(scratch, name, 'pktpath');
  mkdirSync(dir, { recursive: true });
  return dir;
};

/** Traces two pings across a fresh veth pair, saving the run as `save`. */
async function traceSaving(home: string, save: string, t: Topology, extra: string[] = []): Promise<CliRun> {
  const args = [
    'trace',
    'local',
    '--filter',
    `icmp and host ${t.serverAddr}`,
    '--count',
    '2',
    '--save',
    save,
  ];
  let attached: (v?: unknown) => void = () => undefined;
  const tracing = new Promise((r) => (attached = r));
  const run = pktpath(
    home,
    [...args, ...extra],
    120_000,
    (stderr) => /tracing on/.test(stderr) && attached(),
  );
  await Promise.race([tracing, run]);
  await ping(t, 5, 0.2);
  return run;
}

describe('trace --save and bounded memory', () => {
  itLocal('--save "My trace" creates a session titled so, and appends to it the next time', async () => {
    const t = await createPair(localShell);
    try {
      const home = newHome('title');
      const a = await traceSaving(home, 'My trace', t);
      expect(a.stderr).toMatch(/saved run run-\S+ to session my-trace/);
      expect(a.code).toBe(0);
      const b = await traceSaving(home, 'My trace', t);
      expect(b.code).toBe(0);
      const list = await pktpath(home, ['sessions', 'list', '--json']);
      const sessions = JSON.parse(list.stdout) as {
        id: string;
        title: string;
        runs: number;
        packets: number;
      }[];
      expect(sessions).toEqual([expect.objectContaining({ id: 'my-trace', title: 'My trace', runs: 2 })]);
      expect(sessions[0]!.packets).toBeGreaterThanOrEqual(4);
    } finally {
      await destroy(t);
    }
  });

  itLocal(
    'a save that fails keeps the run: the recovery file is named and imports with every packet',
    async () => {
      const t = await createPair(localShell);
      try {
        const home = newHome('readonly');
        writeFileSync(join(home, 'sessions'), 'not a directory\n'); // every save into the data dir fails
        const r = await traceSaving(home, 'kept', t, ['--json']);
        expect(r.code).toBe(1);
        const file = /the run is kept in (\S+) \(pktpath sessions import/.exec(r.stderr)?.[1];
        expect(file, r.stderr).toBeTruthy();
        expect(existsSync(file!)).toBe(true);
        const traced = JSON.parse(r.stdout) as { run_id: string; packets: { id: number }[] };
        expect(traced.packets.length).toBeGreaterThanOrEqual(2); // the output is still printed

        const other = newHome('recovered');
        const imported = await pktpath(other, ['sessions', 'import', file!]);
        expect(imported.code, imported.stderr).toBe(0);
        const list = JSON.parse((await pktpath(other, ['sessions', 'list', '--json'])).stdout) as {
          packets: number;
          title: string;
        }[];
        expect(list).toEqual([expect.objectContaining({ title: 'kept', packets: traced.packets.length })]);
      } finally {
        await destroy(t);
      }
    },
  );

  itLocal(
    'a flood without a packet limit stays under the memory bound; the saved run opens with all its packets',
    async () => {
      const t = await createPair(localShell);
      const flood = spawn('ip', ['netns', 'exec', t.client, 'ping', '-f', '-q', '-w', '16', t.serverAddr], {
        stdio: 'ignore',
      });
      try {
        const home = newHome('flood');
        const r = await pktpath(home, [
          'trace',
          'local',
          '--filter',
          `icmp and host ${t.serverAddr}`,
          '--duration',
          '12',
          '--save',
          'flood',
        ]);
        expect(r.code, r.stderr).toBe(0);
        const count = Number(/^local: (\d+) packets/.exec(r.stdout)?.[1]);
        expect(count).toBeGreaterThan(10_000);
        expect(r.packetLines).toBe(count); // each packet once: on its own or under its parent
        console.log(`[flood] ${count} packets, CLI peak RSS ${r.peakRssMiB.toFixed(0)} MiB`);
        expect(r.peakRssMiB).toBeLessThan(RSS_BOUND_MIB);

        const core = await createCore({ home, knownHostsFiles: [] });
        try {
          const s = await core.call('sessions.get', { id: 'flood' });
          expect(s.runs[0]!.packets).toBe(count);
          const page = await core.call('sessions.packets', { id: 'flood', offset: count - 1, limit: 1 });
          expect(page.total).toBe(count);
          const last = await core.call('sessions.packet', { id: 'flood', packet: page.packets[0]!.id });
          expect(last.hops.length).toBeGreaterThan(0);
        } finally {
          await core.close();
        }
      } finally {
        flood.kill();
        await destroy(t);
      }
    },
    180_000,
  );
});
