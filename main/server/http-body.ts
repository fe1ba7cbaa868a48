import type { IncomingMessage } from 'node:http';

/** The largest `POST /api` body and WebSocket message browser mode reads. */
export const MAX_BODY = 16 * 1024 * 1024;
/**
 * After a body is found too large, how much more of it is read and dropped. Closing a socket with unread data makes
 * the kernel answer with a reset, which can wipe out the 413 before the client reads it; past this, it may.
 */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** Whether the request's own Content-Length already says it is too large (checked before `100 Continue`). */
export function declaredTooLarge(req: IncomingMessage, limit = MAX_BODY): boolean {
  return Number(req.headers['content-length'] ?? 0) > limit;
}

/**
 * The request body as text, or undefined once it exceeds `limit`: the caller answers 413 while the rest of the
 * body is drained (up to DRAIN_LIMIT more), so the connection stays usable and the answer arrives.
 */
export function readBody(req: IncomingMessage, limit = MAX_BODY): Promise<string | undefined> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const tooLarge = () => {
      over = true;
      chunks.length = 0;
      resolveBody(undefined);
    };
    if (declaredTooLarge(req, limit)) tooLarge();
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (over) {
        if (size > limit + DRAIN_LIMIT) req.destroy();
      } else if (size > limit) tooLarge();
      else chunks.push(c);
    });
    req.on('end', () => resolveBody(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject); // after an answer, a no-op: the peer hung up mid-body
  });
}
