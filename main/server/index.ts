import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatchEnvelope, type ApiHandler } from '../api/handler.js';
import { contentSecurityPolicy } from './content-security-policy.js';
import { EventBatcher } from './event-batcher.js';
import { defaultRendererDir, readBundleFile } from './renderer-bundle.js';
import { allowedAuthorities, checkHostAndOrigin, newToken, tokenMatches } from './request-guard.js';
import { API_PATH, EVENT_FLUSH_MS, TOKEN_HEADER, WS_PATH, type ServerFrame, type WireEvent } from './wire.js';

export interface BrowserModeOptions {
  handler: ApiHandler;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only: browser mode has no TLS and no users, just the token. */
  host?: '127.0.0.1';
  /** The built renderer (default: dist/renderer of this package). */
  rendererDir?: string;
  /** For tests that need a known token; normally a fresh random one. */
  token?: string;
}

export interface BrowserMode {
  /** The URL to open: the token travels in the fragment, which browsers never send to a server or a Referer. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 16 * 1024 * 1024;

/**
 * Browser mode: the renderer bundle and the API over HTTP (`POST /api`, one envelope) and a WebSocket (calls and
 * batched events), on 127.0.0.1 only. Every API request and WebSocket upgrade must carry the token and our own
 * Host/Origin; static files need only the right Host (they hold no secrets).
 */
export async function startBrowserMode(opts: BrowserModeOptions): Promise<BrowserMode> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('browser mode listens on 127.0.0.1 only');
  const token = opts.token ?? newToken();
  const rendererDir = opts.rendererDir ?? defaultRendererDir();
  let authorities = new Set<string>();

  const server = createServer((req, res) => {
    void serveHttp(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${String(e)}`);
    });
  });

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = checkHostAndOrigin(req, authorities);
    if (refused) return send(res, 403, 'text/plain', refused);
    const path = (req.url ?? '/').split('?')[0];
    if (path === API_PATH) {
      if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
      if (!tokenMatches(token, header(req, TOKEN_HEADER)))
        return send(res, 401, 'text/plain', 'missing or wrong token');
      const body = await readBody(req);
      if (body === undefined) return send(res, 413, 'text/plain', 'request too large');
      let raw: unknown;
      try {
        raw = JSON.parse(body);
      } catch {
        raw = undefined; // dispatchEnvelope turns it into a one-line invalid-request error
      }
      const reply = await dispatchEnvelope(opts.handler, raw);
      return send(res, 200, 'application/json', JSON.stringify(reply));
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only');
    const file = await readBundleFile(rendererDir, path ?? '/');
    if (!file)
      return send(
        res,
        404,
        'text/plain',
        path === '/' ? `renderer bundle missing in ${rendererDir}: run npm run build` : 'not found',
      );
    res.setHeader('content-security-policy', contentSecurityPolicy());
    return send(res, 200, file.type, file.body);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refused =
      url.pathname !== WS_PATH
        ? 'not found'
        : (checkHostAndOrigin(req, authorities) ??
          (tokenMatches(token, url.searchParams.get('token')) ? undefined : 'missing or wrong token'));
    if (refused) {
      socket.end(
        `HTTP/1.1 ${refused === 'not found' ? 404 : 403} Forbidden\r\nconnection: close\r\n\r\n${refused}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  function serveSocket(ws: WebSocket): void {
    const sendFrame = (frame: ServerFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
    };
    const batcher = new EventBatcher(
      (events: WireEvent[]) => sendFrame({ kind: 'events', events }),
      EVENT_FLUSH_MS,
    );
    const unsubscribe = opts.handler.onEvent((event, payload) => batcher.push(event, payload));
    ws.on('message', (data, isBinary) => {
      let raw: unknown;
      try {
        raw = isBinary ? undefined : JSON.parse(data.toString());
      } catch {
        raw = undefined;
      }
      void dispatchEnvelope(opts.handler, raw).then((reply) => sendFrame({ kind: 'response', ...reply }));
    });
    ws.on('close', () => {
      unsubscribe();
      batcher.dispose();
    });
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  authorities = allowedAuthorities(port);

  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolveBody(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
