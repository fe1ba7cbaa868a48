import { WS_PATH, type ServerFrame, type WireEvent } from '../../../main/server/wire';
import type { Transport, TransportStatus } from './transport';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/**
 * Browser mode: one WebSocket for calls and batched events, authenticated by the token from the URL fragment.
 * Reconnects with backoff; calls made while closed wait for the socket, calls in flight when it drops fail.
 */
export function createWsTransport(token: string, origin = location.host): Transport {
  const pending = new Map<number, Pending>();
  const eventListeners = new Set<(events: WireEvent[]) => void>();
  const statusListeners = new Set<(s: TransportStatus) => void>();
  let socket: WebSocket | undefined;
  let opened: Promise<WebSocket> | undefined;
  let backoffMs = 250;

  const setStatus = (s: TransportStatus) => statusListeners.forEach((l) => l(s));

  function connect(): Promise<WebSocket> {
    opened ??= new Promise<WebSocket>((resolve) => {
      setStatus({ state: 'connecting' });
      const ws = new WebSocket(`ws://${origin}${WS_PATH}?token=${encodeURIComponent(token)}`);
      ws.onopen = () => {
        socket = ws;
        backoffMs = 250;
        setStatus({ state: 'open' });
        resolve(ws);
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
      ws.onclose = (e) => {
        socket = undefined;
        opened = undefined;
        for (const p of pending.values()) p.reject(new Error('connection to pktpath lost'));
        pending.clear();
        setStatus({
          state: 'closed',
          reason:
            e.code === 1006 ? 'cannot reach pktpath (is `pktpath serve` running?)' : `closed (${e.code})`,
        });
        setTimeout(() => void connect().then(resolve), backoffMs);
        backoffMs = Math.min(backoffMs * 2, 5000);
      };
    });
    return opened;
  }

  void connect();
  return {
    kind: 'browser',
    async send(envelope) {
      const ws = socket ?? (await connect());
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
      listener(socket ? { state: 'open' } : { state: 'connecting' });
      return () => void statusListeners.delete(listener);
    },
  };
}
