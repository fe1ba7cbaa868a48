import type { CoreContext, MethodTable } from '../core-context.js';

export function traceMethods(ctx: CoreContext): MethodTable<'trace.start' | 'trace.stop'> {
  return {
    'trace.start': (spec) => ({ runId: ctx.runs.start(ctx.hosts.get(spec.host), spec).id }),
    'trace.stop': ({ runId }) => ctx.runs.stop(runId),
  };
}
