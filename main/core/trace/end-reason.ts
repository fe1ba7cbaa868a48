import type { ApiError } from '../../api/errors.js';
import type { RunEvent, TraceEndReason, TraceSpec } from '../../api/trace.js';

/** What an ended run knows about its end: the loader's `done` record (docs/LOADER.md) and the run's error. */
export interface EndFacts {
  spec: TraceSpec;
  records: readonly RunEvent[];
  error: ApiError | undefined;
}

/**
 * Why a run ended, in one line for people. The loader's `done.reason` says which limit or request stopped it; an
 * error (a cut link, the loader's own complaint) wins over it, since it is why the trace was not whole.
 */
export function endReasonOf({ spec, records, error }: EndFacts): TraceEndReason {
  if (error?.code === 'unreachable') return { kind: 'link-lost', message: `link lost: ${error.message}` };
  if (error) return { kind: 'error', message: error.message };
  const done = records.findLast((r) => r.kind === 'done')?.data ?? {};
  const ms = Number(done.elapsedMs);
  const after = Number.isFinite(ms) ? ` after ${(ms / 1000).toFixed(1)} s` : '';
  switch (done.reason) {
    case 'packets':
      return {
        kind: 'packet-limit',
        message: `packet limit reached (${spec.limits.packets ?? '?'})${after}`,
      };
    case 'duration':
      return { kind: 'duration', message: `duration elapsed (${spec.limits.durationS ?? '?'} s)` };
    case 'events':
      return { kind: 'event-limit', message: `event limit reached (${spec.limits.events ?? '?'})${after}` };
    case 'nothing-attached':
      return { kind: 'error', message: 'loader error: no probe could be attached' };
    case 'stdout-closed':
      return { kind: 'link-lost', message: `link lost: the loader's output closed${after}` };
    default:
      // `stop`, a signal or stdin EOF after a stop request, or a stop before the loader started
      return { kind: 'stopped', message: `stopped by you${after}` };
  }
}

/**
 * Why a saved run ended, from what it kept: its loader's records and, for a run that failed, the `failed` record
 * carrying the error's message (its code is not kept: a link lost reads as an error with the link's message).
 */
export function savedEndReason(run: {
  spec: TraceSpec;
  events: readonly RunEvent[];
  endedAt?: string | undefined;
}): TraceEndReason | undefined {
  if (!run.endedAt) return undefined;
  const failed = run.events.findLast((r) => r.kind === 'failed');
  const error = failed
    ? { code: 'internal' as const, message: failed.message ?? 'the run failed' }
    : undefined;
  return endReasonOf({ spec: run.spec, records: run.events, error });
}
