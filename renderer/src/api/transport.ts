import type { WireEvent } from '../../../main/server/wire';

/** How the renderer reaches the core: Electron's preload or browser mode's WebSocket. Untyped on purpose: the
 * client above it validates everything that comes back. */
export interface Transport {
  readonly kind: 'electron' | 'browser';
  /** Sends a request envelope; resolves with the raw response envelope. */
  send(envelope: { id: number; method: string; request: unknown }): Promise<unknown>;
  /** Batches of events as they arrive; returns the unsubscribe function. */
  onEvents(listener: (events: WireEvent[]) => void): () => void;
  /** Connection state changes (browser mode can lose its socket). */
  onStatus(listener: (status: TransportStatus) => void): () => void;
}

export type TransportStatus = { state: 'connecting' | 'open' } | { state: 'closed'; reason: string };
