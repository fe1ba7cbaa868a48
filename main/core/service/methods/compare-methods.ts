import type { ContextDiff, RunRef } from '../../../api/compare.js';
import { comparePaths } from '../../compare/compare-paths.js';
import { compareVariants } from '../../compare/compare-runs.js';
import { diffContexts } from '../../context/context-diff.js';
import type { CoreContext, MethodTable } from '../core-context.js';

export function compareMethods(ctx: CoreContext): MethodTable<'compare.paths' | 'compare.runs'> {
  /** The two runs' host contexts compared, unless both refs name the same run. */
  const contextDiff = (a: RunRef, b: RunRef): { context_diff?: ContextDiff } => {
    const ca = ctx.sessions.runContext(a.session, a.run);
    const cb = ctx.sessions.runContext(b.session, b.run);
    if (a.session === b.session && ca.run === cb.run) return {};
    return { context_diff: diffContexts(ca.context, cb.context) };
  };
  return {
    'compare.paths': ({ a, b }) => ({
      ...comparePaths(
        ctx.sessions.packet(a.session, a.run, a.packet),
        ctx.sessions.packet(b.session, b.run, b.packet),
      ),
      ...contextDiff(a, b),
    }),
    'compare.runs': ({ a, b }) => {
      // From the run files' indexes: only the two dominant packets are read.
      const ra = ctx.sessions.runVariants(a.session, a.run);
      const rb = ctx.sessions.runVariants(b.session, b.run);
      return {
        ...compareVariants(ra.variants, rb.variants, ra.dominant, rb.dominant),
        ...contextDiff(a, b),
      };
    },
  };
}
