import { describe, expect, it } from 'vitest';
import type { PacketPath } from '../../../main/api/trace.js';
import { LIVE_WINDOW, LiveRun } from '../../../renderer/src/model/live-run.js';

// The renderer's live run holds a bounded window of a flood's latest packets and still counts them all.
const packet = (id: number, hops = 1): PacketPath => ({
  id,
  drop_reason: null,
  hops: Array.from({ length: hops }, (_, i) => ({
    function: `f${i}`,
    ts_ns: id * 10 + i,
    ifindex: 1,
    netns: 1,
    len: 84,
  })),
});

describe('LiveRun', () => {
  it('keeps at most a window and a quarter of the latest packets, counting every one', () => {
    const live = new LiveRun();
    const n = LIVE_WINDOW * 5;
    for (let id = 1; id <= n; id += 500) live.apply(Array.from({ length: 500 }, (_, i) => packet(id + i)));
    expect(live.total).toBe(n);
    expect(live.packets.length).toBeLessThanOrEqual(LIVE_WINDOW * 1.25);
    expect(live.packets.at(-1)?.id).toBe(n);
    live.apply([packet(1, 3)]); // a packet already dropped from the window grows: not shown again
    expect(live.total).toBe(n);
    expect(live.packets.some((p) => p.id === 1)).toBe(false);
    live.apply([packet(n, 4)]); // one in the window grows in place
    expect(live.packets.at(-1)?.hops.length).toBe(4);
    expect(live.packets.filter((p) => p.id === n)).toHaveLength(1);
  });
});
