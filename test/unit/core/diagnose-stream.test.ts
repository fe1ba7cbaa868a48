import { describe, expect, it } from 'vitest';
import type { PacketPath } from '../../../main/api/trace.js';
import { ANSWER_WINDOW, diagnosePackets } from '../../../main/core/diagnose/explain-run.js';

// The CLI diagnoses a run while streaming it from its run file: memory must not grow with the run, and the
// kernel's answer to a packet (here a RST) must be found when it completes a few packets later.
/** This machine's kernel (6.18) reports drop reasons. */
const REASONS = { reasonsKnown: true };
const syn = (id: number, ts: number): PacketPath => ({
  id,
  drop_reason: 'NO_SOCKET',
  hops: [
    {
      function: 'net_dev_queue',
      ts_ns: ts,
      ifindex: 2,
      netns: 10,
      len: 60,
      tuple: { proto: 6, saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 40000 + id, dport: 9 },
    },
    { function: 'kfree_skb', ts_ns: ts + 1000, ifindex: 2, netns: 20, len: 60, drop_reason: 'NO_SOCKET' },
  ],
});
const rst = (id: number, ts: number, sport: number): PacketPath => ({
  id,
  drop_reason: null,
  hops: [
    {
      function: 'net_dev_queue',
      ts_ns: ts,
      ifindex: 2,
      netns: 20,
      len: 40,
      tuple: { proto: 6, saddr: '10.0.0.2', daddr: '10.0.0.1', sport: 9, dport: sport },
    },
    { function: 'consume_skb', ts_ns: ts + 500, ifindex: 2, netns: 10, len: 40 },
  ],
});

describe('diagnosePackets', () => {
  it('yields while reading: the first packets come out of an endless run', () => {
    function* endless() {
      for (let i = 1; ; i++) yield syn(i, i * 10_000_000);
    }
    const first: number[] = [];
    for (const p of diagnosePackets(endless(), undefined, REASONS)) {
      first.push(p.id);
      if (first.length === 3) break;
    }
    expect(first).toEqual([1, 2, 3]);
  });

  it('links a RST that completed within the window after the SYN, not one beyond it', () => {
    const run: PacketPath[] = [syn(1, 1_000_000)];
    for (let i = 2; i < 12; i++) run.push(syn(i, 2_000_000 + i));
    run.push(rst(12, 1_500_000, 40001)); // answers packet 1, ten packets later
    const out = [...diagnosePackets(run, undefined, REASONS)];
    expect(out.find((p) => p.id === 1)!.diagnosis).toMatchObject({
      rule: 'tcp-closed-port',
      evidence: expect.arrayContaining([
        expect.objectContaining({ kind: 'link', text: expect.stringContaining('packet 12') }),
      ]),
    });
    const far: PacketPath[] = [syn(1, 1_000_000)];
    for (let i = 2; i < ANSWER_WINDOW + 5; i++) far.push(syn(i, 2_000_000 + i));
    far.push(rst(ANSWER_WINDOW + 5, 1_500_000, 40001));
    const d = [...diagnosePackets(far, undefined, REASONS)].find((p) => p.id === 1)!.diagnosis!;
    expect(d.evidence.some((e) => e.kind === 'link')).toBe(false);
    expect(d.missing).toEqual(expect.arrayContaining([expect.stringContaining("the kernel's answer")]));
  });
});
