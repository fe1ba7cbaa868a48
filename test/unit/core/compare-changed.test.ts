import { describe, expect, it } from 'vitest';
import { PathComparisonSchema } from '../../../main/api/compare.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { comparePaths } from '../../../main/core/compare/compare-paths.js';

const path = (fns: string[], last?: Partial<PacketPath['hops'][number]>): Pick<PacketPath, 'hops'> => ({
  hops: fns.map((f, i) => ({
    function: f,
    ts_ns: 1000 + i * 100,
    ifindex: i < 2 ? 2 : 3,
    netns: i < 2 ? 10 : 20,
    len: 84,
    ...(i === fns.length - 1 ? last : {}),
  })),
});

describe('compare rows', () => {
  it('a replaced hop is one "changed" row carrying both functions and the drop reason', () => {
    const a = path(['ip_rcv', 'ip_local_deliver', 'consume_skb']);
    const b = path(['ip_rcv', 'ip_local_deliver', 'kfree_skb'], {
      drop_reason: 'NETFILTER_DROP',
      netns_name: 'web',
    });
    const c = PathComparisonSchema.parse(comparePaths(a, b));
    expect(c.rows.map((r) => r.op)).toEqual(['same', 'same', 'changed']);
    const last = c.rows[2]!;
    expect([last.function, last.b_function, last.a_index, last.b_index]).toEqual([
      'consume_skb',
      'kfree_skb',
      2,
      2,
    ]);
    expect(last.b_hop).toEqual({ ifindex: 3, netns: 20, netns_name: 'web', drop_reason: 'NETFILTER_DROP' });
    expect(last.a_hop).toEqual({ ifindex: 3, netns: 20 });
    expect(c.first_divergence).toEqual({
      a_index: 2,
      b_index: 2,
      a_function: 'consume_skb',
      b_function: 'kfree_skb',
    });
  });

  it('an uneven hunk pairs what it can and keeps the rest only on one side', () => {
    const c = comparePaths(path(['a', 'b', 'c', 'z']), path(['a', 'd', 'z']));
    expect(c.rows.map((r) => [r.op, r.function, r.b_function])).toEqual([
      ['same', 'a', undefined],
      ['changed', 'b', 'd'],
      ['missing', 'c', undefined],
      ['same', 'z', undefined],
    ]);
    expect(c.missing.map((m) => m.function)).toEqual(['b', 'c']);
    expect(c.inserted.map((m) => m.function)).toEqual(['d']);
  });
});
