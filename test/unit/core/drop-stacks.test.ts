import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../../main/api/trace.js';
import { kernelFrames, runStacks } from '../../../main/core/explain/drop-stacks.js';
import { explainOptionsFor } from '../../../main/core/explain/explain-packets.js';

// The `stack` record the loader wrote at an nftables drop on this machine's 6.18 kernel (kfree_skb tracepoint).
const NFT_DROP = [
  'bpf_prog_0f409a63291df790_tp_kfree_skb+0x86d',
  'bpf_trace_run4+0xfc',
  'sk_skb_reason_drop+0x90',
  'nft_do_chain+0x3e8',
  'nft_do_chain_inet+0x43',
  'nf_hook_slow+0x43',
  'ip_local_deliver+0xd5',
  '__netif_receive_skb_one_core+0x8d',
];

describe('drop stacks', () => {
  it('start at the traced function: the BPF program and its dispatch frames are not the packet’s', () => {
    expect(kernelFrames(NFT_DROP)).toEqual(NFT_DROP.slice(2));
    // kprobe and fentry dispatch, and unsymbolized trampoline addresses, likewise
    expect(
      kernelFrames([
        '0xffffffffc0a1b2c3',
        'kprobe_ftrace_handler+0x10',
        'ftrace_regs_caller+0x5',
        'ip_rcv+0x1',
      ]),
    ).toEqual(['ip_rcv+0x1']);
    expect(kernelFrames(['bpf_prog_x+0x1'])).toEqual([]);
  });

  it('bound what a loader may put in a run: frames, their length, their type', () => {
    const hostile = [...Array(500).keys()].map((i) =>
      i === 3 ? 42 : `f${i}+0x1${'a'.repeat(i === 5 ? 9999 : 0)}`,
    );
    const frames = kernelFrames(hostile);
    expect(frames.length).toBe(63); // 64 read, the number dropped
    expect(Math.max(...frames.map((f) => f.length))).toBe(200);
  });

  it('are read from the run’s records, and a live run’s records as they grow', () => {
    const events: RunEvent[] = [{ t_ms: 0, kind: 'hello' }];
    const o = () => explainOptionsFor({ kernelRelease: '6.18.0', events });
    expect(o().stacks?.size).toBe(0);
    events.push({ t_ms: 1, kind: 'stack', data: { id: 658, frames: NFT_DROP } });
    events.push({ t_ms: 2, kind: 'stack', data: { id: 'x', frames: NFT_DROP } }); // not an id: ignored
    expect(o().stacks?.get(658)?.[0]).toBe('sk_skb_reason_drop+0x90');
    expect(runStacks(events).size).toBe(1);
  });
});
