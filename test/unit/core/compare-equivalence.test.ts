import { describe, expect, it } from 'vitest';
import { PathComparisonSchema } from '../../../main/api/compare.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { comparePaths } from '../../../main/core/compare/compare-paths.js';
import { compareRuns } from '../../../main/core/compare/compare-runs.js';
import {
  alignmentName,
  FUNCTION_EQUIVALENCES,
  hopAlignmentName,
} from '../../../main/core/compare/function-equivalence.js';

type HopSpec = string | { function: string; probe_kind: 'tracepoint' | 'function' };

function path(id: number, hops: HopSpec[]): PacketPath {
  return {
    id,
    drop_reason: null,
    hops: hops.map((h, i) => ({
      ...(typeof h === 'string' ? { function: h } : h),
      ts_ns: 1000 + i * 100,
      ifindex: 1,
      netns: 1,
      len: 84,
    })),
  };
}

// The nft drop of a ping as 6.1 and 6.12 trace it (function names from the lab's vm61 and vm612): the drop
// function was renamed in 6.11; the skb:kfree_skb tracepoint keeps its name.
const DROP_61 = [
  'ip_rcv',
  'ip_local_deliver',
  'nf_hook_slow',
  'kfree_skb_reason',
  tp('kfree_skb'),
  '__kfree_skb',
];
const DROP_612 = [
  'ip_rcv',
  'ip_local_deliver',
  'nf_hook_slow',
  'sk_skb_reason_drop',
  tp('kfree_skb'),
  '__kfree_skb',
];
function tp(name: string): HopSpec {
  return { function: name, probe_kind: 'tracepoint' };
}

describe('compare across kernel versions (function equivalences)', () => {
  it('aligns kfree_skb_reason (6.1) with sk_skb_reason_drop (6.12) as one function and says why', () => {
    const c = PathComparisonSchema.parse(comparePaths(path(1, DROP_61), path(2, DROP_612)));
    expect(c.first_divergence).toBeNull();
    expect(c.missing).toEqual([]);
    expect(c.inserted).toEqual([]);
    expect(c.rows.map((r) => r.op)).toEqual(Array(6).fill('same'));
    expect(c.rows[3]).toMatchObject({ function: 'kfree_skb_reason', b_function: 'sk_skb_reason_drop' });
    // only the renamed row carries B's name
    expect(c.rows.filter((r) => r.b_function !== undefined)).toHaveLength(1);
    expect(c.equivalences).toEqual([
      {
        a_function: 'kfree_skb_reason',
        b_function: 'sk_skb_reason_drop',
        role: expect.stringContaining('drops an skb') as unknown,
        evidence: expect.stringContaining('6.11') as unknown,
      },
    ]);
  });

  it('without the table the same two paths diverge at the drop (control)', () => {
    // what the alignment did before: the 6.1 name missing, the 6.12 name inserted
    const other = DROP_612.map((h) => (h === 'sk_skb_reason_drop' ? 'some_other_drop' : h));
    const c = comparePaths(path(1, DROP_61), path(2, other));
    expect(c.first_divergence).toMatchObject({
      a_function: 'kfree_skb_reason',
      b_function: 'some_other_drop',
    });
    expect(c.missing.map((m) => m.function)).toEqual(['kfree_skb_reason']);
    expect(c.inserted.map((m) => m.function)).toEqual(['some_other_drop']);
    expect(c.equivalences).toBeUndefined();
  });

  it('aligns the 5.10 kfree_skb function with the 6.12 name, but never the kfree_skb tracepoint with a function', () => {
    // 5.10: the drop function is kfree_skb itself, and the tracepoint fires inside it under the same name
    const c = comparePaths(
      path(1, ['nf_hook_slow', 'kfree_skb', tp('kfree_skb')]),
      path(2, ['nf_hook_slow', 'sk_skb_reason_drop', tp('kfree_skb')]),
    );
    expect(c.first_divergence).toBeNull();
    expect(c.rows[1]).toMatchObject({ function: 'kfree_skb', b_function: 'sk_skb_reason_drop' });
    expect(c.rows[2]).not.toHaveProperty('b_function');
    // a tracepoint hop is not a function hop: it does not match the renamed function
    const t = comparePaths(path(1, [tp('kfree_skb')]), path(2, ['sk_skb_reason_drop']));
    // (one hop replaced by another: a `changed` row, never `same`, and no equivalence claimed)
    expect(t.rows.map((r) => r.op)).toEqual(['changed']);
    expect(t.identical).toBe(false);
    expect(t.equivalences).toBeUndefined();
    expect(hopAlignmentName({ function: 'kfree_skb', probe_kind: 'tracepoint' })).toBe('kfree_skb');
    expect(hopAlignmentName({ function: 'kfree_skb' })).toBe('sk_skb_reason_drop');
  });

  it('identical names carry no equivalence; two different renamed pairs are listed once each, in path order', () => {
    expect(comparePaths(path(1, DROP_612), path(2, DROP_612)).equivalences).toBeUndefined();
    const c = comparePaths(
      path(1, ['__dev_kfree_skb_any', 'kfree_skb_reason', 'kfree_skb_reason']),
      path(2, ['dev_kfree_skb_any_reason', 'sk_skb_reason_drop', 'sk_skb_reason_drop']),
    );
    expect(c.equivalences?.map((e) => [e.a_function, e.b_function])).toEqual([
      ['__dev_kfree_skb_any', 'dev_kfree_skb_any_reason'],
      ['kfree_skb_reason', 'sk_skb_reason_drop'],
    ]);
  });

  it('run comparison: the same route on two kernels is one shared variant', () => {
    const c = compareRuns([path(1, DROP_61)], [path(7, DROP_612)]);
    expect(c.shared).toEqual([{ a: 0, b: 0 }]);
    expect(c.only_a).toEqual([]);
    expect(c.dominant?.equivalences).toHaveLength(1);
  });

  it('the table: every name in one entry only, each entry with evidence and lab measurements naming its own names', () => {
    const all = FUNCTION_EQUIVALENCES.flatMap((e) => e.names);
    expect(new Set(all).size).toBe(all.length);
    for (const e of FUNCTION_EQUIVALENCES) {
      expect(e.names.length).toBeGreaterThanOrEqual(2);
      expect(e.evidence.length).toBeGreaterThan(20);
      expect(Object.keys(e.seen).length).toBeGreaterThanOrEqual(2);
      for (const names of Object.values(e.seen)) for (const n of names) expect(e.names).toContain(n);
      // aligned by the newest name
      for (const n of e.names) expect(alignmentName(n)).toBe(e.names.at(-1));
    }
    expect(alignmentName('ip_rcv')).toBe('ip_rcv');
  });
});
