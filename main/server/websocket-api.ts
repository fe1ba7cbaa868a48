import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { dispatchEnvelope, type ApiHandler } from '../api/handler.js';
import { actingFor, PromptClient } from '../core/service/prompt-client.js';
import { EventBatcher } from '../transport/event-batcher.js';
import { replyForPeer } from './peer-errors.js';
import { checkHostAndOrigin, tokenMatches } from './request-guard.js';
import { EVENT_FLUSH_MS, WS_PATH, type ServerFrame, type WireEvent } from '../transport/wire.js';

export interface UpgradeDeps {
  handler: ApiHandler;
  token: string;
  authorities: () => Set<string>;
  wss: WebSocketServer;
  onError: (message: string) => void;
}

/**
 * The `upgrade` listener: token, path and Host/Origin checked before the handshake. Node leaves an upgraded
 * socket's errors to us, so every socket gets an error handler first: a peer that resets the connection (or sends
 * garbage) costs that socket, never the server.
 */
export function upgradeHandler(
  deps: UpgradeDeps,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const refused = refusal(deps, req);
    if (refused) return refuse(socket, refused.status, refused.text);
    deps.wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws, deps));
  };
}

/** Why an upgrade is refused (unknown path, foreign Host/Origin, missing or wrong token), or undefined. */
function refusal(deps: UpgradeDeps, req: IncomingMessage): { status: number; text: string } | undefined {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://127.0.0.1');
  } catch {
    return { status: 404, text: 'not found' };
  }
  if (url.pathname !== WS_PATH) return { status: 404, text: 'not found' };
  const foreign = checkHostAndOrigin(req, deps.authorities());
  if (foreign) return { status: 403, text: foreign };
  if (!tokenMatches(deps.token, url.searchParams.get('token')))
    return { status: 403, text: 'missing or wrong token' };
  return undefined;
}

/** Answers a refused upgrade and closes at once: no waiting for the peer to hang up (sockets are half-open). */
function refuse(socket: Duplex, status: number, text: string): void {
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: text/plain\r\n`;
  socket.end(`${head}content-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`, () =>
    socket.destroy(),
  );
}

/**
 * One browser client: calls in, responses and batched events out. Its calls run on its behalf (`actingFor`), so
 * the questions they raise are asked of this client alone and go away with it.
 */
function serveSocket(ws: WebSocket, deps: UpgradeDeps): void {
  const sendFrame = (frame: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const batcher = new EventBatcher(
    (events: WireEvent[]) => sendFrame({ kind: 'events', events }),
    EVENT_FLUSH_MS,
  );
  const client = new PromptClient((event, payload) => batcher.push(event, payload));
  const unsubscribe = deps.handler.onEvent((event, payload) => batcher.push(event, payload));
  // A malformed frame (bad UTF-8, RSV bits, > maxPayload): ws has already failed this connection with the code
  // RFC 6455 asks for; the error needs a listener only so that it does not take the process down.
  ws.on('error', () => undefined);
  ws.on('message', (data, isBinary) => {
    let raw: unknown;
    try {
      raw = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      raw = undefined;
    }
    void actingFor(client, () => dispatchEnvelope(deps.handler, raw)).then((reply) =>
      sendFrame({ kind: 'response', ...replyForPeer(reply, deps.onError) }),
    );
  });
  ws.on('close', () => {
    client.close();
    unsubscribe();
    batcher.dispose();
  });
}
