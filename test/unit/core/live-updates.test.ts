import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PacketPath } from '../../../main/api/trace.js';
import { explainPacket } from '../../../main/core/explain/explain-packets.js';
import { LiveUpdates } from '../../../main/core/trace/live-updates.js';
import { FrameDecoder } from '../../../main/core/trace/frame-decoder.js';
import { PacketGrouper } from '../../../main/core/trace/packet-grouper.js';

// What a live tracepoint run publishes for a healthy ping (recorded on this machine): the echo reply is freed
// NO_SOCKET and written out at once, and its copy for ping's raw socket shows µs later as a new packet. The live
// list must end with the reply delivered — as the saved run says — not dropped.
const O = { reasonsKnown: true };

/** The recorded stream through a recording grouper (it writes packets out as they end), one publish tick per
 * event (the worst case); the last version of each packet the page would hold. */
function publishedLive(withUpdates: boolean): Map<number, PacketPath> {
  const g = new PacketGrouper(() => undefined);
  const live = new LiveUpdates((id) => g.packets.get(id));
  const page = new Map<number, PacketPath>();
  const tick = () => {
    const changed = g.takeChanged();
    const items = withUpdates
      ? live.batch(changed)
      : changed.map((p) => ({
          packet: p,
          kids: (p.children ?? []).flatMap((id) => g.packets.get(id) ?? []),
        }));
    for (const { packet, kids } of items) page.set(packet.id, explainPacket(packet, kids, O));
  };
  const d = new FrameDecoder({
    event: (b, o) => {
      g.add(b, o);
      tick();
    },
    status: (r) => g.noteRecord(r),
  });
  d.push(readFileSync(join(import.meta.dirname, 'fixtures/explain/local-ping.bin')));
  tick();
  return page;
}

describe('live updates', () => {
  it('a copy linked after its original was written out publishes the original again, delivered', () => {
    const page = publishedLive(true);
    const reply = [...page.values()].find((p) => p.drop_reason === 'NO_SOCKET')!;
    expect(reply.verdict).toMatchObject({ kind: 'delivered', via_clone: true });
    expect([...page.values()].map((p) => p.verdict?.kind)).not.toContain('dropped');
    // what the live list showed before: the reply dropped for the rest of the run
    expect(publishedLive(false).get(reply.id)?.verdict?.kind).toBe('dropped');
  });

  it('remembers a bounded number of packets', () => {
    const live = new LiveUpdates(() => undefined, 4);
    const p = (id: number, parent?: number): PacketPath => ({
      id,
      hops: [],
      drop_reason: null,
      ...(parent !== undefined ? { parent } : {}),
    });
    live.batch([p(1), p(2), p(3), p(4), p(5)]); // 1 forgotten
    expect(live.batch([p(6, 1)]).map((i) => i.packet.id)).toEqual([6]); // 2 forgotten
    // the oldest still remembered is found, though its child's arrival then pushes it out
    expect(live.batch([p(7, 3)]).map((i) => [i.packet.id, i.kids.map((k) => k.id)])).toEqual([
      [7, []],
      [3, [7]],
    ]);
    expect(live.batch([p(8, 3)]).map((i) => i.packet.id)).toEqual([8]);
  });
});
