import { readFileSync } from 'node:fs';
import type { EventOf } from '../../api/contract.js';
import type { EventArgs } from '../../api/handler.js';
import type { ApiError } from '../../api/errors.js';
import {
  AttachModeSchema,
  DEFAULT_SNAPLEN,
  groupByReason,
  MAX_SNAPLEN,
  ProfileNameSchema,
  type PacketPath,
  type Run,
  type MetaFilter,
  type TraceSpecInput,
} from '../../api/trace.js';
import { SessionIdSchema } from '../../api/sessions.js';
import {
  MAX_TC_POINTS,
  parseInterface,
  parseMark,
  parseNetns,
  parseTcPoint,
  type Parsed,
  type TcPoint,
} from '../../api/trace-scope.js';
import { HopNamer } from '../../core/context/hop-names.js';
import { CoreError } from '../../core/errors.js';
import { streamRunPackets } from '../../core/sessions/run-file.js';
import { diagnosePackets } from '../../core/diagnose/explain-run.js';
import { intOption, numberOption, parseCommand, UsageError } from '../args.js';
import { json, type CliContext } from '../cli-context.js';
import { explainOptionsFor, explainPackets } from '../../core/explain/explain-packets.js';
import { packetsText } from './explain-text.js';
import { traceGroupCommand } from './trace-group.js';

export async function traceCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const { at, values, positionals } = parseCommand(
    'trace',
    captureArgs(argv),
    {
      capture: { type: 'string' },
      filter: { type: 'string' },
      probes: { type: 'string' },
      profile: { type: 'string' },
      mode: { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      save: { type: 'string' },
      json: { type: 'boolean' },
      'no-context': { type: 'boolean' },
      netns: { type: 'string' },
      interface: { type: 'string' },
      mark: { type: 'string' },
      tc: { type: 'string', multiple: true },
    },
    {
      min: 1,
      max: 256,
      names:
        "HOST [HOST…] --filter 'EXPR' [--probes FILE | --profile NAME] [--mode M] [--count N] [--duration SEC] [--netns NS] [--interface IF] [--mark V[/M]] [--tc IF[@NS][:DIR]]… [--capture [SNAPLEN]] [--no-context] [--save SESSION] [--json]",
    },
  );
  const spec = {
    ...traceSpec(at(0), values),
    ...scopeOf(values),
    ...(values['no-context'] ? { context: false } : {}),
  };
  if (positionals.length > 1) {
    // several hosts: one run each, stitched into flows, which need header bytes (docs/CLI.md "Several hosts")
    const { host: _first, ...shared } = spec;
    const group = { ...shared, capture: shared.capture ?? { snaplen: DEFAULT_SNAPLEN } };
    const save = (session: string, runIds: string[]) => saveRun(ctx, session, runIds);
    return traceGroupCommand(positionals, group, values, ctx, save);
  }
  const core = await ctx.core();

  // Events may arrive before trace.start answers: keep them all, pick ours once the run id is known.
  const seen: EventArgs[] = [];
  let runId: string | undefined;
  let onEnd: (p: EventOf<'trace.end'>) => void = () => undefined;
  const ended = new Promise<EventOf<'trace.end'>>((resolve) => (onEnd = resolve));
  const handle = (...[event, payload]: EventArgs) => {
    if (event === 'trace.end' && payload.runId === runId) onEnd(payload);
    else if (event === 'trace.progress' && payload.runId === runId) progressLine(ctx, payload, spec);
  };
  const off = core.onEvent((...args) => (runId ? handle(...args) : seen.push(args)));
  const onSigint = () => runId && void core.call('trace.stop', { runId }).catch(() => undefined);
  process.once('SIGINT', onSigint);
  let end: EventOf<'trace.end'>;
  try {
    runId = (await core.call('trace.start', spec)).runId;
    for (const args of seen.splice(0)) handle(...args);
    end = await ended;
  } finally {
    off();
    process.off('SIGINT', onSigint);
  }

  const run = end.run;
  if (end.error || !run || !end.recorded)
    throw errorOf(end.error, end.recorded?.packets ? end.recorded.file : undefined);
  let session: string | undefined;
  let saveError: unknown;
  if (values.save)
    session = await saveRun(ctx, values.save, run.id).catch((e: unknown) => void (saveError = e));
  // the packets come from the run file, one at a time: a run of millions prints in constant memory
  const namer = new HopNamer(run.context); // names as the host knew them (docs/CLI.md)
  const file = end.recorded.file;
  const packets = (function* () {
    for (const p of streamRunPackets(file)) yield namer.packet(p);
  })();
  const count = end.recorded.packets;
  const lines = values.json
    ? traceDocumentChunks(run, count, packets, session)
    : describeRun(run, count, packets);
  let batch: string[] = [];
  for (const line of lines) {
    if (batch.push(line) < 256) continue;
    ctx.io.out(batch.join('\n')); // a few large writes: far less garbage than one per line
    batch = [];
    await ctx.io.drained?.(); // a slow reader holds us back instead of filling memory
  }
  if (batch.length) ctx.io.out(batch.join('\n'));
  if (session && !values.json) ctx.io.err(`saved run ${run.id} to session ${session}`);
  if (saveError) throw saveError;
  return 0;
}

