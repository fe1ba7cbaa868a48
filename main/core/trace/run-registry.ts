import { randomBytes } from 'node:crypto';
import type { Host } from '../../api/hosts.js';
import type { Run, TraceSpec } from '../../api/trace.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { probeEntries } from './loader-config.js';
import { TraceRun, type TraceRunDeps } from './trace-run.js';

/** Finished runs kept in memory for `sessions.save` (older ones are dropped: save what you want to keep). */
const KEEP_FINISHED = 32;

/** The core's trace runs: started by id, stopped by id, all stopped (and detached) on close. */
export class RunRegistry {
  private readonly runs = new Map<string, TraceRun>();

  constructor(private readonly deps: TraceRunDeps & { onEnd: (run: TraceRun) => void }) {}

  start(host: Host, spec: TraceSpec): TraceRun {
    const entries = probeEntries(spec); // bad probe text fails the request, before any connection
    const id = `run-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, '')}-${randomBytes(3).toString('hex')}`;
    const run = new TraceRun(id, host, spec, entries, this.deps);
    this.runs.set(id, run);
    void run.ended.then(() => {
      this.deps.onEnd(run);
      this.prune();
    });
    return run;
  }

  private prune(): void {
    const done = [...this.runs.values()].filter((r) => r.endedAt);
    for (const r of done.slice(0, Math.max(0, done.length - KEEP_FINISHED))) this.runs.delete(r.id);
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

  /** A run that has ended, for saving. */
  finished(id: string): Run {
    const run = this.get(id);
    if (!run.endedAt) throw new ConflictError(`run ${id} is still tracing; stop it first`);
    return run.toRun(true);
  }

  /** Stops every run and waits until each host has detached. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.stop()));
  }
}
