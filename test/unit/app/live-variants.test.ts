import { describe, expect, it } from 'vitest';
import { pathVariants } from '../../../main/api/path-variants.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { LIVE_WINDOW, LiveRun } from '../../../renderer/src/model/live-run.js';

// The live run keeps its variants packet by packet; they must be what grouping the whole window gives.
const packet = (id: number, path: number, grown = false): PacketPath => ({
  id,
  drop_reason: path % 3 === 0 ? 'NETFILTER_DROP' : null,
  ...(path % 5 === 4 ? { cut: true } : {}),
  hops: Array.from({ length: 1 + (path % 4) + (grown ? 1 : 0) }, (_, i) => ({
    function: `f${path}_${i}`,
    ts_ns: id * 10 + i,
    ifindex: 1,
    netns: 1,
    len: 84,
  })),
});

function expectSameAsRegrouping(live: LiveRun) {
  const want = pathVariants(live.packets);
  const { list, variantOf } = live.variants.snapshot();
  expect(list.map((v) => [v.functions, v.count, v.dropped ?? 0, v.partial ?? false])).toEqual(
    want.map((v) => [v.functions, v.count, v.dropped ?? 0, v.partial ?? false]),
  );
  want.forEach((v, i) => {
    for (const id of v.packet_ids) {
      const p = live.packets.find((x) => x.id === id);
      expect(p && variantOf(p)).toBe(i);
    }
  });
}

describe('LiveVariants', () => {
  it('groups as pathVariants does while packets arrive, grow and leave the window', () => {
    const live = new LiveRun();
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let id = 1; id <= 3000; id += 100) {
      live.apply(Array.from({ length: 100 }, (_, i) => packet(id + i, rnd(9))));
      // some packets grow (a new path, so a new variant), as a clone linked later does
      live.apply([packet(id + rnd(100), rnd(9), true), packet(id + rnd(100), rnd(9))]);
      expectSameAsRegrouping(live);
    }
  });

  it('drops the variants of packets that left the window', () => {
    const live = new LiveRun();
    const n = LIVE_WINDOW + LIVE_WINDOW / 2;
    for (let id = 1; id <= n; id += 1000)
      live.apply(
        Array.from({ length: 1000 }, (_, i) => packet(id + i, id + i <= 1000 ? 100 : 1 + ((id + i) % 7))),
      );
    expect(live.packets.some((p) => p.id <= 1000)).toBe(false);
    expect(live.variants.snapshot().list.some((v) => v.functions[0] === 'f100_0')).toBe(false);
    expectSameAsRegrouping(live);
  });
});
