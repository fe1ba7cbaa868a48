import { WS_PATH, type ServerFrame, type WireEvent } from '../../../main/transport/wire';
import { checkServer } from './server-check';
import type { Transport, TransportStatus } from './transport';

/** A call made while the socket is down waits this long for it to come back, then fails (never hangs). */
export const RECONNECT_WAIT_MS = 3000;
const MAX_BACKOFF_MS = 5000;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

const DOWN_REASON = 'pktpath is not running: start `pktpath serve` again and open the URL it prints';
const RESTARTED_REASON =
  'pktpath restarted: open the new URL printed in its terminal (this page’s token is void)';

/**
 * Browser mode: one WebSocket for calls and batched events, authenticated by the token from the URL fragment.
 * Reconnects with backoff while nothing answers; stops once a restarted pktpath refuses the token. Calls in flight
 * when the socket drops fail at once; calls made while it is down wait briefly for it, then fail with the reason.
 */
export function createWsTransport(token: string, origin = location.host): Transport {
  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(events: WireEvent[]) => void>();
  const statusListeners = new Set<(s: TransportStatus) => void>();
  let socket: WebSocket | undefined;
  let status: TransportStatus = { state: 'connecting' };
  let wasClosed = false;
  let backoffMs = 250;
  const waiters = new Set<() => void>();

  const setStatus = (s: TransportStatus) => {
    status = s;
    waiters.forEach((w) => w());
    statusListeners.forEach((l) => l(s));
  };

  function connect(): void {
    const ws = new WebSocket(`ws://${origin}${WS_PATH}?token=${encodeURIComponent(token)}`);
    ws.onopen = () => {
      socket = ws;
      backoffMs = 250;
      setStatus({ state: 'open', ...(wasClosed ? { reconnected: true } : {}) });
    };
    ws.onmessage = (m: MessageEvent<string>) => {
      const frame = JSON.parse(m.data) as ServerFrame;
      if (frame.kind === 'events') eventListeners.forEach((l) => l(frame.events));
      else {
        const p = pending.get(Number(frame.id));
        pending.delete(Number(frame.id));
        p?.resolve(frame);
      }
    };
    ws.onclose = () => void onClose();
  }

  async function onClose(): Promise<void> {
    socket = undefined;
    wasClosed = true;
    for (const p of pending.values())
      p.reject(new Error('connection to pktpath lost while waiting for its answer'));
    pending.clear();
    const server = await checkServer(token);
    if (server === 'restarted')
      return setStatus({ state: 'closed', cause: 'restarted', reason: RESTARTED_REASON });
    if (server === 'down') setStatus({ state: 'closed', cause: 'unreachable', reason: DOWN_REASON });
    else setStatus({ state: 'connecting' }); // pktpath is there: only this socket dropped
    setTimeout(connect, backoffMs);
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
  }

  /** The open socket, or the reason there is none after a short wait. */
  async function openSocket(): Promise<WebSocket> {
    // waits for the next (re)connect attempt's outcome; a restarted server will never take our token
    if (!socket && !(status.state === 'closed' && status.cause === 'restarted')) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, RECONNECT_WAIT_MS);
        waiters.add(done);
      });
    }
    if (socket) return socket;
    throw new Error(status.state === 'closed' ? status.reason : 'pktpath does not answer: no connection yet');
  }

  connect();
  return {
    kind: 'browser',
    async send(envelope) {
      const ws = await openSocket();
      return new Promise((resolve, reject) => {
        pending.set(envelope.id, { resolve, reject });
        ws.send(JSON.stringify(envelope));
      });
    },
    onEvents(listener) {
      eventListeners.add(listener);
      return () => void eventListeners.delete(listener);
    },
    onStatus(listener) {
      statusListeners.add(listener);
      listener(status);
      return () => void statusListeners.delete(listener);
    },
  };
}
