import { API_PATH, TOKEN_HEADER } from '../../../main/transport/wire';

/** How long the check may take: a live server on loopback answers in milliseconds. */
const CHECK_TIMEOUT_MS = 3000;

/**
 * After the WebSocket closed: is a pktpath serving this origin, and does it still take our token? A browser never
 * sees why an upgrade was refused (every failure is close code 1006), but a plain `POST /api` shows it: 401 = a
 * pktpath with another token (it restarted), no answer = nothing running. The empty body runs nothing: a server
 * that takes the token answers it with an `invalid-request` envelope.
 */
export async function checkServer(token: string): Promise<'down' | 'restarted' | 'up'> {
  try {
    const r = await fetch(API_PATH, {
      method: 'POST',
      headers: { [TOKEN_HEADER]: token, 'content-type': 'application/json' },
      body: '',
      signal: AbortSignal.timeout(CHECK_TIMEOUT_MS),
    });
    return r.status === 401 ? 'restarted' : 'up';
  } catch {
    return 'down';
  }
}
