import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PacketPath } from '../../../main/api/trace.js';
import { SessionStore } from '../../../main/core/sessions/session-store.js';
import {
  dropHopOf,
  foldable,
  groupHops,
  initiallyFolded,
  layerOf,
  placeChanged,
  UNFOLDED_UP_TO,
} from '../../../renderer/src/model/hop-groups.js';
import { subsystemOf } from '../../../renderer/src/model/subsystem.js';

// Real paths: pings recorded on the lab's 6.12 VM (kprobe-multi, default profile) client ⇄ router ⇄ server netns,
// once healthy and once through an nftables `icmp type echo-request drop` in the server's input chain.
const FIXTURES = join(import.meta.dirname, '../core/fixtures/sessions-vm612');
const home = mkdtempSync(join(tmpdir(), 'pktpath-hopgroups-'));
const store = new SessionStore(home);
afterAll(() => rmSync(home, { recursive: true, force: true }));

function packetsOf(file: string): PacketPath[] {
  const s = store.importFrom(join(FIXTURES, file));
  const run = s.runs[0]!;
  return Array.from({ length: run.packets }, (_, i) => store.packet(s.id, run.id, i + 1));
}
const ok = packetsOf('ping-vm612-ok.pktpath');
const dropped = packetsOf('ping-vm612-drop.pktpath');

describe('hop groups on real 6.12 paths', () => {
  it('turns a 50-hop forwarded ping into a few layer steps that cover every hop once, in order', () => {
    const p = ok[0]!;
    expect(p.hops.length).toBeGreaterThanOrEqual(40);
    const groups = groupHops(p.hops, dropHopOf(p));
    // IP out (client), device, IP forward (router), device, IP in (server), ICMP, free.
    expect(groups.map((g) => g.layer.id)).toEqual(['ip', 'device', 'ip', 'device', 'ip', 'l4', 'free']);
    expect(groups.find((g) => g.start > 0 && g.layer.id === 'ip')!.subsystems.map((s) => s.id)).toEqual(
      expect.arrayContaining(['ipv4', 'routing', 'netfilter', 'neigh']),
    );
    expect(groups[0]!.start).toBe(0);
    expect(groups.at(-1)!.end).toBe(p.hops.length);
    groups.forEach((g, i) => {
      if (i > 0) expect(g.start).toBe(groups[i - 1]!.end);
      if (i > 0) expect(g.layer.id).not.toBe(groups[i - 1]!.layer.id);
      for (let k = g.start; k < g.end; k++) {
        const layer = layerOf(subsystemOf(p.hops[k]!.function).id);
        if (layer) expect(layer.id).toBe(g.layer.id); // generic skb helpers join the group they are in
      }
    });
  });

  it('pins every interface/netns change (client → router → server), so folding never hides one', () => {
    const p = ok[0]!;
    const changes = p.hops.flatMap((_, i) => (placeChanged(p.hops, i) ? [i] : []));
    expect(new Set(p.hops.map((h) => h.netns)).size).toBe(3);
    expect(changes.length).toBeGreaterThanOrEqual(2);
    const pinned = groupHops(p.hops, undefined).flatMap((g) => g.pinned);
    expect(pinned).toEqual(changes);
  });

  it('pins the drop hop of an nftables drop', () => {
    const p = dropped[0]!;
    expect(p.drop_reason).toBe('NETFILTER_DROP');
    const at = dropHopOf(p)!;
    expect(p.hops[at]!.drop_reason).toBe('NETFILTER_DROP');
    const g = groupHops(p.hops, at).find((x) => at >= x.start && at < x.end)!;
    expect(g.pinned).toContain(at);
  });

  it('opens long paths folded and short ones whole', () => {
    const p = ok[0]!;
    const groups = groupHops(p.hops, undefined);
    const folded = initiallyFolded(groups, p.hops.length);
    expect([...folded]).toEqual(groups.filter(foldable).map((g) => g.start));
    expect(folded.size).toBeGreaterThan(0);
    const short = p.hops.slice(0, UNFOLDED_UP_TO);
    expect(initiallyFolded(groupHops(short, undefined), short.length).size).toBe(0);
  });

  it('does not take a benign free (a clone was delivered) for the drop point', () => {
    const p = ok.find((x) => x.drop_reason === 'NO_SOCKET')!;
    const free = p.hops.findIndex((h) => h.drop_reason === 'NO_SOCKET');
    const explained: PacketPath = {
      ...p,
      verdict: {
        kind: 'delivered',
        summary: 'delivered (raw socket, via a clone)',
        benign: [{ hop: free, function: p.hops[free]!.function, why: 'its clone reached the raw socket' }],
      },
    };
    expect(dropHopOf(p)).toBe(free); // without a verdict, the reason is all there is
    expect(dropHopOf(explained)).toBeUndefined();
  });
});
