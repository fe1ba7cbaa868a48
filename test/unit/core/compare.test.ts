import { describe, expect, it } from 'vitest';
import type { PacketPath } from '../../../main/api/trace.js';
import { PathComparisonSchema, RunComparisonSchema } from '../../../main/api/compare.js';
import { comparePaths } from '../../../main/core/compare/compare-paths.js';
import { compareRuns, pathVariants } from '../../../main/core/compare/compare-runs.js';
import { DELETE, INSERT, myersDiff, SAME } from '../../../main/core/compare/myers-diff.js';

/** A path from function names with the given gaps (ns) between hops. */
function path(id: number, fns: string[], gaps: number[] = [], t0 = 1_000_000): PacketPath {
  let t = t0;
  return {
    id,
    drop_reason: null,
    hops: fns.map((f, i) => ({
      function: f,
      ts_ns: (t += i === 0 ? 0 : (gaps[i - 1] ?? 100)),
      ifindex: 1,
      netns: 1,
      len: 84,
    })),
  };
}

function lcsLength(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const cur = [0];
    for (let j = 1; j <= b.length; j++)
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    prev = cur;
  }
  return prev[b.length]!;
}

// Deterministic PRNG so a failure reproduces.
function rng(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

describe('Myers diff', () => {
  it('is a minimal edit script: replays both inputs and keeps an LCS (random inputs against a DP reference)', () => {
    const r = rng(42);
    for (let trial = 0; trial < 300; trial++) {
      const a = Array.from({ length: Math.floor(r() * 30) }, () => Math.floor(r() * 5));
      const b = Array.from({ length: Math.floor(r() * 30) }, () => Math.floor(r() * 5));
      const ops = myersDiff(a, b);
      const ra: number[] = [];
      const rb: number[] = [];
      let i = 0;
      let j = 0;
      for (const op of ops) {
        if (op === SAME) {
          expect(a[i]).toBe(b[j]);
          ra.push(a[i++]!);
          rb.push(b[j++]!);
        } else if (op === DELETE) ra.push(a[i++]!);
        else if (op === INSERT) rb.push(b[j++]!);
      }
      expect(ra).toEqual(a);
      expect(rb).toEqual(b);
      expect(ops.filter((o) => o === SAME).length).toBe(lcsLength(a, b));
    }
  });

  it('handles empty sides', () => {
    expect(myersDiff([], [])).toEqual([]);
    expect(myersDiff([1, 2], [])).toEqual([DELETE, DELETE]);
    expect(myersDiff([], [1])).toEqual([INSERT]);
  });
});

describe('comparePaths', () => {
  const a = path(
    1,
    ['netif_receive_skb', 'ip_rcv', 'ip_local_deliver', 'icmp_rcv', 'consume_skb'],
    [100, 200, 300, 400],
  );
  const b = path(2, ['netif_receive_skb', 'ip_rcv', 'nf_hook_slow', 'sk_skb_reason_drop'], [150, 250, 50]);

  it('finds the first divergence, missing and inserted hops, and Δt', () => {
    const c = comparePaths(a, b);
    expect(PathComparisonSchema.parse(c)).toEqual(c);
    expect(c.identical).toBe(false);
    expect(c.first_divergence).toEqual({
      a_index: 2,
      b_index: 2,
      a_function: 'ip_local_deliver',
      b_function: 'nf_hook_slow',
    });
    expect(c.missing.map((m) => m.function)).toEqual(['ip_local_deliver', 'icmp_rcv', 'consume_skb']);
    expect(c.inserted.map((m) => m.function)).toEqual(['nf_hook_slow', 'sk_skb_reason_drop']);
    expect(
      c.rows.filter((r) => r.op === 'same').map((r) => [r.function, r.a_dt_ns, r.b_dt_ns, r.delta_ns]),
    ).toEqual([
      ['netif_receive_skb', 0, 0, 0],
      ['ip_rcv', 100, 150, 50],
    ]);
    expect([c.a_total_ns, c.b_total_ns, c.total_delta_ns]).toEqual([1000, 450, -550]);
  });

  it('charges the time of an inserted hop to the next common hop', () => {
    const x = path(1, ['f', 'g', 'h'], [10, 10]);
    const y = path(2, ['f', 'g', 'extra', 'h'], [10, 30, 40]);
    const c = comparePaths(x, y);
    expect(c.first_divergence).toEqual({ a_index: 2, b_index: 2, a_function: 'h', b_function: 'extra' });
    const h = c.rows.find((r) => r.function === 'h')!;
    expect([h.a_dt_ns, h.b_dt_ns, h.delta_ns]).toEqual([10, 40, 60]);
  });

  it('says identical for the same sequence, and marks a path that just stops early', () => {
    expect(
      comparePaths(
        a,
        path(
          9,
          a.hops.map((h) => h.function),
        ),
      ).first_divergence,
    ).toBeNull();
    const short = path(3, ['netif_receive_skb', 'ip_rcv']);
    expect(comparePaths(a, short).first_divergence).toEqual({
      a_index: 2,
      b_index: 2,
      a_function: 'ip_local_deliver',
      b_function: null,
    });
  });

  it('aligns two 1k-hop paths in a few ms', () => {
    const r = rng(7);
    const names = Array.from({ length: 300 }, (_, i) => `fn_${i}`);
    const base = Array.from({ length: 1000 }, () => names[Math.floor(r() * names.length)]!);
    const other = base.filter(() => r() > 0.05).map((f) => (r() < 0.03 ? 'inserted_fn' : f));
    while (other.length < 1000) other.push('tail_fn');
    const pa = path(1, base);
    const pb = path(2, other);
    comparePaths(pa, pb); // warm-up (JIT)
    const t0 = performance.now();
    const c = comparePaths(pa, pb);
    const ms = performance.now() - t0;
    expect(c.rows.filter((x) => x.op !== 'inserted')).toHaveLength(1000);
    expect(ms).toBeLessThan(50); // issue 4's goal; typically ~1 ms
    // Worst case (nothing shared) stays bounded too.
    const t1 = performance.now();
    comparePaths(
      path(1, base),
      path(
        2,
        base.map((f) => `${f}_x`),
      ),
    );
    expect(performance.now() - t1).toBeLessThan(500);
  });
});

describe('compareRuns', () => {
  it('groups packets into variants with counts and lines the runs up', () => {
    const ok = ['ip_rcv', 'icmp_rcv', 'consume_skb'];
    const drop = ['ip_rcv', 'nf_hook_slow', 'sk_skb_reason_drop'];
    const runA = [path(1, ok), path(2, ok), path(3, drop), path(4, ok)];
    const runB = [
      path(10, drop),
      path(11, drop),
      path(12, ['ip_rcv', 'ip_forward', 'consume_skb']),
      path(13, ok),
    ];
    expect(pathVariants(runA).map((v) => [v.count, v.packet_ids])).toEqual([
      [3, [1, 2, 4]],
      [1, [3]],
    ]);
    const c = compareRuns(runA, runB);
    expect(RunComparisonSchema.parse(c)).toEqual(c);
    expect(c.b_variants.map((v) => v.count)).toEqual([2, 1, 1]);
    expect(c.shared).toEqual([
      { a: 0, b: 2 },
      { a: 1, b: 0 },
    ]);
    expect(c.only_a).toEqual([]);
    expect(c.only_b).toEqual([1]);
    expect(c.dominant?.first_divergence).toEqual({
      a_index: 1,
      b_index: 1,
      a_function: 'icmp_rcv',
      b_function: 'nf_hook_slow',
    });
    expect(compareRuns([], runB).dominant).toBeNull();
  });
});
