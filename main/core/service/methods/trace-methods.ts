import type { TraceStatus } from '../../../api/trace.js';
import type { TraceGroupSpec, TraceGroupStart } from '../../../api/trace-group.js';
import { toApiError } from '../../../api/handler.js';
import { probeEntries } from '../../trace/loader-config.js';
import { endReasonOf } from '../../trace/end-reason.js';
import type { TraceRun } from '../../trace/trace-run.js';
import type { CoreContext, MethodTable } from '../core-context.js';

type TraceMethod = 'trace.start' | 'trace.stop' | 'trace.status' | 'trace.startGroup' | 'trace.stopGroup';

export function traceMethods(ctx: CoreContext): MethodTable<TraceMethod> {
  return {
    'trace.start': ({ runId, ...spec }) => ({
      runId: ctx.runs.start(ctx.hosts.get(spec.host), spec, runId ? { id: runId } : {}).id,
    }),
    'trace.startGroup': (spec) => startGroup(ctx, spec),
    'trace.stopGroup': async ({ groupId }) => ({ runIds: await ctx.runs.stopGroup(groupId) }),
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

/** One run per host, all started in this turn; a host that cannot start is reported and the others go on. */
function startGroup(ctx: CoreContext, { hosts, perHost, ...spec }: TraceGroupSpec): TraceGroupStart {
  probeEntries({ ...spec, host: hosts[0] ?? '' }); // bad probe text fails the whole request, as for one host
  const groupId = ctx.runs.newGroup();
  const out: TraceGroupStart = { groupId, runs: [], failed: [] };
  for (const host of hosts) {
    try {
      const own = { ...spec, ...perHost[host], host };
      out.runs.push({ host, runId: ctx.runs.start(ctx.hosts.get(host), own, { group: groupId }).id });
    } catch (e) {
      out.failed.push({ host, error: toApiError(e) });
    }
  }
  return out;
}
