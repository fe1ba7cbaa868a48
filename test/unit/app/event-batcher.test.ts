import { describe, expect, it } from 'vitest';
import type { PacketPath } from '../../../main/api/trace.js';
import { EventBatcher } from '../../../main/transport/event-batcher.js';
import type { WireEvent } from '../../../main/transport/wire.js';

const packet = (id: number, hops: number): PacketPath => ({
  id,
  drop_reason: null,
  hops: Array.from({ length: hops }, (_, i) => ({
    function: `f${i}`,
    ts_ns: i,
    ifindex: 1,
    netns: 1,
    len: 84,
  })),
});

describe('EventBatcher (browser mode and Electron)', () => {
  it('sends a burst as one batch, merging trace.packets of one run (latest path of a packet wins)', async () => {
    const batches: WireEvent[][] = [];
    const b = new EventBatcher((e) => batches.push(e), 20);
    b.push('trace.progress', { runId: 'r', phase: 'tracing' });
    for (let i = 0; i < 1000; i++)
      b.push('trace.packets', { runId: 'r', packets: [packet(i % 10, 1 + Math.floor(i / 10))] });
    b.push('trace.end', { runId: 'r' });
    expect(batches).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 60));
    expect(batches).toHaveLength(1);
    const [progress, packets, end] = batches[0]!;
    expect(progress!.event).toBe('trace.progress');
    expect(end!.event).toBe('trace.end');
    const merged = (packets!.payload as { packets: PacketPath[] }).packets;
    expect(merged.map((p) => p.id)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(merged.every((p) => p.hops.length === 100)).toBe(true);
  });

  it('keeps packets of different runs apart and drains on demand', () => {
    const batches: WireEvent[][] = [];
    const b = new EventBatcher((e) => batches.push(e), 1000);
    b.push('trace.packets', { runId: 'a', packets: [packet(1, 1)] });
    b.push('trace.packets', { runId: 'b', packets: [packet(1, 2)] });
    b.drain();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.map((e) => (e.payload as { runId: string }).runId)).toEqual(['a', 'b']);
    b.dispose();
  });
});
