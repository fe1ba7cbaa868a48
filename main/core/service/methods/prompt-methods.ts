import type { CoreContext, MethodTable } from '../core-context.js';

export function promptMethods(ctx: CoreContext): MethodTable<'hostKey.decide' | 'secret.provide'> {
  return {
    'hostKey.decide': ({ promptId, decision }) => {
      ctx.prompts.decideHostKey(promptId, decision);
      return {};
    },
    'secret.provide': ({ promptId, value, remember }) => ctx.prompts.provideSecret(promptId, value, remember),
  };
}
