import type { WireEvent } from '../../../main/transport/wire.js';

/** How the renderer reaches the core: Electron's preload or browser mode's WebSocket. Untyped on purpose: the
 * client above it checks the envelopes; their contents were validated by the core. */
export interface Transport {
  readonly kind: 'electron' | 'browser';
  /** Sends a request envelope; resolves with the raw response envelope. Fails at once when the core is gone. */
  send(envelope: { id: number; method: string; request: unknown }): Promise<unknown>;
  /** Batches of events as they arrive; returns the unsubscribe function. */
  onEvents(listener: (events: WireEvent[]) => void): () => void;
  /** Connection state changes (browser mode can lose its socket); called with the current state at once. */
  onStatus(listener: (status: TransportStatus) => void): () => void;
}

/**
 * `open` after a `closed` is a reconnect (events sent meanwhile were missed: resync). `closed` says why:
 * `unreachable` — nothing answers (pktpath stopped; retried with backoff); `restarted` — a pktpath answers but
 * refuses our token (a new process with a new token: only its new URL works, so no retry).
 */
export type TransportStatus =
  | { state: 'connecting' }
  | { state: 'open'; reconnected?: boolean }
  | { state: 'closed'; cause: 'unreachable' | 'restarted'; reason: string };
