/**
 * Browser mode's wire format, shared by the server (main/server) and the renderer's WebSocket transport. Plain
 * types and constants only: the renderer bundles this file.
 *
 * client → server: a request envelope `{ id, method, request }` (main/api/contract.ts), as JSON text
 * server → client: `{ kind: 'response', ...ResponseEnvelope }` or `{ kind: 'events', events: [{ event, payload }] }`
 */

/** Header carrying the token on `POST /api` (the WebSocket, which cannot set headers, passes it as `?token=`). */
export const TOKEN_HEADER = 'x-pktpath-token';
export const API_PATH = '/api';
export const WS_PATH = '/ws';

/** Events are flushed at most this often; a trace's many `trace.packets` events in between are merged into one. */
export const EVENT_FLUSH_MS = 50;

export interface WireEvent {
  event: string;
  payload: unknown;
}

export type ServerFrame =
  | { kind: 'response'; id: string | number; ok: true; response: unknown }
  | { kind: 'response'; id: string | number; ok: false; error: { code: string; message: string } }
  | { kind: 'events'; events: WireEvent[] };
