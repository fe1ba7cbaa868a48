import type { EventName, EventOf } from '../api/contract.js';
import type { WireEvent } from './wire.js';

type PacketsEvent = EventOf<'trace.packets'>;

/**
 * Collects events and hands them over in batches, at most one batch per `intervalMs`. Consecutive
 * `trace.packets` events of one run are merged (a packet's latest whole path wins), so a trace producing thousands
 * of events a second costs the page a few messages a second. Order between different events is kept.
 */
export class EventBatcher {
  private queue: WireEvent[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly flush: (events: WireEvent[]) => void,
    private readonly intervalMs: number,
  ) {}

  push<E extends EventName>(event: E, payload: EventOf<E>): void {
    const last = this.queue.at(-1);
    if (event === 'trace.packets' && last?.event === 'trace.packets') {
      const prev = last.payload as PacketsEvent;
      const next = payload as PacketsEvent;
      if (prev.runId === next.runId) {
        last.payload = { runId: prev.runId, packets: mergePackets(prev.packets, next.packets) };
        return;
      }
    }
    this.queue.push({ event, payload });
    this.timer ??= setTimeout(() => this.drain(), this.intervalMs);
  }

  /** Sends whatever is queued now (also used on close so no event is lost). */
  drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.queue.length) return;
    const batch = this.queue;
    this.queue = [];
    this.flush(batch);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }
}

function mergePackets(a: PacketsEvent['packets'], b: PacketsEvent['packets']): PacketsEvent['packets'] {
  const byId = new Map(a.map((p) => [p.id, p]));
  for (const p of b) byId.set(p.id, p);
  return [...byId.values()];
}
