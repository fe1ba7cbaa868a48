import type { Hop, PacketPath } from '../../api/trace.js';
import { isOrigin } from './hop-roles.js';

/** Bounds of the linker's memory (docs/SESSION-FORMAT.md "Clones"). */
export const LINK_LIMITS = {
  /** 5-tuples remembered (the most recently seen), and packets per 5-tuple (the most recent). */
  tuples: 2048,
  perTuple: 32,
  /** A clone is first seen at most this long after its parent's last hop (a socket read after the original's
   * free: µs for ping's raw socket; an application may read later). */
  afterParentNs: 1e9,
  /** A copy freed before its original was first seen comes at most this long before it (an ARP round trip). */
  earlyNs: 1e8,
} as const;

interface Candidate {
  id: number;
  first: number;
  last: number;
  netns: Set<number>;
  /** The packet while the grouper still holds it: its children can still be written with it. */
  live: PacketPath | undefined;
  claimed: boolean;
}

const tupleKey = (t: NonNullable<Hop['tuple']>) => `${t.proto} ${t.saddr} ${t.sport} ${t.daddr} ${t.dport}`;

/**
 * Links clones that got their own packet id (runs where no probe sees skb_clone — tracepoints, TC — so a clone is
 * a new match when it first shows, e.g. at skb_copy_datagram_iovec after raw_rcv cloned an echo reply; with a copy
 * function attached the grouper does not use it: the loader joins clones itself). A packet whose first hop cannot
 * start a path is a clone of the oldest unclaimed recent packet with the same 5-tuple that passed its netns and
 * ended at most `afterParentNs` before (socket queues are FIFO). The child records `parent` when written; the
 * parent gets `children` here while still in memory, else when the run is read.
 */
export class CloneLinker {
  private readonly byKey = new Map<string, Candidate[]>();
  /** Candidates whose packet the grouper still holds, by packet id. */
  private readonly live = new Map<number, Candidate>();
  /** The last fragment per 5-tuple that found no parent: a copy made before its original was first seen (the
   * clone neigh_probe makes of a packet waiting for ARP, freed before the original leaves). */
  private readonly early = new Map<string, PacketPath>();
  /** Ids of those fragments while the grouper holds them. */
  private readonly pending = new Set<number>();

  /** A packet's first hop arrived: link it to its parent if it is a clone, else remember it as a candidate. */
  first(p: PacketPath): void {
    const h = p.hops[0];
    if (!h?.tuple) return;
    const key = tupleKey(h.tuple);
    if (!isOrigin(h.function) && h.probe_kind !== 'tc') {
      const parent = this.parentOf(key, h);
      if (parent) {
        parent.claimed = true;
        p.parent = parent.id;
        if (parent.live) (parent.live.children ??= []).push(p.id);
        return;
      }
      if (p.partial) {
        this.early.set(key, p);
        this.pending.add(p.id);
        if (this.early.size > LINK_LIMITS.tuples) this.early.delete(this.early.keys().next().value as string);
      }
    } else this.adoptEarly(key, p, h);
    const c = { id: p.id, first: h.ts_ns, last: h.ts_ns, netns: new Set([h.netns]), live: p, claimed: false };
    this.remember(key, c);
    this.live.set(p.id, c);
  }

  /** A packet starting a path adopts a fragment of its 5-tuple and netns seen just before it, still in memory. */
  private adoptEarly(key: string, p: PacketPath, h: Hop): void {
    const f = this.early.get(key);
    if (!f) return;
    this.early.delete(key);
    const fh = f.hops[0] as Hop;
    if (!this.live.has(f.id) && !this.pending.has(f.id)) return; // written already: it keeps no parent
    if (fh.netns !== h.netns || fh.ts_ns > h.ts_ns || h.ts_ns - fh.ts_ns > LINK_LIMITS.earlyNs) return;
    f.parent = p.id;
    (p.children ??= []).push(f.id);
  }

  /** A later hop of a remembered packet (its time and netns widen the window). */
  hop(id: number, h: Hop): void {
    const c = this.live.get(id);
    if (!c) return;
    c.last = Math.max(c.last, h.ts_ns);
    if (c.netns.size < 16) c.netns.add(h.netns);
  }

  /** The packet left memory (written to the run file): it stays a candidate, without its object. */
  written(id: number): void {
    const c = this.live.get(id);
    if (c) c.live = undefined;
    this.live.delete(id);
    this.pending.delete(id);
  }

  /** The oldest unclaimed candidate in the window (FIFO socket queues), else the newest claimed one (a second
   * clone of one packet, e.g. two raw sockets). */
  private parentOf(key: string, h: Hop): Candidate | undefined {
    let unclaimed: Candidate | undefined;
    let claimed: Candidate | undefined;
    for (const c of this.byKey.get(key) ?? []) {
      if (c.first > h.ts_ns || h.ts_ns - c.last > LINK_LIMITS.afterParentNs || !c.netns.has(h.netns))
        continue;
      if (!c.claimed) unclaimed = unclaimed && unclaimed.first <= c.first ? unclaimed : c;
      else claimed = claimed && claimed.first >= c.first ? claimed : c;
    }
    return unclaimed ?? claimed;
  }

  private remember(key: string, c: Candidate): void {
    const list = this.byKey.get(key) ?? [];
    this.byKey.delete(key); // re-inserted last: Map order is least recently seen first
    this.byKey.set(key, list);
    list.push(c);
    if (list.length > LINK_LIMITS.perTuple) list.shift();
    if (this.byKey.size > LINK_LIMITS.tuples) this.byKey.delete(this.byKey.keys().next().value as string);
  }
}
