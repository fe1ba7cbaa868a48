import type { Host } from '../../api/hosts.js';
import { CoreError } from '../errors.js';

/**
 * At most this many jump hops in front of a host, every jump host's own chain expanded. Without a bound, nested
 * fan-out (`ProxyJump a,a,a` where a has `ProxyJump b,b,b`…) grows exponentially and exhausts memory and stack.
 */
export const MAX_JUMP_HOPS = 16;

/**
 * The hops to go through for `host`, first hop first, each jump host's own jump chain expanded before it. Refuses
 * loops and chains longer than MAX_JUMP_HOPS as soon as it sees them (so it never expands more than that).
 */
export function jumpChain(host: Host, resolve: (name: string) => Host): Host[] {
  const chain: Host[] = [];
  const visit = (h: Host, path: readonly string[]): void => {
    for (const name of h.jump) {
      const next = [...path, name];
      if (path.includes(name)) throw new CoreError('invalid-request', `jump hosts loop: ${next.join(' → ')}`);
      // every host on `next` but the first is pushed once its own chain is done: a deeper path is too long anyway
      if (next.length - 1 > MAX_JUMP_HOPS) throw tooLong(host);
      const hop = resolve(name);
      visit(hop, next);
      if (chain.push(hop) > MAX_JUMP_HOPS) throw tooLong(host);
    }
  };
  visit(host, [host.name]);
  return chain;
}

function tooLong(host: Host): CoreError {
  return new CoreError(
    'invalid-request',
    `the jump chain of ${host.name} is longer than ${MAX_JUMP_HOPS} hops (jump hosts expanded)`,
  );
}
