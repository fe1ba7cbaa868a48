import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pathVariants } from '../../../main/api/path-variants.js';
import type { PacketPath, RunInput } from '../../../main/api/trace.js';
import { compareRuns } from '../../../main/core/compare/compare-runs.js';
import type { RunIndexDoc } from '../../../main/core/sessions/run-file.js';
import { variantsOf } from '../../../main/core/sessions/run-variants.js';
import { SessionStore } from '../../../main/core/sessions/session-store.js';

const FNS = ['ip_rcv', 'ip_local_deliver', 'nf_hook_slow', 'kfree_skb'];
function packet(id: number, drop: string | null, fns = FNS): PacketPath {
  return {
    id,
    drop_reason: drop,
    hops: fns.map((f, i) => ({
      function: f,
      ts_ns: 1000 + i * 100,
      ifindex: 2,
      netns: 1,
      len: 84,
      ...(drop && i === fns.length - 1 ? { drop_reason: drop } : {}),
    })),
  };
}

const home = mkdtempSync(join(tmpdir(), 'pktpath-variants-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('path variants keyed on path and outcome', () => {
  it('splits one function sequence by drop reason', () => {
    const v = pathVariants([
      packet(1, 'NO_SOCKET'),
      packet(2, 'NETFILTER_DROP'),
      packet(3, 'NETFILTER_DROP'),
    ]);
    expect(v.map((x) => [x.drop_reason, x.count, x.dropped])).toEqual([
      ['NETFILTER_DROP', 2, 2],
      ['NO_SOCKET', 1, 1],
    ]);
  });

  it('splits one function sequence by verdict, where the core explained the packets', () => {
    const delivered = { ...packet(1, null), verdict: { kind: 'delivered' as const, summary: 'delivered' } };
    const unknown = { ...packet(2, null), verdict: { kind: 'unknown' as const, summary: 'unknown' } };
    expect(pathVariants([delivered, unknown]).map((x) => x.verdict)).toEqual(['delivered', 'unknown']);
  });

  it('does not count NO_SOCKET in A and NETFILTER_DROP in B as the same variant', () => {
    const c = compareRuns([packet(1, 'NO_SOCKET')], [packet(1, 'NETFILTER_DROP')]);
    expect(c.shared).toEqual([]);
    expect(c.only_a).toEqual([0]);
    expect(c.only_b).toEqual([0]);
    const same = compareRuns([packet(1, 'NETFILTER_DROP')], [packet(7, 'NETFILTER_DROP')]);
    expect(same.shared).toEqual([{ a: 0, b: 0 }]);
  });

  it('saved runs keep the outcome in their variants, and compare.runs over them sees the difference', () => {
    const store = new SessionStore(home);
    const run = (packets: PacketPath[]): RunInput => ({
      id: `run-${packets.length}`,
      host: 'h',
      spec: { host: 'h' },
      mode: 'kprobe-multi',
      startedAt: new Date().toISOString(),
      packets,
    });
    const a = store.create({
      title: 'a',
      runs: [run([packet(1, 'NO_SOCKET'), packet(2, 'NETFILTER_DROP')])],
    });
    expect(a.runs[0]!.variants.map((v) => v.drop_reason)).toEqual(['NO_SOCKET', 'NETFILTER_DROP']);
    const rv = store.runVariants(a.id);
    expect(rv.variants.map((v) => [v.drop_reason, v.packet_ids])).toEqual([
      ['NO_SOCKET', [1]],
      ['NETFILTER_DROP', [2]],
    ]);
    const page = store.packets(a.id, undefined, {
      offset: 0,
      limit: 10,
      sort: 'time',
      desc: false,
      filter: { variant: 1 },
    });
    expect(page.packets.map((p) => p.id)).toEqual([2]);
  });

  it('splits the variants of run files saved before outcomes were kept by the drop reasons in their index', () => {
    const old = {
      count: 3,
      variants: [{ functions: FNS, count: 3, dropped: 3, firstPacket: 1 }],
      variant: [0, 0, 0],
      id: [1, 2, 3],
      drop: [0, 1, 1],
      drops: ['NO_SOCKET', 'NETFILTER_DROP'],
    } as unknown as RunIndexDoc;
    expect(variantsOf(old).map((v) => [v.drop_reason, v.packet_ids])).toEqual([
      ['NETFILTER_DROP', [2, 3]],
      ['NO_SOCKET', [1]],
    ]);
  });
});
