import type { AttachMode, MetaFilter, PacketPath, RunEvent } from '../../api/trace.js';
import { dropPoint } from './drop-point.js';
import { runStacks } from './drop-stacks.js';
import { packetVerdict } from './verdict.js';

/** How far a child may follow its parent in a run file and still be shown with it (packets, not time). */
export const EXPLAIN_LOOKAHEAD = 1024;

export interface ExplainOptions {
  /** The kernel reports drop reasons (≥ 5.17): a kfree_skb without one is not a drop. */
  reasonsKnown: boolean;
  /** Stack id → symbolized frames, innermost first (the `stack` option). */
  stacks?: Map<number, string[]>;
  /** The run could not see every copy handed to a socket: scoped to an interface (a socket's skb has none) or a
   * netns (the copy may be delivered in another), with no function probe to join copies at skb_clone. */
  socketCopiesUnseen?: boolean;
  /** A tracepoint run its packet limit stopped: after that no new packet was let in, and a copy handed to a socket
   * is a new packet to tracepoints. Holds only for the run's last `EXPLAIN_LOOKAHEAD` packets (the window's
   * `drain`, `explainedPacketAt` near the end): an earlier packet's copy would have been read within the window.
   * Writer and readers apply it to the same packets, so the index's verdict column is what every reader says. */
  packetLimitStopped?: boolean;
}

/** Whether a kernel release reports kfree_skb drop reasons (5.17 added them); unknown releases are assumed to. */
export function kernelReportsReasons(release: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release ?? '');
  if (!m) return true;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > 5 || (maj === 5 && min >= 17);
}

/** How a run's packets are explained: its kernel says whether drop reasons exist; its `stack` records give the
 * frames at each drop; its scope and mode say whether copies delivered to sockets could be seen. */
export const explainOptionsFor = (run: {
  kernelRelease?: string | undefined;
  events?: readonly RunEvent[] | undefined;
  spec?: { meta?: MetaFilter | undefined } | undefined;
  mode?: AttachMode | undefined;
}): ExplainOptions => ({
  reasonsKnown: kernelReportsReasons(run.kernelRelease),
  ...(run.events ? { stacks: runStacks(run.events) } : {}),
  ...(socketCopiesUnseen(run) ? { socketCopiesUnseen: true } : {}),
  ...(packetLimitStopped(run) ? { packetLimitStopped: true } : {}),
});

/** A copy first seen at a socket is matched against the scope there: it has no device (an interface scope never
 * matches it) and may sit in another netns than the one scoped; only a function probe on skb_clone (kprobe,
 * fentry … modes) joins it to its original whatever the scope. */
function socketCopiesUnseen(run: { spec?: { meta?: MetaFilter | undefined }; mode?: AttachMode }): boolean {
  const meta = run.spec?.meta;
  return !!(meta?.ifname || meta?.ifindex || meta?.netns !== undefined) && run.mode === 'tracepoint';
}

/** The loader's `done` record says the packet limit ended a tracepoint run (function probes join copies). */
function packetLimitStopped(run: { events?: readonly RunEvent[] | undefined; mode?: AttachMode }): boolean {
  return (
    run.mode === 'tracepoint' && run.events?.findLast((r) => r.kind === 'done')?.data?.reason === 'packets'
  );
}

/** The options for a packet with later packets after it in the run: the limit hid none of its copies. */
export function beforeRunEnd(o: ExplainOptions): ExplainOptions {
  const { packetLimitStopped: _, ...rest } = o;
  return rest;
}

/** A packet with its verdict only (what a run file's index keeps): explainPacket without the drop point. */
export const withVerdict = (
  p: PacketPath,
  children: readonly PacketPath[],
  o: ExplainOptions,
): PacketPath => ({
  ...p,
  verdict: packetVerdict(p, children, o),
});

/** A packet with its verdict and drop point, computed over it and its children. */
export function explainPacket(p: PacketPath, children: readonly PacketPath[], o: ExplainOptions): PacketPath {
  const verdict = packetVerdict(p, children, o);
  const drop = dropPoint(p, verdict, o.reasonsKnown, o.stacks);
  const ids = [...new Set([...(p.children ?? []), ...children.map((c) => c.id)])];
  const { drop: old, ...rest } = p;
  // a netfilter rule the diagnosis found (from the host context) stays with the recomputed point
  const nf = old?.netfilter && drop && !drop.netfilter ? { netfilter: old.netfilter } : {};
  return {
    ...rest,
    ...(ids.length ? { children: ids } : {}),
    verdict,
    ...(drop ? { drop: { ...drop, ...nf } } : {}),
  };
}

