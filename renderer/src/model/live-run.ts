import type { PacketPath } from '../../../main/api/trace';

/**
 * Packets of a running trace as they arrive. `trace.packets` carries whole paths of new or grown packets, so a
 * packet seen again replaces its earlier version in place; the array is kept (not copied) so 100k packets cost
 * nothing per batch, and `version` tells React something changed.
 */
export class LiveRun {
  readonly packets: PacketPath[] = [];
  private readonly index = new Map<number, number>();
  events = 0;
  version = 0;

  apply(batch: readonly PacketPath[]): void {
    for (const p of batch) {
      const at = this.index.get(p.id);
      if (at === undefined) {
        this.index.set(p.id, this.packets.length);
        this.packets.push(p);
        this.events += p.hops.length;
      } else {
        this.events += p.hops.length - (this.packets[at]?.hops.length ?? 0);
        this.packets[at] = p;
      }
    }
    this.version++;
  }
}
