import type { CoreContext, MethodTable } from '../core-context.js';
import { checkFilter } from '../../filter/check-filter.js';

export function filterMethods(ctx: CoreContext): MethodTable<'filter.check'> {
  return {
    'filter.check': ({ host, filter }) => checkFilter(ctx.access, ctx.hosts.get(host), filter),
  };
}
