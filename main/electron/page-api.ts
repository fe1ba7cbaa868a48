import type { MethodName } from '../api/contract.js';
import type { ResponseEnvelope } from '../api/handler.js';
import type { WireEvent } from '../server/wire.js';

/**
 * What the preload exposes to the page as `window.pktpath` (types only; the renderer imports them). One named
 * function per contract method — the page never names an IPC channel — plus the batched event feed and the two
 * secret-storage questions only the desktop app can answer.
 */
export interface PageApi {
  readonly transport: 'electron';
  readonly methods: Readonly<Record<MethodName, (request: unknown) => Promise<ResponseEnvelope>>>;
  /** Batched events (main flushes every EVENT_FLUSH_MS); returns the unsubscribe function. */
  onEvents(listener: (events: WireEvent[]) => void): () => void;
  secretStorage(): Promise<SecretStorageStatus>;
  rememberSecret(ref: SecretRefInput, value: string): Promise<SecretStorageStatus & { stored: boolean }>;
}

export interface SecretStorageStatus {
  /** Electron's safeStorage backend; `basic_text` means no keyring, so nothing is stored. */
  backend: string;
  available: boolean;
  reason?: string;
}

export interface SecretRefInput {
  host: string;
  kind: 'password' | 'passphrase' | 'sudo-password' | 'keyboard-interactive';
  prompt: string;
}

/** IPC channels between preload and main; never visible to the page. */
export const CHANNELS = {
  call: 'pktpath:call',
  events: 'pktpath:events',
  subscribe: 'pktpath:subscribe',
  secretStatus: 'pktpath:secret-status',
  secretRemember: 'pktpath:secret-remember',
} as const;
