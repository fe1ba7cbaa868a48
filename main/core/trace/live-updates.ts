import type { PacketPath } from '../../api/trace.js';

/** How many published packets are remembered for a copy that links to them later (a copy follows its original
 * by µs to ms: ping's raw socket reads the echo reply's clone right after the original is freed). */
export const LIVE_RECENT = 1024;

/** A packet to publish, with the children it is explained over. */
export interface LiveItem {
  packet: PacketPath;
  kids: PacketPath[];
}

/**
 * What a live run publishes each tick. A copy that gets its own packet id (tracepoint runs: no probe sees
 * skb_clone) is linked to its original when it first shows — often after the original was freed, written out and
 * published as dropped (NO_SOCKET: ping_rcv frees the echo reply once its clone waits on the raw socket). So the
 * original is published again with the copy, and both are explained over the children in memory or among the last
 * `LIVE_RECENT` packets published. Readers of the run file find the same children (explain window).
 */
export class LiveUpdates {
  private readonly recent = new Map<number, PacketPath>();
  /** Children among `recent`, by parent id. */
  private readonly kids = new Map<number, PacketPath[]>();

  /** `inMemory`: the grouper's packet of that id, while it holds it. */
  constructor(
    private readonly inMemory: (id: number) => PacketPath | undefined,
    private readonly max = LIVE_RECENT,
  ) {}

  /** The packets of one tick: the changed ones, then originals whose copies linked to them since. */
  batch(changed: readonly PacketPath[]): LiveItem[] {
    for (const p of changed) this.remember(p);
    const ids = new Set(changed.map((p) => p.id));
    const parents: PacketPath[] = [];
    for (const p of changed) {
      if (p.parent === undefined || ids.has(p.parent)) continue;
      const parent = this.inMemory(p.parent) ?? this.recent.get(p.parent);
      if (!parent) continue;
      ids.add(parent.id);
      parents.push(parent);
    }
    const items = [...changed, ...parents].map((packet) => ({ packet, kids: this.childrenOf(packet) }));
    while (this.recent.size > this.max) this.forgetOldest(); // after: a parent may be the oldest
    return items;
  }

  private childrenOf(p: PacketPath): PacketPath[] {
    const out = new Map<number, PacketPath>();
    for (const id of p.children ?? []) {
      const c = this.inMemory(id) ?? this.recent.get(id);
      if (c) out.set(id, c);
    }
    for (const c of this.kids.get(p.id) ?? []) out.set(c.id, this.inMemory(c.id) ?? c);
    return [...out.values()];
  }

  private remember(p: PacketPath): void {
    // a copy's parent is set at its first hop, so it is indexed the first time it is published
    if (p.parent !== undefined && !this.recent.has(p.id)) {
      const list = this.kids.get(p.parent);
      if (list) list.push(p);
      else this.kids.set(p.parent, [p]);
    }
    this.recent.set(p.id, p);
  }

  private forgetOldest(): void {
    const [id, old] = this.recent.entries().next().value as [number, PacketPath];
    this.recent.delete(id);
    this.kids.delete(id);
    if (old.parent === undefined) return;
    const siblings = this.kids.get(old.parent)?.filter((c) => c.id !== id);
    if (siblings?.length) this.kids.set(old.parent, siblings);
    else this.kids.delete(old.parent);
  }
}
