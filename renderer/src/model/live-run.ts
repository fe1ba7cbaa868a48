import { verdictKindOf } from '../../../main/api/display-filter/index.js';
import type { VerdictKind } from '../../../main/api/explain.js';
import type { PacketPath } from '../../../main/api/trace.js';
import { LiveVariants } from './live-variants.js';

/** Packets a live view holds; a flood's older packets leave the view (they are all in the run file). */
export const LIVE_WINDOW = 20_000;

/**
 * Packets of a running trace as they arrive, at most LIVE_WINDOW of the latest. `trace.packets` carries whole
 * paths of new or grown packets, so a packet seen again replaces its earlier version in place; the array is kept
 * (not copied) so a batch costs nothing per packet held, and `version` tells React something changed. Past the
 * window the oldest quarter is dropped at once (packet ids rise with time, so a grown packet older than the
 * window is ignored rather than shown again).
 */
export class LiveRun {
  readonly packets: PacketPath[] = [];
  private readonly index = new Map<number, number>();
  /** The highest packet id dropped from the window. */
  private droppedUpTo = -1;
  /** Packets dropped from the window so far: a packet's place in the run is its index plus this. */
  private shifted = 0;
  /** The window's path variants, kept as packets come and go. */
  readonly variants = new LiveVariants();
  /** Per packet of the window, its first hop's time and its verdict: the timeline counts these columns at every
   * redraw, without reading every packet object again. */
  readonly columns: { firstTs: number[]; verdicts: VerdictKind[] } = { firstTs: [], verdicts: [] };
  /** Packets seen in all (the window holds the latest of them). */
  total = 0;
  events = 0;
  /** The first hop time of the run's first packet: the list's time origin, kept as the window moves on. */
  t0: number | undefined;
  version = 0;

  apply(batch: readonly PacketPath[]): void {
    for (const p of batch) {
      const at = this.index.get(p.id);
      if (at === undefined) {
        if (p.id <= this.droppedUpTo) continue;
        this.index.set(p.id, this.packets.length);
        this.variants.add(p, this.shifted + this.packets.length);
        this.setColumns(this.packets.length, p);
        this.packets.push(p);
        this.t0 ??= p.hops[0]?.ts_ns;
        this.total++;
        this.events += p.hops.length;
      } else {
        const old = this.packets[at];
        this.events += p.hops.length - (old?.hops.length ?? 0);
        if (old) this.variants.remove(old);
        this.variants.add(p, this.shifted + at);
        this.setColumns(at, p);
        this.packets[at] = p;
      }
    }
    if (this.packets.length > LIVE_WINDOW + LIVE_WINDOW / 4) this.shrink();
    this.version++;
  }

  private shrink(): void {
    const gone = this.packets.splice(0, this.packets.length - LIVE_WINDOW);
    this.columns.firstTs.splice(0, gone.length);
    this.columns.verdicts.splice(0, gone.length);
    this.shifted += gone.length;
    for (const p of gone) {
      this.droppedUpTo = Math.max(this.droppedUpTo, p.id);
      this.variants.remove(p);
    }
    this.index.clear();
    this.packets.forEach((p, i) => this.index.set(p.id, i));
  }

  private setColumns(at: number, p: PacketPath): void {
    this.columns.firstTs[at] = p.hops[0]?.ts_ns ?? NaN; // no hop: at the run's origin, as the list places it
    this.columns.verdicts[at] = verdictKindOf(p) ?? 'unknown';
  }
}
