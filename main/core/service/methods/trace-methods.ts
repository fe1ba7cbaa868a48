import type { TraceStatus } from '../../../api/trace.js';
import { endReasonOf } from '../../trace/end-reason.js';
import type { TraceRun } from '../../trace/trace-run.js';
import type { CoreContext, MethodTable } from '../core-context.js';

export function traceMethods(ctx: CoreContext): MethodTable<'trace.start' | 'trace.stop' | 'trace.status'> {
  return {
    'trace.start': ({ runId, ...spec }) => ({
      runId: ctx.runs.start(ctx.hosts.get(spec.host), spec, runId).id,
    }),
    'trace.stop': ({ runId }) => ctx.runs.stop(runId),
    'trace.status': ({ runId }) => traceStatus(ctx.runs.get(runId)),
  };
}

/** A run's state now; `reason` once it has ended. */
export function traceStatus(run: TraceRun): TraceStatus {
  return {
    runId: run.id,
    phase: run.phase,
    packets: run.packetCount,
    lost: run.lost,
    ...(run.endedAt ? { endedAt: run.endedAt, reason: endReasonOf(run) } : {}),
  };
}
