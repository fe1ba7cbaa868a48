import type { ApiError } from '../../api/errors.js';
import type { Host } from '../../api/hosts.js';
import type { ProbeEntry } from '../../api/probeset.js';
import type {
  AttachMode,
  FellBack,
  ProbeFacts,
  Run,
  RunEvent,
  TracePhase,
  TraceProgressEvent,
  TraceSpec,
} from '../../api/trace.js';
import { RunHostContext } from '../context/run-context.js';
import { CoreError } from '../errors.js';
import { toApiError } from '../../api/handler.js';
import { askPasswordOnce } from '../probe/preflight.js';
import { RunFileWriter, type RecordedRun } from '../sessions/run-file-writer.js';
import type { HostAccess } from '../hosts/host-access.js';
import type { ProbeCache } from '../probe/probe-cache.js';
import type { CommandRunner, RunningCommand } from '../ssh/command-runner.js';
import { sampleHostClock } from './clock-sample.js';
import type { ConnectGate } from './connect-gate.js';
import { FrameDecoder, type StatusRecord } from './frame-decoder.js';
import { fellBackOf, loaderConfig, modeOfBackend } from './loader-config.js';
import { LoaderProtocolError } from './loader-protocol-error.js';
import { LiveUpdates } from './live-updates.js';
import { PacketGrouper } from './packet-grouper.js';
import {
  explainPacket,
  explainPackets,
  explainOptionsFor,
  type ExplainOptions,
} from '../explain/explain-packets.js';

/** This machine's wall clock in ms with sub-ms precision (Date.now() has whole ms only). */
const wallMs = () => performance.timeOrigin + performance.now();

/** How often grown packets and counters are published while tracing. */
export const PUBLISH_INTERVAL_MS = 100;
/** After "stop", how long the loader gets to detach before the channel is closed on it (stdin EOF, then TERM). */
const STOP_GRACE_MS = 10_000;

/**
 * The stop grace for a loader whose attach took `attachMs`: detaching takes about as long as attaching did on every
 * backend measured (fentry on Debian 6.1 under TCG, 1,409 functions: 178 s / 180 s; kprobe 65 s / 66 s), so a fixed
 * 10 s killed a loader busy detaching a large set, and failed the run with what it had recorded. Twice the attach
 * time on top still bounds a loader that hangs.
 */
function stopGraceMs(attachMs: number): number {
  return STOP_GRACE_MS + 2 * Math.max(0, attachMs);
}
/** Client-side limits (docs/LOADER.md): what one run may hold in memory and send to a face. */
export const RUN_LIMITS = {
  /** Packets per `trace.packets` batch; the rest of a flood is in the run file, not in the live view. */
  liveBatch: 200,
  /** Packets a finished run carries inline (`trace.end`, `trace.stop`); all of them are in its run file. */
  inlinePackets: 5_000,
  /** Status records kept with a run (a loader sends one per probe, a few thousand at most). */
  records: 20_000,
  /** How long past `limits.durationS` the loader may run before it is stopped, then killed. */
  durationGraceMs: 5_000,
};

export interface TraceRunDeps {
  access: HostAccess;
  probeCache: ProbeCache;
  progress: (e: TraceProgressEvent) => void;
  packets: (runId: string, packets: Run['packets']) => void;
  /** Where live runs are written as they are traced (`<run id>.run`). */
  runsDir: string;
  /** Bounds how many runs connect at once (connect-gate.ts). */
  connectGate?: ConnectGate;
}

/**
 * One trace run on one host: connect, deploy, start `pktpath-loader trace` as root with the config on stdin (stdin
 * then stays open: its EOF is the loader's "session died"), decode and group its stream, publish batches, and end
 * on a limit, a stop, or a dead link. `ended` settles exactly once, after the loader exited (= detached).
 */
export class TraceRun {
  readonly startedAt = new Date().toISOString();
  endedAt: string | undefined;
  phase: TracePhase = 'connecting';
  mode: AttachMode;
  kernelRelease: string | undefined;
  lost = 0;
  error: ApiError | undefined;
  readonly records: RunEvent[] = [];
  private droppedRecords = 0;
  /** The run file, written as packets complete; `recorded` once it is finished. */
  private readonly writer: RunFileWriter;
  recorded: RecordedRun | undefined;
  /** The first packets, kept for the inline `packets` of `toRun()`. */
  private readonly inline: Run['packets'] = [];
  readonly grouper: PacketGrouper;
  /** What each publish tick sends (live-updates.ts). */
  private readonly live: LiveUpdates;
  /** Host context at start and end (main/core/context/), unless the spec turned it off. */
  readonly hostContext: RunHostContext;
  readonly ended: Promise<void>;

  /** Packets seen so far: written to the run file, plus those still in flight in memory. */
  get packetCount(): number {
    return this.recorded?.packets ?? this.writer.packets + this.grouper.packets.size;
  }