/**
 * Packets in file order, each with `verdict`, `drop` and `children` (from the children's `parent`, which a run
 * file records on the child). A packet is held until `EXPLAIN_LOOKAHEAD` later packets were read, so children
 * written after their parent (a clone first seen after the original's free) are counted; memory stays bounded.
 */
export function* explainPackets(packets: Iterable<PacketPath>, o: ExplainOptions): Generator<PacketPath> {
  for (const g of explainGroups(packets, o)) yield g.packet;
}

/** A packet explained, and its linked children as read (each also comes later as a packet of its own). */
export interface ExplainedGroup {
  packet: PacketPath;
  children: PacketPath[];
  /** This packet is a child that is (or was) in its parent's `children` here: shown with its parent. */
  withParent: boolean;
}

/** `explainPackets` that also hands over each packet's children, for faces that show them under it. */
export function* explainGroups(packets: Iterable<PacketPath>, o: ExplainOptions): Generator<ExplainedGroup> {
  const w = new ExplainWindow(o);
  for (const p of packets) {
    const out = w.push(p);
    if (out) yield out;
  }
  yield* w.drain();
}

/**
 * The one way packets are explained in file order, fed one at a time (a run file being written, or one being
 * read): each packet is held until `EXPLAIN_LOOKAHEAD` later ones were pushed, so children written after their
 * parent (a clone first seen after the original's free) are counted, and comes out explained, in push order.
 */
export class ExplainWindow {
  private readonly held: PacketPath[] = [];
  /** Children by parent id: the parent is held, or not read yet (a child written before a long-lived parent). */
  private readonly kids = new Map<number, PacketPath[]>();
  private readonly heldIds = new Set<number>();
  /** Children handed over with a parent already released (bounded: removed when the child is released). */
  private readonly grouped = new Set<number>();
  /** Children already given on their own (their parent was not read yet): the parent's verdict counts them, but
   * they are not handed over a second time under it. Bounded with `kids`. */
  private readonly shown = new Set<number>();

  /** How packets pushed out by later ones are explained (the end-of-run facts apply only at `drain`). */
  private readonly early: ExplainOptions;

  /** `explain`: what a released packet gets (all of explainPacket by default; a writer needs only the verdict). */
  constructor(
    private readonly o: ExplainOptions,
    private readonly explain: typeof explainPacket = explainPacket,
  ) {
    this.early = beforeRunEnd(o);
  }

  /** Takes the next packet; returns the one it pushes out of the window, explained, if any. */
  push(p: PacketPath): ExplainedGroup | undefined {
    this.held.push(p);
    this.heldIds.add(p.id);
    if (p.parent !== undefined) {
      const list = this.kids.get(p.parent);
      if (list) list.push(p);
      else this.kids.set(p.parent, [p]);
      // parents released already or never written: forget the oldest waiting lists
      if (this.kids.size > EXPLAIN_LOOKAHEAD) {
        const oldest = this.kids.keys().next().value as number;
        for (const c of this.kids.get(oldest) ?? []) this.shown.delete(c.id);
        this.kids.delete(oldest);
      }
    }
    return this.held.length > EXPLAIN_LOOKAHEAD
      ? this.release(this.held.shift() as PacketPath, this.early)
      : undefined;
  }

  /** Every packet still held, explained (the input has ended): the run's last packets, with what is known at its
   * end (`o`: a writer asked for its options before the run ended; by default those it was made with). */
  *drain(o: ExplainOptions = this.o): Generator<ExplainedGroup> {
    for (let p; (p = this.held.shift());) yield this.release(p, o);
  }

  private release(p: PacketPath, o: ExplainOptions): ExplainedGroup {
    this.heldIds.delete(p.id);
    const mine = this.kids.get(p.id) ?? [];
    this.kids.delete(p.id);
    for (const c of mine) if (this.heldIds.has(c.id)) this.grouped.add(c.id);
    const withParent = this.grouped.delete(p.id) || (p.parent !== undefined && this.heldIds.has(p.parent));
    if (!withParent && p.parent !== undefined && this.kids.has(p.parent)) this.shown.add(p.id);
    const children = mine.filter((c) => !this.shown.delete(c.id));
    return { packet: this.explain(p, mine, o), children, withParent };
  }
}
