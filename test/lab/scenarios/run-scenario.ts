import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec, type Shell } from '../exec.js';
import { createPair, createRouted, destroy, type Topology } from '../netns.js';
import type { Scenario, TraceDoc, TracedPacket } from './scenario.js';

/** Where recorded scenario traces go (`PKTPATH_RECORD_SCENARIOS=1`): the unit tests of the rules read them. */
export const FIXTURES = 'test/unit/fixtures/diagnose';

export interface ScenarioResult {
  doc: TraceDoc;
  packet: TracedPacket | undefined;
  topology: Topology;
  /** The names the summary must carry, resolved for this topology. */
  names: string[];
  stderr: string;
  text: string;
}

/**
 * Runs `pktpath trace HOST --json` (the built binary) around the scenario's traffic: builds the topology, breaks
 * it, starts the trace, waits until it is attached, sends the traffic, lets the last frees arrive, stops the trace
 * with SIGINT (as Ctrl-C does) and always removes the topology.
 */
export async function runScenario(
  s: Scenario,
  opts: {
    shell: Shell;
    host: string;
    env: NodeJS.ProcessEnv;
    name: string;
    extraArgs?: string[];
    /** added to the scenario's settle time (a VM under emulation answers slowly) */
    extraSettleMs?: number;
  },
): Promise<ScenarioResult> {
  const t = await (s.routed ? createRouted(opts.shell) : createPair(opts.shell));
  try {
    await s.setup?.(t);
    const recording = process.env.PKTPATH_RECORD_SCENARIOS === '1';
    const save = recording ? ['--save', `diag-${opts.name}`] : [];
    const args = [
      ...['trace', opts.host, '--filter', s.filter(t), '--json', ...save],
      ...(s.args?.(t) ?? []),
      ...(opts.extraArgs ?? []),
    ];
    const { stdout, stderr } = await traceAround(args, opts.env, async () => {
      await s.traffic(t);
      await new Promise((r) => setTimeout(r, (s.settleMs ?? 400) + (opts.extraSettleMs ?? 0)));
    });
    const doc = JSON.parse(stdout) as TraceDoc;
    const names = s.names(t);
    const packet = s.pick(t, doc);
    if (recording) record(opts.name, s, t, doc, names, await savedContext(`diag-${opts.name}`, opts.env));
    return { doc, packet, topology: t, names, stderr, text: stdout };
  } finally {
    await destroy(t);
  }
}

/** Keeps a trace for the unit tests: the document plus what the scenario expects of it. */
function record(
  name: string,
  s: Scenario,
  t: Topology,
  doc: TraceDoc,
  names: string[],
  context: unknown,
): void {
  mkdirSync(FIXTURES, { recursive: true });
  const picked = s.pick(t, doc)?.id ?? null;
  const linked = s.linked ?? false;
  const fixture = {
    scenario: name,
    rule: s.rule,
    verdict: s.verdict,
    packet: picked,
    names,
    linked,
    context: touchedOnly(context, doc),
    doc,
  };
  writeFileSync(join(FIXTURES, `${name}.json`), `${JSON.stringify(fixture, null, 1)}\n`);
}

/** The context's namespaces the packets touched (the rest is other tests' traffic on a shared host). */
function touchedOnly(context: unknown, doc: TraceDoc): unknown {
  const c = context as {
    start?: { namespaces: { netns: number }[] };
    end?: { namespaces: { netns: number }[] };
  };
  if (!c || typeof c !== 'object') return context;
  const touched = new Set(doc.packets.flatMap((p) => p.hops.map((h) => h.netns)));
  for (const snap of [c.start, c.end])
    if (snap) snap.namespaces = snap.namespaces.filter((n) => touched.has(n.netns));
  return c;
}

/** The host context the run was saved with (`sessions show --json`), then the session is removed. */
async function savedContext(session: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const r = await exec(process.execPath, ['bin/pktpath.mjs', 'sessions', 'show', session, '--json'], { env });
  if (r.code !== 0) throw new Error(`sessions show ${session}: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { runs: { context?: unknown }[] };
  await exec(process.execPath, ['bin/pktpath.mjs', 'sessions', 'rm', session], { env });
  return doc.runs.at(-1)?.context ?? null;
}

/** Starts the CLI trace, runs `during` once it says it is tracing, then stops it and returns its output. */
function traceAround(
  args: string[],
  env: NodeJS.ProcessEnv,
  during: () => Promise<void>,
): Promise<{ stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/pktpath.mjs', ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let started = false;
  let failure: unknown;
  const kill = setTimeout(() => child.kill('SIGKILL'), 90_000);
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (started || !/^tracing on /m.test(stderr)) return;
    started = true;
    during().then(
      () => child.kill('SIGINT'),
      (e: unknown) => {
        failure = e;
        child.kill('SIGINT');
      },
    );
  });
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(kill);
      if (failure) reject(failure instanceof Error ? failure : new Error(String(failure)));
      else if (code !== 0 || !started)
        reject(new Error(`pktpath ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ stdout, stderr });
    });
  });
}
