import type { IncomingMessage, ServerResponse } from 'node:http';
import { dispatchEnvelope, type ApiHandler } from '../api/handler.js';
import { actingFor, PromptClient } from '../core/service/prompt-client.js';
import { contentSecurityPolicy } from '../transport/content-security-policy.js';
import { readBody } from './http-body.js';
import { replyForPeer } from './peer-errors.js';
import { readBundleFile } from '../transport/renderer-bundle.js';
import { checkHostAndOrigin, tokenMatches } from './request-guard.js';
import { API_PATH, TOKEN_HEADER } from '../transport/wire.js';

export interface HttpDeps {
  handler: ApiHandler;
  token: string;
  rendererDir: string;
  /** The Host/Origin values accepted (known once the server listens). */
  authorities: () => Set<string>;
  /** Where the server's own failures go (the operator's terminal, never the peer). */
  onError: (message: string) => void;
}

/**
 * `POST /api` (one envelope, token in a header) and the renderer's static files. Answers carry a status and a short
 * text, never a stack trace or a path of this machine.
 */
export function httpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    serve(deps, req, res).catch((e: unknown) => {
      deps.onError(`browser mode: ${req.method} ${req.url}: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error');
    });
  };
}

async function serve(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const refused = checkHostAndOrigin(req, deps.authorities());
  if (refused) return send(res, 403, 'text/plain', refused);
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === API_PATH) return serveApi(deps, req, res);
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only');
  const file = await readBundleFile(deps.rendererDir, path);
  if (!file) {
    if (path !== '/') return send(res, 404, 'text/plain', 'not found');
    deps.onError(`browser mode: renderer bundle missing in ${deps.rendererDir}: run npm run build`);
    return send(res, 404, 'text/plain', 'renderer bundle missing: run npm run build');
  }
  res.setHeader('content-security-policy', contentSecurityPolicy());
  return send(res, 200, file.type, file.body);
}

async function serveApi(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return send(res, 405, 'text/plain', 'POST only');
  if (!tokenMatches(deps.token, header(req, TOKEN_HEADER)))
    return send(res, 401, 'text/plain', 'missing or wrong token');
  const body = await readBody(req);
  if (body === undefined) return send(res, 413, 'text/plain', 'request too large');
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    raw = undefined; // dispatchEnvelope turns it into a one-line invalid-request error
  }
  // A one-shot call has no event channel: a question it raises (host key, password) is refused at once rather
  // than shown to some other client or the terminal. The WebSocket is the way to answer questions.
  const reply = await actingFor(new PromptClient(), () => dispatchEnvelope(deps.handler, raw));
  return send(res, 200, 'application/json', JSON.stringify(replyForPeer(reply, deps.onError)));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}