  private cmd: RunningCommand | undefined;
  private stopRequested = false;
  private attached = {
    attached: 0,
    total: 0,
    failures: [] as { function: string; reason: string }[],
    covered: [] as { tracepoint: string; by: string[] }[],
    fellBack: [] as FellBack[],
  };
  private loaderError: string | undefined;
  private stderrTail = '';
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private limitError: LoaderProtocolError | undefined;
  /** Set when pktpath stopped the run at its duration; `killed` when the loader then had to be killed. */
  private durationEnforced: number | undefined;
  private killed = false;
  private readonly t0 = performance.now();
  /** This client's wall clock when the config went out: the loader reads its clocks for `hello` after that. */
  private configSentMs: number | undefined;
  /** How long the loader took from its config to `attached`: what its detach is expected to take. */
  private attachMs: number | undefined;
  /** A group run's clock readings over SSH (clock-sample.ts), taken once tracing, awaited before the run ends. */
  private clockSampling: Promise<void> | undefined;
  private runner: CommandRunner | undefined;

  constructor(
    readonly id: string,
    readonly host: Host,
    readonly spec: TraceSpec,
    private readonly entries: ProbeEntry[] | 'all',
    private readonly deps: TraceRunDeps,
    readonly group?: string,
  ) {
    this.mode = spec.mode;
    this.writer = new RunFileWriter(`${deps.runsDir}/${id}.run`, () => this.explainOptions());
    this.hostContext = new RunHostContext(spec.context !== false);
    this.grouper = new PacketGrouper((p) => {
      this.hostContext.noteHops(p.hops);
      this.writer.append(p);
      if (this.inline.length < RUN_LIMITS.inlinePackets) {
        const { captures: _bytes, ...rest } = p as typeof p & { captures?: unknown };
        this.inline.push(rest);
      }
    });
    this.live = new LiveUpdates((id) => this.grouper.packets.get(id));
    // Started on the next turn, so the caller has the run id before its first progress event.
    this.ended = new Promise<void>((r) => setImmediate(r))
      .then(() => this.run())
      .then(
        () => undefined,
        (e: unknown) => ({ failure: e }),
      )
      .then(async (failed) => {
        for (const p of this.grouper.packets.values()) this.hostContext.noteHops(p.hops);
        await this.hostContext.end(); // after the loader exited: probes are detached first
        this.finish(...(failed ? [failed.failure] : []));
      });
  }

  private setPhase(phase: TracePhase, extra: Omit<TraceProgressEvent, 'runId' | 'phase'> = {}): void {
    this.phase = phase;
    this.deps.progress({ runId: this.id, phase, ...extra });
  }

  private record(kind: string, data?: Record<string, unknown>, message?: string): void {
    if (this.records.length >= RUN_LIMITS.records) {
      this.droppedRecords++;
      return;
    }
    this.records.push({
      t_ms: Math.round(performance.now() - this.t0),
      kind,
      ...(message ? { message } : {}),
      ...(data ? { data } : {}),
    });
  }

  private async run(): Promise<void> {
    const { access } = this.deps;
    this.setPhase('connecting');
    const connect = async () => {
      const r: CommandRunner = await access.runner(this.host);
      return { runner: r, info: await access.info(r) };
    };
    const { runner, info } = this.deps.connectGate
      ? await this.deps.connectGate.run(connect)
      : await connect();
    this.runner = runner;
    this.kernelRelease = info.kernelRelease;
    if (this.stopRequested) return;
    const facts: ProbeFacts | undefined = this.deps.probeCache.get(this.host.name, info.kernelRelease);
    const config = loaderConfig(this.spec, this.entries, facts);
    this.grouper.finalProbes.clear();

    // one sudo password answer for the loader and the context capture running beside it
    const privilege = askPasswordOnce(access.privilegeOptions(this.host, runner));
    this.hostContext.begin(runner, privilege);
    const cmd = await access.spawnLoader(
      this.host,
      runner,
      ['trace'],
      () => this.setPhase('deploying'),
      privilege,
    );
    this.cmd = cmd;
    this.setPhase('attaching');
    cmd.stdin.on('error', () => undefined); // a dead channel shows as the exit below
    this.configSentMs = wallMs();
    cmd.stdin.write(JSON.stringify(config) + '\n');
    if (this.stopRequested) cmd.stdin.write('stop\n');

    const finals = new Set(
      this.entries === 'all' ? [] : this.entries.filter((e) => e.final).map((e) => e.function),
    );
    const decoder = new FrameDecoder({
      event: (buf, off) => this.grouper.add(buf, off),
      status: (rec) => {
        this.onStatus(rec, finals); // validates the record first (probe ids)
        this.grouper.noteRecord(rec);
      },
      capture: (buf, off, len) => this.grouper.addCapture(buf, off, len),
      task: (buf, off) => this.grouper.addTask(buf, off),
    });
    let decodeError: unknown;
    cmd.stdout.on('data', (chunk: Buffer) => {
      if (decodeError) return;
      try {
        decoder.push(chunk);
      } catch (e) {
        decodeError = e;
        cmd.kill();
      }
    });
    cmd.stderr.on(
      'data',
      (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-2000)),
    );
    this.timer = setInterval(() => this.publish(), PUBLISH_INTERVAL_MS);

