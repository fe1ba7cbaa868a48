import { readBundleFile } from '../transport/renderer-bundle.js';
import { contentSecurityPolicy } from '../transport/content-security-policy.js';

/** The app's own scheme: a standard, secure origin (app://pktpath) instead of file://, so the CSP and
 * same-origin rules apply as on the web. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'pktpath';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/** Serves the renderer bundle for `app://pktpath/...`; anything else is a 404. */
export async function serveAppRequest(rendererDir: string, request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST || request.method !== 'GET') return new Response('not found', { status: 404 });
  const file = await readBundleFile(rendererDir, url.pathname);
  if (!file) return new Response('not found', { status: 404 });
  return new Response(new Uint8Array(file.body), {
    headers: {
      'content-type': file.type,
      'content-security-policy': contentSecurityPolicy(),
      'x-content-type-options': 'nosniff',
    },
  });
}

/** A URL on app://pktpath: the only place our pages may be, and the only origin that may call the API. */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Only our main frame, loaded from our origin, may call the API. */
export function isTrustedSender(frame: { url: string; parent: unknown } | null | undefined): boolean {
  return Boolean(frame && !frame.parent && isAppUrl(frame.url));
}
