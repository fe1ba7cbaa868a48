import type { MethodName } from '../api/contract.js';
import type { ApiError } from '../api/errors.js';
import type { ResponseEnvelope } from '../api/handler.js';
import type { WireEvent } from './wire.js';

/**
 * What the preload exposes to the page as `window.pktpath` (types only; the renderer imports them). One named
 * function per contract method — the page never names an IPC channel — plus the batched event feed. Remembering
 * secrets goes through the contract too (`secret.prompt`'s `remember`, `secret.provide { remember }`).
 */
export interface PageApi {
  readonly transport: 'electron';
  readonly methods: Readonly<Record<MethodName, (request: unknown) => Promise<ResponseEnvelope>>>;
  /** Batched events (main flushes every EVENT_FLUSH_MS); returns the unsubscribe function. */
  onEvents(listener: (events: WireEvent[]) => void): () => void;
  /** Main's native save dialog for bytes the page has (base64); the user picks where — the page names no path. */
  saveFile(file: TransferFile): Promise<{ saved: boolean; error?: ApiError }>;
  /** Main's native open dialog; the chosen file's bytes (base64) and base name, none if cancelled. */
  openFile(kind: FileKind): Promise<{ file?: TransferFile; error?: ApiError }>;
}

/** File contents crossing the bridge: base64 as in the contract (main/api/transfer.ts), and a base name. */
export interface TransferFile {
  name: string;
  data: string;
}

/** What the open dialog is for (its filters and start folder). */
export type FileKind = 'session' | 'ssh-config';

export interface SecretStorageStatus {
  /** Electron's safeStorage backend; `basic_text` means no keyring, so nothing is stored. */
  backend: string;
  available: boolean;
  reason?: string;
}

/** IPC channels between preload and main; never visible to the page. */
export const CHANNELS = {
  call: 'pktpath:call',
  events: 'pktpath:events',
  subscribe: 'pktpath:subscribe',
  saveFile: 'pktpath:save-file',
  openFile: 'pktpath:open-file',
} as const;
