import type { EventOf } from '../../api/contract.js';
import type { EventArgs } from '../../api/handler.js';
import type { Flow } from '../../api/flows.js';
import type { Run, TraceSpecInput } from '../../api/trace.js';
import type { TraceGroupStart } from '../../api/trace-group.js';
import { CoreError } from '../../core/errors.js';
import { flowsOfRuns } from '../../core/flows/run-flows.js';
import { streamRunPackets } from '../../core/sessions/run-file.js';
import { json, type CliContext } from '../cli-context.js';
import { describeRun } from './trace-command.js';

/** One host's ended run, or why it has none. */
interface HostResult {
  host: string;
  end?: EventOf<'trace.end'>;
  error?: string;
}

type Ok = HostResult & {
  end: EventOf<'trace.end'> & { run: Run; recorded: { file: string; packets: number } };
};
const isOk = (r: HostResult): r is Ok => !r.error && !!r.end?.run && !!r.end.recorded;

/**
 * `pktpath trace HOST1 HOST2 … --filter F`: one run per host (`trace.startGroup`: same spec, each host's own
 * backend), waited for together; Ctrl-C stops them together. A host that fails is reported and the others go on;
 * the exit code is 1 when any failed. The packets of all hosts are stitched into flows (core/flows).
 */
export async function traceGroupCommand(
  hosts: readonly string[],
  spec: Omit<TraceSpecInput, 'host'>,
  opts: { json?: boolean; save?: string },
  ctx: CliContext,
  saveRuns: (session: string, runIds: string[]) => Promise<string>,
): Promise<number> {
  const results = await runGroup(hosts, spec, ctx);
  const ok = results.filter(isOk);
  for (const r of results) if (!isOk(r)) ctx.io.err(`${r.host}: ${r.error ?? 'no result'}`);
  if (!ok.length) throw new CoreError('internal', `the trace failed on every host (${hosts.join(', ')})`);
  let session: string | undefined;
  if (opts.save)
    session = await saveRuns(
      opts.save,
      ok.map((r) => r.end.run.id),
    );
  const flows = flowsOfRuns(
    ok.map((r) => ({
      host: r.host,
      events: r.end.run.events,
      packets: streamRunPackets(r.end.recorded.file),
    })),
  );
  const lines = opts.json ? groupDocumentChunks(results, flows, session) : describeGroup(ok, flows);
  let batch: string[] = [];
  for (const line of lines) {
    if (batch.push(line) < 256) continue;
    ctx.io.out(batch.join('\n'));
    batch = [];
    await ctx.io.drained?.();
  }
  if (batch.length) ctx.io.out(batch.join('\n'));
  if (session && !opts.json) ctx.io.err(`saved ${ok.length} runs to session ${session}`);
  return ok.length === results.length ? 0 : 1;
}

/** Starts the group and resolves with every host's end (or start failure). */
async function runGroup(
  hosts: readonly string[],
  spec: Omit<TraceSpecInput, 'host'>,
  ctx: CliContext,
): Promise<HostResult[]> {
  const core = await ctx.core();
  const seen: EventArgs[] = [];
  let started: TraceGroupStart | undefined;
  const ends = new Map<string, (e: EventOf<'trace.end'>) => void>();
  const hostOf = new Map<string, string>();
  const handle = (...[event, payload]: EventArgs) => {
    if (event === 'trace.end') ends.get(payload.runId)?.(payload);
    else if (event === 'trace.progress') {
      const host = hostOf.get(payload.runId);
      if (host) progress(ctx, host, payload);
    }
  };
  const off = core.onEvent((...args) => (started ? handle(...args) : seen.push(args)));
  const onSigint = () =>
    started && void core.call('trace.stopGroup', { groupId: started.groupId }).catch(() => undefined);
  process.once('SIGINT', onSigint);
  try {
    started = await core.call('trace.startGroup', { ...spec, hosts: [...hosts] });
    const waits = started.runs.map(({ host, runId }) => {
      hostOf.set(runId, host);
      return new Promise<HostResult>((resolve) =>
        ends.set(runId, (end) => resolve({ host, end, ...(end.error ? { error: end.error.message } : {}) })),
      );
    });
    for (const args of seen.splice(0)) handle(...args);
    const done = await Promise.all(waits);
    const failed = started.failed.map((f) => ({ host: f.host, error: `not started: ${f.error.message}` }));
    // in the order the hosts were given
    return hosts.flatMap((h) => [...done, ...failed].filter((r) => r.host === h));
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }
}

