import { randomBytes } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host } from '../../api/hosts.js';
import type { Run, TraceSpec } from '../../api/trace.js';
import { ConflictError, CoreError, NotFoundError } from '../errors.js';
import type { RecordedRun } from '../sessions/run-file-writer.js';
import { probeEntries } from './loader-config.js';
import { ConnectGate } from './connect-gate.js';
import { TraceRun, type TraceRunDeps } from './trace-run.js';

/** Finished runs kept for `sessions.save` (older ones are dropped with their run files: save what you want). */
const KEEP_FINISHED = 32;
/** SSH connections a core sets up at once for its runs (connect-gate.ts). */
const CONNECTS_AT_ONCE = 6;
/** Run files and spools a crashed pktpath left behind are removed once this old. */
const STALE_MS = 7 * 24 * 3600_000;

/** A finished run ready to be saved: its metadata and its run file. */
export interface FinishedRun {
  run: Omit<Run, 'packets'>;
  recorded: RecordedRun;
}

/**
 * The core's trace runs: started by id, stopped by id, all stopped (and detached) on close. Each run is written to
 * `<runs dir>/<run id>.run` while it traces; the file is removed when the run leaves the registry unless `keep`
 * was called (a run whose save failed stays there for recovery).
 */
export class RunRegistry {
  private readonly runs = new Map<string, TraceRun>();
  private readonly kept = new Set<string>();
  /** Many hosts started at once (a group) connect a few at a time. */
  private readonly connectGate = new ConnectGate(CONNECTS_AT_ONCE);
  readonly runsDir: string;

  constructor(
    private readonly deps: Omit<TraceRunDeps, 'runsDir'> & { home: string; onEnd: (run: TraceRun) => void },
  ) {
    this.runsDir = writableDir(join(deps.home, 'runs'));
    removeStale(this.runsDir);
  }

  /** `id`: the client's own run id (`trace.start`), else a fresh one; `group`: runs started together. */
  start(host: Host, spec: TraceSpec, opts: { id?: string; group?: string } = {}): TraceRun {
    const entries = probeEntries(spec); // bad probe text fails the request, before any connection
    const id = opts.id ?? newId('run');
    if (this.runs.has(id) || existsSync(join(this.runsDir, `${id}.run`)))
      throw new ConflictError(`a run with id ${id} exists already`);
    const deps = { ...this.deps, runsDir: this.runsDir, connectGate: this.connectGate };
    const run = new TraceRun(id, host, spec, entries, deps, opts.group);
    this.runs.set(id, run);
    void run.ended.then(() => {
      if (run.error && run.recorded?.packets) this.kept.add(run.id); // what a failed run recorded stays
      this.deps.onEnd(run);
      this.prune();
    });
    return run;
  }

  private prune(): void {
    const done = [...this.runs.values()].filter((r) => r.endedAt);
    for (const r of done.slice(0, Math.max(0, done.length - KEEP_FINISHED))) this.forget(r);
  }

  private forget(run: TraceRun): void {
    this.runs.delete(run.id);
    if (run.recorded && !this.kept.has(run.id)) rmSync(run.recorded.file, { force: true });
  }

  get(id: string): TraceRun {
    const run = this.runs.get(id);
    if (!run) throw new NotFoundError(`no run ${id}`);
    return run;
  }

  async stop(id: string): Promise<Run> {
    const run = this.get(id);
    await run.stop();
    return run.toRun();
  }

  /** The runs still going on host `name` (connecting, tracing or stopping). */
  activeOn(name: string): TraceRun[] {
    return [...this.runs.values()].filter((r) => !r.endedAt && r.host.name === name);
  }

  /** A run that has ended, for saving. */
  finished(id: string): FinishedRun {
    const run = this.get(id);
    if (!run.endedAt) throw new ConflictError(`run ${id} is still tracing; stop it first`);
    if (!run.recorded)
      throw new CoreError('internal', `run ${id} has no run file (${run.error?.message ?? ''})`);
    const { packets: _inline, ...meta } = run.toRun();
    return { run: meta, recorded: run.recorded };
  }

  /** Leaves a run's file in place when the run leaves the registry. */
  keep(id: string): void {
    this.kept.add(id);
  }

  /** A fresh group id for runs started together (`trace.startGroup`). */
  newGroup(): string {
    return newId('group');
  }

  /** Stops every run of `group` together; resolves once each host has detached. */
  async stopGroup(group: string): Promise<string[]> {
    const runs = [...this.runs.values()].filter((r) => r.group === group);
    if (!runs.length) throw new NotFoundError(`no runs of group ${group}`);
    await Promise.all(runs.map((r) => r.stop()));
    return runs.map((r) => r.id);
  }

  /** Stops every run and waits until each host has detached; unsaved run files are removed. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.stop()));
    for (const r of [...this.runs.values()]) this.forget(r);
  }
}

const newId = (kind: string) =>
  `${kind}-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(3).toString('hex')}`;

/** `dir`, created if needed; where it cannot be written (a read-only data dir), a fresh private dir in the tmpdir
 * (never a predictable name another user could have made first). */
function writableDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch {
    return mkdtempSync(join(tmpdir(), 'pktpath-runs-'));
  }
}

function removeStale(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { force: true });
    } catch {
      // raced with another pktpath: nothing to clean
    }
  }
}
