import { comparePaths } from '../../compare/compare-paths.js';
import { compareRuns } from '../../compare/compare-runs.js';
import { resolvePathRef, resolveRunRef } from '../../sessions/resolve-refs.js';
import type { CoreContext, MethodTable } from '../core-context.js';

export function compareMethods(ctx: CoreContext): MethodTable<'compare.paths' | 'compare.runs'> {
  const get = (id: string) => ctx.sessions.get(id);
  return {
    'compare.paths': ({ a, b }) => comparePaths(resolvePathRef(get, a), resolvePathRef(get, b)),
    'compare.runs': ({ a, b }) => compareRuns(resolveRunRef(get, a).packets, resolveRunRef(get, b).packets),
  };
}