function progress(ctx: CliContext, host: string, p: EventOf<'trace.progress'>): void {
  if (p.phase === 'tracing') ctx.io.err(`tracing on ${host} (${p.message ?? ''})`);
  else if (p.phase === 'failed') ctx.io.err(`${host}: failed: ${p.message ?? ''}`);
}

/** The multi-host `trace --json` document: each host's run, every packet with its `host`, and the flows. */
function* groupDocumentChunks(
  results: readonly HostResult[],
  flows: readonly Flow[],
  session?: string,
): Generator<string> {
  const runs = results.map((r) => {
    const run = r.end?.run;
    return {
      host: r.host,
      run_id: run?.id ?? null,
      mode: run?.mode ?? null,
      kernel_release: run?.kernelRelease ?? null,
      lost: run?.lost ?? 0,
      started_at: run?.startedAt ?? null,
      ended_at: run?.endedAt ?? null,
      packets: r.end?.recorded?.packets ?? 0,
      ...(r.error ? { error: r.error } : {}),
    };
  });
  const group = results.find((r) => r.end?.run?.group)?.end?.run?.group ?? null;
  const head = json({ group_id: group, hosts: runs, ...(session ? { session } : {}), packets: [] });
  yield head.replace(/\[\]\n\}$/, '[');
  let first = true;
  for (const r of results.filter(isOk))
    for (const p of streamRunPackets(r.end.recorded.file)) {
      const { captures: _bytes, ...rest } = p as typeof p & { captures?: unknown };
      yield `${first ? '' : ',\n'}    ${json({ ...rest, host: r.host }).replace(/\n/g, '\n    ')}`;
      first = false;
    }
  yield `\n  ],\n  "flows": ${json(flows).replace(/\n/g, '\n  ')}\n}`;
}

function fmtNs(ns: number): string {
  const a = Math.abs(ns);
  const s =
    a < 1e3
      ? `${a} ns`
      : a < 1e6
        ? `${(a / 1e3).toFixed(1)} µs`
        : a < 1e9
          ? `${(a / 1e6).toFixed(2)} ms`
          : `${(a / 1e9).toFixed(3)} s`;
  return ns < 0 ? `-${s}` : s;
}

/** Each host's run as `trace` prints one, then the flows: path, wire gaps, clock offset, headline. */
function* describeGroup(ok: readonly Ok[], flows: readonly Flow[]): Generator<string> {
  for (const r of ok)
    yield* describeRun(r.end.run, r.end.recorded.packets, streamRunPackets(r.end.recorded.file));
  yield `flows: ${flows.length} (${flows.filter((f) => f.segments.length > 1).length} across hosts)`;
  for (const [i, f] of flows.entries()) {
    const path = f.segments
      .map((s) => `${s.host}#${s.packet_id}${s.gap_ns === undefined ? '' : ` (+${fmtNs(s.gap_ns)})`}`)
      .join(' → ');
    const clock =
      f.segments.length > 1
        ? `  clock ${fmtNs(f.clock_offset_ns)} ± ${f.uncertainty_ns === null ? '?' : fmtNs(f.uncertainty_ns)}`
        : '';
    yield `flow ${i + 1}  ${path}${clock}`;
    yield `  ${f.headline}${f.changed_fields.length ? `  (NAT changed ${f.changed_fields.join(', ')})` : ''}`;
  }
}
