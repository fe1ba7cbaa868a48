// Flood benchmark (issue 8): a 60 s `ping -f` trace on `local` (this kernel, raw tracepoints) with no packet limit,
// through the built CLI (`bin/pktpath.mjs trace`) and through `pktpath serve` driven over its WebSocket as the page
// would be. Reports each process's peak RSS against the 300 MiB bound (serve: while tracing, and separately while
// saving and opening the run), the packets recorded, and whether the saved run opens with all of them. Needs root and `npm run build` (dist/). Writes the JSON file given as argv[2].
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import type { EventOf } from '../../main/api/contract.js';
import { localShell } from '../../test/lab/exec.js';
import { createPair, destroy, type Topology } from '../../test/lab/netns.js';
import { writeResult } from '../write-result.js';

const out = process.argv[2] ?? 'bench/results/flood-flood.json';
const DURATION_S = Number(process.env.PKTPATH_FLOOD_S ?? 60);
const BOUND_MIB = 300;
const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'pktpath.mjs');
const round = (x: number) => Math.round(x * 10) / 10;

/** Peak RSS of `pid` (MiB), sampled from /proc every 100 ms until `stop()`. */
function rssSampler(pid: number) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      peak = Math.max(peak, Number(kb ?? 0) / 1024);
    } catch {
      // exited
    }
  }, 100);
  return {
    peak: () => round(peak),
    /** The peak so far, then start a new one (a phase boundary). */
    phase: () => {
      const p = round(peak);
      peak = 0;
      return p;
    },
    stop: () => clearInterval(timer),
  };
}

function flood(t: Topology): ChildProcess {
  const args = ['netns', 'exec', t.client, 'ping', '-f', '-q', '-w', String(DURATION_S + 10), t.serverAddr];
  return spawn('ip', args, { stdio: 'ignore' });
}

function pktpath(home: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, PKTPATH_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => c.on('close', (code) => r(code)));

async function cliRun(t: Topology, home: string) {
  const filter = `icmp and host ${t.serverAddr}`;
  const cli = pktpath(home, [
    'trace',
    'local',
    '--filter',
    filter,
    '--duration',
    String(DURATION_S),
    '--save',
    'flood',
  ]);
  const rss = rssSampler(cli.pid ?? 0);
  let stderr = '';
  let first = '';
  let lines = 0;
  let pinger: ChildProcess | undefined;
  cli.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (!pinger && /tracing on/.test(stderr)) pinger = flood(t);
  });
  cli.stdout?.setEncoding('utf8').on('data', (d: string) => {
    if (!first) first = d.split('\n')[0] ?? '';
    lines += d.split('\n').length - 1;
  });
  const code = await exited(cli);
  rss.stop();
  pinger?.kill();
  const m = /^local: (\d+) packets, mode \S+, lost (\d+)/.exec(first);
  if (code !== 0 || !m) throw new Error(`pktpath trace exited ${code}: ${stderr.slice(-500)}`);
  return { peakRssMiB: rss.peak(), packets: Number(m[1]), lostEvents: Number(m[2]), outputLines: lines };
}

/** `pktpath serve` traced over its WebSocket, the run saved and its last packet read back. */
async function serveRun(t: Topology, home: string) {
  const serve = pktpath(home, ['serve']);
  const rss = rssSampler(serve.pid ?? 0);
  const url = await new Promise<URL>((ok, fail) => {
    serve.stdout?.setEncoding('utf8').once('data', (d: string) => ok(new URL(d.trim())));
    serve.once('close', () => fail(new Error('pktpath serve exited')));
  });
  const token = new URLSearchParams(url.hash.slice(1)).get('token') ?? '';
  const ws = new WebSocket(`ws://${url.host}/ws?token=${token}`);
  await new Promise((ok) => ws.once('open', ok));
  let nextId = 1;
  const pending = new Map<number, (r: { ok: boolean; response?: unknown; error?: unknown }) => void>();
  let onEnd: (payload: EventOf<'trace.end'>) => void = () => undefined;
  let batches = 0;
  let pinger: ChildProcess | undefined;
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as {
      kind: string;
      id?: number;
      events?: { event: string; payload: unknown }[];
    };
    if (frame.kind === 'response') pending.get(frame.id ?? 0)?.(frame as never);
    for (const e of frame.events ?? []) {
      if (e.event === 'trace.packets') batches++;
      const phase = e.event === 'trace.progress' && (e.payload as EventOf<'trace.progress'>).phase;
      if (phase === 'tracing') pinger ??= flood(t);
      if (e.event === 'trace.end') onEnd(e.payload as EventOf<'trace.end'>);
    }
  });
  const call = <T>(method: string, request: unknown) =>
    new Promise<T>((ok, fail) => {
      const id = nextId++;
      pending.set(id, (r) => (r.ok ? ok(r.response as T) : fail(new Error(JSON.stringify(r.error)))));
      ws.send(JSON.stringify({ id, method, request }));
    });
  const ended = new Promise<EventOf<'trace.end'>>((r) => (onEnd = r));
  const filter = `icmp and host ${t.serverAddr}`;
  const { runId } = await call<{ runId: string }>('trace.start', {
    host: 'local',
    filter,
    limits: { durationS: DURATION_S },
  });
  const end = await ended;
  const tracingPeakMiB = rss.phase();
  pinger?.kill();
  if (end.error) throw new Error(`serve trace failed: ${JSON.stringify(end.error)}`);
  const saved = await call<{ id: string; packets: number }>('sessions.save', {
    title: 'flood',
    runIds: [runId],
  });
  const page = await call<{ total: number; packets: { id: number }[] }>('sessions.packets', {
    id: saved.id,
    offset: Math.max(0, saved.packets - 1),
    limit: 1,
  });
  const last = page.packets[0]
    ? await call<{ hops: unknown[] }>('sessions.packet', { id: saved.id, packet: page.packets[0].id })
    : undefined;
  const savePeakMiB = rss.phase();
  rss.stop();
  ws.close();
  serve.kill('SIGTERM');
  await exited(serve);
  return {
    peakRssMiB: tracingPeakMiB,
    saveAndOpenPeakMiB: savePeakMiB,
    packets: end.recorded?.packets ?? 0,
    saved: saved.packets,
    opens: page.total === saved.packets && (last?.hops.length ?? 0) > 0,
    liveBatches: batches,
  };
}

if (!existsSync(join(root, 'dist', 'main', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-flood-bench-'));
const t = await createPair(localShell);
try {
  const cli = await cliRun(t, join(scratch, 'cli'));
  const serve = await serveRun(t, join(scratch, 'serve'));
  const summary = {
    durationS: DURATION_S,
    boundMiB: BOUND_MIB,
    cliPeakRssMiB: cli.peakRssMiB,
    cliRssToBound: Math.round((cli.peakRssMiB / BOUND_MIB) * 100) / 100,
    servePeakRssMiB: serve.peakRssMiB,
    serveRssToBound: Math.round((serve.peakRssMiB / BOUND_MIB) * 100) / 100,
    serveSaveAndOpenPeakMiB: serve.saveAndOpenPeakMiB,
    cliPackets: cli.packets,
    servePackets: serve.packets,
    servedRunOpens: serve.opens,
  };
  writeResult(out, { summary, cli, serve });
  console.log(JSON.stringify(summary));
} finally {
  await destroy(t);
  rmSync(scratch, { recursive: true, force: true });
}
