import { comparePaths } from '../../compare/compare-paths.js';
import { compareVariants } from '../../compare/compare-runs.js';
import type { CoreContext, MethodTable } from '../core-context.js';

export function compareMethods(ctx: CoreContext): MethodTable<'compare.paths' | 'compare.runs'> {
  return {
    'compare.paths': ({ a, b }) =>
      comparePaths(
        ctx.sessions.packet(a.session, a.run, a.packet),
        ctx.sessions.packet(b.session, b.run, b.packet),
      ),
    'compare.runs': ({ a, b }) => {
      // From the run files' indexes: only the two dominant packets are read.
      const ra = ctx.sessions.runVariants(a.session, a.run);
      const rb = ctx.sessions.runVariants(b.session, b.run);
      return compareVariants(ra.variants, rb.variants, ra.dominant, rb.dominant);
    },
  };
}
