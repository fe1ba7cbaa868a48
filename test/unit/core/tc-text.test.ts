import { describe, expect, it } from 'vitest';
import { tcConfigLines, tcFilterBrief, tcFilters, tcQdiscs } from '../../../main/core/context/tc-text.js';

// The `tc` section as the capture script printed it on this machine (6.18: a clsact qdisc with a BPF filter,
// test/lab/scenarios/bpf/tc_drop_icmp.c) and on vm612 (6.12: netem loss on a veth, a u32 filter dropping ICMP).
const LOCAL = `qdisc noqueue 0: dev va root refcnt 2 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
qdisc clsact ffff: dev va parent ffff:fff1 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
filters dev va ingress:
filter protocol all pref 49152 bpf chain 0 
filter protocol all pref 49152 bpf chain 0 handle 0x1 tcd.o:[tc] direct-action not_in_hw id 12162 name drop_icmp tag 75192f8d1652ac2e jited 
filters dev va egress:`;

describe('the tc section of a host context', () => {
  it('lists the filters of one hook, without the chain header tc repeats before each', () => {
    const line =
      'filter protocol all pref 49152 bpf chain 0 handle 0x1 tcd.o:[tc] direct-action not_in_hw id 12162 name drop_icmp tag 75192f8d1652ac2e jited';
    expect(tcFilters(LOCAL, 'va', 'ingress')).toEqual([line]);
    expect(tcFilters(LOCAL, 'va', 'both')).toEqual([line]);
    expect(tcFilters(LOCAL, 'va', 'egress')).toEqual([]);
    expect(tcFilters(LOCAL, 'vb', 'both')).toEqual([]);
    expect(tcFilterBrief(line)).toBe(
      'protocol all pref 49152 bpf handle 0x1 tcd.o:[tc] direct-action id 12162 name drop_icmp',
    );
  });

  it("joins each qdisc of a device to its counter line, and only that device's", () => {
    expect(tcQdiscs(LOCAL, 'va')).toEqual([
      'qdisc noqueue 0: dev va root refcnt 2 — Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0)',
      'qdisc clsact ffff: dev va parent ffff:fff1 — Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0)',
    ]);
    expect(tcQdiscs(LOCAL, 'v')).toEqual([]);
  });

  it('compares configuration, not counters or program ids', () => {
    const later = LOCAL.replace(/Sent 0 bytes 0 pkt \(dropped 0/g, 'Sent 98 bytes 1 pkt (dropped 1').replace(
      'id 12162',
      'id 99',
    );
    expect(tcConfigLines(later)).toEqual(tcConfigLines(LOCAL));
    expect(tcConfigLines(LOCAL)).toContain('qdisc clsact ffff: dev va parent ffff:fff1');
    expect(tcConfigLines(LOCAL).some((l) => /Sent|backlog| id \d/.test(l))).toBe(false);
  });
});
