import { describe, expect, it } from 'vitest';
import { groupByReason } from '../../../main/api/trace.js';

// What `fentry` on Debian 6.1 refuses, as the loader reports it per function (probe records' fallback reasons).
const MODULE = 'fentry: module functions need kprobe';
const ARGS = 'fentry: more than 6 arguments';

describe('groupByReason (the CLI\'s "fell back" line and the Trace view\'s list)', () => {
  it('says each backend and reason once, the largest group first, functions in the order given', () => {
    const fellBack = [
      { function: 'tcp_v4_fill_cb', backend: 'kprobe', reason: ARGS },
      { function: 'veth_xmit', backend: 'kprobe', reason: MODULE },
      { function: 'br_forward', backend: 'kprobe', reason: MODULE },
      { function: 'nft_do_chain_inet', backend: 'kprobe', reason: MODULE },
    ];
    expect(groupByReason(fellBack)).toEqual([
      { backend: 'kprobe', reason: MODULE, functions: ['veth_xmit', 'br_forward', 'nft_do_chain_inet'] },
      { backend: 'kprobe', reason: ARGS, functions: ['tcp_v4_fill_cb'] },
    ]);
  });

  it('keeps the same reason apart when another backend took the functions', () => {
    const groups = groupByReason([
      { function: 'a', backend: 'kprobe', reason: MODULE },
      { function: 'b', backend: 'kprobe-multi', reason: MODULE },
    ]);
    expect(groups.map((g) => [g.backend, g.functions])).toEqual([
      ['kprobe', ['a']],
      ['kprobe-multi', ['b']],
    ]);
  });

  it('groups failures, which have no backend, by reason alone', () => {
    expect(
      groupByReason([
        { function: 'x', reason: 'EINVAL' },
        { function: 'y', reason: 'no such function' },
        { function: 'z', reason: 'no such function' },
      ]),
    ).toEqual([
      { reason: 'no such function', functions: ['y', 'z'] },
      { reason: 'EINVAL', functions: ['x'] },
    ]);
    expect(groupByReason([])).toEqual([]);
  });
});
