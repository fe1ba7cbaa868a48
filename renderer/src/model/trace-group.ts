import type { EventOf } from '../../../main/api/contract.js';
import type { TraceEndReason } from '../../../main/api/trace.js';
import type { TraceGroupStart } from '../../../main/api/trace-group.js';
import { LiveRun } from './live-run.js';

type Progress = EventOf<'trace.progress'>;
type TraceEnd = EventOf<'trace.end'>;

/** One host of a group run, as the core reported it. */
export interface GroupHost {
  host: string;
  /** Absent when the core could not even start this host's run (`notStarted` says why). */
  runId?: string;
  notStarted?: string;
  progress?: Progress;
  /** Set once the core said the run ended: why, its error, and whether it recorded a saveable run. */
  end?: { reason: TraceEndReason; error?: { code: string; message: string }; lost: number; ok: boolean };
  /** The ended run as the core sent it (clock readings for wall-clock times, host context). */
  run?: TraceEnd['run'];
  live: LiveRun;
}

/**
 * One trace on several hosts (`trace.startGroup`), folded from the core's per-run events: each host's phase,
 * packets and end. A host that fails is just that host's end; the others go on.
 */
export class GroupRun {
  readonly groupId: string;
  readonly hosts: GroupHost[];
  private readonly byRun = new Map<string, GroupHost>();
  version = 0;

  constructor(start: TraceGroupStart, order: readonly string[]) {
    this.groupId = start.groupId;
    const all: GroupHost[] = [
      ...start.runs.map((r) => ({ host: r.host, runId: r.runId, live: new LiveRun() })),
      ...start.failed.map((f) => ({ host: f.host, notStarted: f.error.message, live: new LiveRun() })),
    ];
    // in the order the user picked the hosts
    this.hosts = order.flatMap((h) => all.filter((x) => x.host === h));
    for (const h of this.hosts) if (h.runId) this.byRun.set(h.runId, h);
  }

  has(runId: string): boolean {
    return this.byRun.has(runId);
  }

  /** Applies one of the core's events; false when it is not about this group. */
  apply(
    e:
      | { event: 'trace.progress'; payload: Progress }
      | { event: 'trace.packets'; payload: EventOf<'trace.packets'> }
      | { event: 'trace.end'; payload: TraceEnd },
  ): boolean {
    const h = this.byRun.get(e.payload.runId);
    // after an end learnt from `trace.status`, the run's own end event still brings its packets and clock
    if (!h || (h.end && (e.event !== 'trace.end' || h.run))) return false;
    if (e.event === 'trace.progress') h.progress = e.payload;
    else if (e.event === 'trace.packets') h.live.apply(e.payload.packets);
    else this.ended(h, e.payload);
    this.version++;
    return true;
  }

  private ended(h: GroupHost, e: TraceEnd): void {
    if (e.run) h.live.apply(e.run.packets);
    h.run = e.run;
    const reason = e.reason ?? { kind: e.error ? 'error' : 'stopped', message: e.error?.message ?? 'ended' };
    h.end = {
      reason,
      ...(e.error ? { error: e.error } : {}),
      lost: e.run?.lost ?? h.progress?.lost ?? 0,
      ok: !e.error && !!e.run && !!e.recorded,
    };
  }

  /** What `trace.status` says after a reconnect that may have missed the end. */
  resynced(runId: string, reason: TraceEndReason, lost: number): void {
    const h = this.byRun.get(runId);
    if (!h || h.end) return;
    h.end = { reason, lost, ok: reason.kind !== 'error' };
    this.version++;
  }

  /** Every host has ended or never started. */
  get done(): boolean {
    return this.hosts.every((h) => h.end || h.notStarted);
  }

  /** The runs a session can hold: those that ended with a recorded run (as `pktpath trace … --save` keeps). */
  get saveableRunIds(): string[] {
    return this.hosts.flatMap((h) => (h.runId && h.end?.ok ? [h.runId] : []));
  }

  get runningRunIds(): string[] {
    return this.hosts.flatMap((h) => (h.runId && !h.end ? [h.runId] : []));
  }
}