    const linkDied = new Promise<'link'>((resolve) => {
      runner.onClose?.(() => resolve('link'));
    });
    const outcome = await Promise.race([cmd.exit, linkDied]);
    await this.clockSampling;
    if (decodeError) throw decodeError;
    if (this.limitError) throw this.limitError;
    if (this.durationEnforced && this.killed)
      throw new LoaderProtocolError(
        `the loader did not stop at the ${this.durationEnforced} s duration nor when asked; pktpath killed it`,
      );
    if (outcome === 'link' || (outcome.code === null && this.host.kind !== 'local' && !this.stopRequested))
      throw new CoreError(
        'unreachable',
        `lost the connection to ${runner.target} mid-trace; the loader there sees stdin EOF and detaches`,
      );
    const { code, signal } = outcome;
    if (this.loaderError) throw new CoreError('remote-command-failed', `loader: ${this.loaderError}`);
    if (code !== 0 && !(this.stopRequested && (signal || code === null))) {
      const why = this.stderrTail.trim().split('\n').pop();
      throw new CoreError(
        'remote-command-failed',
        `loader trace on ${runner.target} exited ${code ?? signal ?? 'abnormally'}${why ? `: ${why}` : ''}`,
      );
    }
  }

  private onStatus(rec: StatusRecord, finals: ReadonlySet<string>): void {
    const { type, ...data } = rec;
    switch (type) {
      case 'hello': {
        const { dropReasons: _names, ...rest } = data;
        // The host's clock reading lies between these two client times: the SSH round trip bounds the hosts'
        // clock offset in a multi-host run (core/flows/clock-offset.ts).
        const client = { sentMs: this.configSentMs ?? 0, receivedMs: wallMs() };
        return this.record('hello', { ...rest, client });
      }
      case 'probe': {
        const id = Number(rec.id);
        if (!Number.isInteger(id) || id < 0 || id >= 1 << 20)
          throw new LoaderProtocolError(`the loader reports a probe id of ${String(rec.id)}`);
        const name = String(rec.name);
        if (finals.has(name)) this.grouper.finalProbes.add(id);
        if (Array.isArray(rec.coveredBy)) {
          this.attached.covered.push({ tracepoint: name, by: rec.coveredBy.map(String) });
          return this.record('probe', data);
        }
        this.attached.total++;
        const fellBack = fellBackOf(rec);
        if (fellBack) this.attached.fellBack.push(fellBack);
        if (rec.attached) this.attached.attached++;
        else this.attached.failures.push({ function: name, reason: String(rec.error ?? 'not attached') });
        return this.record('probe', data);
      }
      case 'attached':
        this.attachMs = wallMs() - (this.configSentMs ?? wallMs());
        this.mode = modeOfBackend(rec.backend, this.spec.mode);
        this.record('attached', data);
        this.enforceDuration();
        this.sampleClock();
        return this.setPhase('tracing', {
          attached: this.attached.attached,
          total: this.attached.total,
          ...(this.attached.failures.length ? { failures: this.attached.failures } : {}),
          ...(this.attached.covered.length ? { covered: this.attached.covered } : {}),
          ...(this.attached.fellBack.length ? { fellBack: this.attached.fellBack } : {}),
          message: `${String(rec.backend)}: ${this.attached.attached}/${this.attached.total} probes attached`,
        });
      case 'stats':
        this.lost = Number(rec.lost ?? 0);
        return;
      case 'done': {
        this.lost = Number(rec.lost ?? 0);
        if (Array.isArray(rec.cut)) this.grouper.markCut(rec.cut.filter((x) => typeof x === 'number'));
        const { cut: _ids, ...summary } = data; // the ids live on the packets; keep the record small
        return this.record('done', summary);
      }
      case 'error':
        this.loaderError = String(rec.error);
        return this.record('error', undefined, this.loaderError);
      case 'symbol':
        return; // kfree_skb location names: the grouper puts them on the hops
      default:
        return this.record(type, data);
    }
  }

  /** Runs of a group read the host's clock over SSH: stitching across hosts starts from those offsets. */
  private sampleClock(): void {
    if (!this.group || !this.runner || this.clockSampling) return;
    const bounded = Promise.race([
      sampleHostClock(this.runner),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), 12_000).unref()),
    ]);
    this.clockSampling = bounded.then(
      (s) => s && this.record('clock-sample', { ...s }),
      (e: unknown) => this.record('clock-sample', undefined, `no clock reading: ${(e as Error).message}`),
    );
  }

  /** The client's own duration limit: a loader still running `durationGraceMs` after its duration is asked to
   * stop (a loader behind on a flood may lag that much); one that does not stop then either is killed and the run
   * fails with `loader-protocol`. */
  private enforceDuration(): void {
    const seconds = this.spec.limits.durationS;
    if (!seconds || this.deadline) return;
    this.deadline = setTimeout(
      () => {
        this.durationEnforced = seconds;
        this.record('duration-enforced', { durationS: seconds }, `still running ${seconds} s after attach`);
        void this.stop();
      },
      seconds * 1000 + RUN_LIMITS.durationGraceMs,
    );
  }

  private publish(): void {
    try {
      this.grouper.tick();
    } catch (e) {
      this.limitError ??= new LoaderProtocolError(`cannot write the run file: ${(e as Error).message}`);
      this.cmd?.kill();
    }
    const changed = this.grouper.takeChanged();
    if (!changed.length) return;
    // each with its verdict so far, over its children in memory or published lately; an original whose copy
    // linked to it since is published again (the run file keeps raw packets: readers explain them again)
    const o = this.explainOptions();
    this.deps.packets(
      this.id,
      this.live
        .batch(changed.slice(0, RUN_LIMITS.liveBatch))
        .map(({ packet, kids }) => this.hostContext.namer.packet(explainPacket(packet, kids, o))),
    );
  }

  private explainOptions(): ExplainOptions {
    return explainOptionsFor({
      kernelRelease: this.kernelRelease,
      events: this.records,
      spec: this.spec,
      mode: this.mode,
    });
  }

  /** Writes out what is still in memory and completes the run file (kept even when the run failed). */
  private complete(): unknown {
    try {
      this.grouper.flushAll();
      this.recorded = this.writer.finish();
    } catch (e) {
      this.writer.abort();
      return new CoreError('internal', `cannot write the run file: ${(e as Error).message}`);
    }
    if (this.grouper.late) this.record('late', { hops: this.grouper.late });
    if (this.droppedRecords) this.record('records-dropped', { count: this.droppedRecords });
    return undefined;
  }

  private finish(failure?: unknown): void {
    clearInterval(this.timer);
    clearTimeout(this.deadline);
    this.publish();
    const e = failure ?? this.complete();
    if (failure !== undefined) this.complete();
    this.endedAt = new Date().toISOString();
    if (e !== undefined) {
      this.error = toApiError(e);
      this.record('failed', undefined, this.error.message);
      this.cmd?.kill();
      this.setPhase('failed', { message: this.error.message, lost: this.lost });
    } else this.setPhase('done', { lost: this.lost, message: `${this.recorded?.packets ?? 0} packets` });
  }

  /** Asks the loader to stop ("stop" line); closes the channel if it has not detached within the grace period
   * (`stopGraceMs`: longer for a set that took long to attach). */
  async stop(): Promise<void> {
    if (this.endedAt) return;
    // still attaching: what it took so far is the least its detach will take
    const attachMs = this.attachMs ?? (this.configSentMs ? wallMs() - this.configSentMs : 0);
    if (!this.stopRequested) {
      this.stopRequested = true;
      if (this.cmd) {
        const s = Math.round(attachMs / 1000);
        this.setPhase(
          'stopping',
          s >= 5 ? { message: `detaching: attaching took ${s} s, detaching takes about as long` } : {},
        );
        this.cmd.stdin.write('stop\n');
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), stopGraceMs(attachMs))));
    if ((await Promise.race([this.ended, grace])) === 'late') {
      this.killed = true;
      this.cmd?.stdin.end(); // EOF: the loader's own "session died" path
      this.cmd?.kill();
      await this.ended;
    }
    clearTimeout(timer);
  }

  /** The run as the contract has it, with its first `inlinePackets` packets (all of them are in `recorded.file`). */
  toRun(): Run {
    return {
      id: this.id,
      host: this.host.name,
      spec: this.spec,
      mode: this.mode,
      startedAt: this.startedAt,
      ...(this.endedAt ? { endedAt: this.endedAt } : {}),
      ...(this.kernelRelease ? { kernelRelease: this.kernelRelease } : {}),
      ...(this.group ? { group: this.group } : {}),
      lost: this.lost,
      events: this.records,
      ...(this.hostContext.context ? { context: this.hostContext.context } : {}),
      packets: [
        ...explainPackets(this.endedAt ? this.inline : this.grouper.all(), this.explainOptions()),
      ].map((p) => this.hostContext.namer.packet(p)),
    };
  }
}
