import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { ApiHandler } from '../api/handler.js';
import { declaredTooLarge, MAX_BODY } from './http-body.js';
import { httpHandler, send } from './http-handler.js';
import { defaultRendererDir } from '../transport/renderer-bundle.js';
import { allowedAuthorities, newToken } from './request-guard.js';
import { upgradeHandler } from './websocket-api.js';

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
  /** The server's own failures, one line each (default: dropped). Peers only ever see a short status text. */
  onError?: (message: string) => void;
}

export interface BrowserMode {
  /** The URL to open: the token travels in the fragment, which browsers never send to a server or a Referer. */
  url: string;
  port: number;
  token: string;
  /** Closes every connection at once (open prompts of its clients are answered reject/cancel) and stops. */
  close(): Promise<void>;
}

/**
 * Browser mode: the renderer bundle and the API over HTTP (`POST /api`, one envelope) and a WebSocket (calls and
 * batched events), on 127.0.0.1 only. Every API request and WebSocket upgrade must carry the token and our own
 * Host/Origin; static files need only the right Host (they hold no secrets).
 */
export async function startBrowserMode(opts: BrowserModeOptions): Promise<BrowserMode> {
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error('browser mode listens on 127.0.0.1 only');
  const token = opts.token ?? newToken();
  let authorities = new Set<string>();
  const common = {
    handler: opts.handler,
    token,
    authorities: () => authorities,
    onError: opts.onError ?? (() => undefined),
  };

  const serveHttp = httpHandler({ ...common, rendererDir: opts.rendererDir ?? defaultRendererDir() });
  const server = createServer(serveHttp);
  // `Expect: 100-continue`: refuse an oversized body before the client sends it.
  server.on('checkContinue', (req, res) => {
    if (declaredTooLarge(req)) {
      res.setHeader('connection', 'close'); // nothing was sent, so closing resets nothing
      return send(res, 413, 'text/plain', 'request too large');
    }
    res.writeContinue();
    serveHttp(req, res);
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  server.on('upgrade', upgradeHandler({ ...common, wss }));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

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
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