/** `--capture` takes an optional value, which parseArgs cannot express: a bare one becomes `--capture=128`. */
function captureArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a !== '--capture') out.push(a);
    else if (/^\d+$/.test(argv[i + 1] ?? '')) out.push(`--capture=${argv[++i]}`);
    else out.push(`--capture=${DEFAULT_SNAPLEN}`);
  }
  return out;
}

function traceSpec(
  host: string,
  v: {
    filter?: string;
    probes?: string;
    profile?: string;
    mode?: string;
    count?: string;
    duration?: string;
    capture?: string;
  },
): TraceSpecInput {
  if (v.probes && v.profile) throw new UsageError('trace: give --probes FILE or --profile NAME, not both');
  let probes: TraceSpecInput['probes'];
  if (v.probes) {
    let text: string;
    try {
      text = readFileSync(v.probes, 'utf8');
    } catch (e) {
      throw new UsageError(
        `trace: cannot read ${v.probes}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      );
    }
    probes = { kind: 'text', text, source: v.probes };
  } else if (v.profile) {
    const p = ProfileNameSchema.safeParse(v.profile);
    if (!p.success)
      throw new UsageError(`trace: --profile is one of ${ProfileNameSchema.options.join(', ')}`);
    probes = { kind: 'profile', name: p.data };
  }
  let mode: TraceSpecInput['mode'];
  if (v.mode) {
    const m = AttachModeSchema.safeParse(v.mode);
    if (!m.success) throw new UsageError(`trace: --mode is one of ${AttachModeSchema.options.join(', ')}`);
    mode = m.data;
  }
  const packets = intOption('trace', 'count', v.count, 1);
  const durationS = numberOption('trace', 'duration', v.duration);
  const snaplen = intOption('trace', 'capture', v.capture, 1);
  if (snaplen !== undefined && snaplen > MAX_SNAPLEN)
    throw new UsageError(`trace: --capture is at most ${MAX_SNAPLEN} bytes`);
  return {
    host,
    filter: v.filter ?? '',
    ...(probes ? { probes } : {}),
    ...(mode ? { mode } : {}),
    limits: { ...(packets ? { packets } : {}), ...(durationS ? { durationS } : {}) },
    ...(snaplen ? { capture: { snaplen } } : {}),
  };
}

/** --netns, --interface, --mark and --tc, read with the grammar the Trace form uses (api/trace-scope.ts). */
function scopeOf(v: { netns?: string; interface?: string; mark?: string; tc?: string[] }): {
  meta?: MetaFilter;
  tc?: TcPoint[];
} {
  const ok = <T>(r: Parsed<T>): T => {
    if ('error' in r) throw new UsageError(`trace: ${r.error}`);
    return r.value;
  };
  const meta: MetaFilter = {
    ...(v.netns !== undefined ? { netns: ok(parseNetns(v.netns)) } : {}),
    ...(v.interface !== undefined ? ok(parseInterface(v.interface)) : {}),
    ...(v.mark !== undefined ? { mark: ok(parseMark(v.mark)) } : {}),
  };
  const tc = (v.tc ?? []).map((t) => ok(parseTcPoint(t)));
  if (tc.length > MAX_TC_POINTS) throw new UsageError(`trace: at most ${MAX_TC_POINTS} --tc points`);
  return { ...(Object.keys(meta).length ? { meta } : {}), ...(tc.length ? { tc } : {}) };
}

function progressLine(ctx: CliContext, p: EventOf<'trace.progress'>, spec: TraceSpecInput): void {
  // a large set detaches for as long as it attached: say so rather than sit silent for minutes
  if (p.phase === 'stopping' && p.message) ctx.io.err(`stopping on ${spec.host}: ${p.message}`);
  if (p.phase === 'tracing') {
    const limits = spec.limits ?? {};
    const until =
      limits.packets || limits.durationS
        ? `until ${[limits.packets ? `${limits.packets} packets` : '', limits.durationS ? `${limits.durationS} s` : ''].filter(Boolean).join(' or ')}`
        : 'until Ctrl-C';
    ctx.io.err(`tracing on ${spec.host} (${p.message ?? ''}) ${until}`);
    if (p.failures?.length)
      ctx.io.err(
        `  not attached: ${groupByReason(p.failures)
          .map((g) => `${firstFive(g.functions)} (${g.reason})`)
          .join('; ')}`,
      );
    // which functions another backend took, and why: said as tracing starts, not after the run
    if (p.fellBack?.length)
      ctx.io.err(
        `  fell back: ${groupByReason(p.fellBack)
          .map((g) => `${firstFive(g.functions)} → ${g.backend} (${g.reason})`)
          .join('; ')}`,
      );
    if (p.covered?.length)
      ctx.io.err(
        `  left out (an attached function sees the same point): ${p.covered.map((x) => `tracepoint ${x.tracepoint} (${x.by.join(', ')})`).join(', ')}`,
      );
  }
}

/** The first five items, and how many more there are. */
function firstFive(items: string[]): string {
  return `${items.slice(0, 5).join(', ')}${items.length > 5 ? ` and ${items.length - 5} more` : ''}`;
}

function errorOf(e: ApiError | undefined, recorded?: string): CoreError {
  const kept = recorded ? `; what was recorded is in ${recorded}` : '';
  return new CoreError(e?.code ?? 'internal', `${e?.message ?? 'the trace ended without a result'}${kept}`);
}

/**
 * `--save SESSION`: append to the session with that id or title if there is one, else create one titled SESSION.
 * A failed save keeps the run (the core's error names the recovery file).
 */
async function saveRun(ctx: CliContext, session: string, runIds: string | string[]): Promise<string> {
  const core = await ctx.core();
  // a lookup that fails (an unreadable data dir) leaves it to the save, whose failure keeps the run
  const existing = await (async () => {
    if (SessionIdSchema.safeParse(session).success) {
      const byId = await core.call('sessions.get', { id: session }).catch(() => undefined);
      if (byId) return byId;
    }
    const { sessions } = await core.call('sessions.list', {}).catch(() => ({ sessions: [] }));
    return sessions.find((s) => s.title === session);
  })();
  const saved = await core.call(
    'sessions.save',
    existing
      ? { id: existing.id, title: existing.title, runIds: [runIds].flat() }
      : { title: session, runIds: [runIds].flat() },
  );
  return saved.id;
}

/** The `trace --json` document (issue 4 fixes its required fields). */
export function traceDocument(run: Run, session?: string) {
  return {
    host: run.host,
    mode: run.mode,
    lost: run.lost,
    run_id: run.id,
    kernel_release: run.kernelRelease ?? null,
    started_at: run.startedAt,
    ended_at: run.endedAt ?? null,
    ...(session ? { session } : {}),
    ...(run.context ? { context: run.context } : {}), // host context (docs/SESSION-FORMAT.md)
    packets: run.packets,
  };
}

/** `traceDocument` as `json()` prints it, with the packets streamed from the run file instead of held. */
function* traceDocumentChunks(
  run: Run,
  count: number,
  packets: Iterable<PacketPath>,
  session?: string,
): Generator<string> {
  const head = json({ ...traceDocument(run, session), packets: [] });
  if (!count) return yield head;
  yield head.replace(/\[\]\n\}$/, '[');
  let i = 0;
  // each with its verdict and its diagnosis (docs/CLI.md "Diagnosis")
  const o = explainOptionsFor(run);
  for (const p of diagnosePackets(explainPackets(packets, o), run.context, o)) {
    const { captures: _bytes, ...rest } = p as PacketPath & { captures?: unknown };
    yield `    ${json(rest).replace(/\n/g, '\n    ')}${++i < count ? ',' : ''}`;
  }
  yield '  ]\n}';
}

export function* describeRun(
  run: Run,
  count = run.packets.length,
  packets: Iterable<PacketPath> = run.packets,
): Generator<string> {
  yield `${run.host}: ${count} packets, mode ${run.mode}, lost ${run.lost} (run ${run.id})`;
  const o = explainOptionsFor(run);
  yield* packetsText(diagnosePackets(explainPackets(packets, o), run.context, o), o);
}
