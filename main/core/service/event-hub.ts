import { eventArgs, type EventListener } from '../../api/handler.js';
import type { EventName, EventOf } from '../../api/contract.js';
import { parseEvent } from '../../api/validate.js';

/**
 * Fan-out of the core's push events to every subscribed face. Each payload is validated against the contract
 * before it leaves, so a face never has to guess; a listener that throws cannot break the others or the core.
 */
export class EventHub {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  emit<E extends EventName>(event: E, payload: EventOf<E>): void {
    const args = eventArgs(event, parseEvent(event, payload));
    for (const l of [...this.listeners]) {
      try {
        l(...args);
      } catch {
        // a face's bug stays in that face
      }
    }
  }
}
