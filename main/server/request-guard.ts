import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** 256 random bits, URL-safe: the capability that browser mode's URL carries. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison; hashing first makes lengths equal so the length of the guess leaks nothing either. */
export function tokenMatches(expected: string, given: string | null | undefined): boolean {
  if (typeof given !== 'string' || given.length === 0) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}

/**
 * DNS rebinding defence: a page on evil.example that rebinds its name to 127.0.0.1 sends `Host: evil.example`
 * and `Origin: http://evil.example`. Only our own loopback authority is accepted for either.
 */
export function allowedAuthorities(port: number): Set<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

export function checkHostAndOrigin(req: IncomingMessage, authorities: Set<string>): string | undefined {
  const host = req.headers.host;
  if (!host || !authorities.has(host.toLowerCase()))
    return `refused Host header ${JSON.stringify(host ?? '')}`;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let ok: boolean;
    try {
      const u = new URL(origin);
      ok = u.protocol === 'http:' && authorities.has(u.host.toLowerCase());
    } catch {
      ok = false;
    }
    if (!ok) return `refused Origin ${JSON.stringify(origin)}`;
  }
  return undefined;
}
