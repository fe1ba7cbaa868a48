/**
 * The one CSP of the app, in browser mode and in Electron: scripts and workers only from our own origin (Monaco's
 * editor worker is a bundled file), no eval, no remote anything. Styles allow 'unsafe-inline' because Monaco and
 * React set inline styles at run time; no script can ride on that.
 */
export function contentSecurityPolicy(connectSrc: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "worker-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    `connect-src 'self' ${connectSrc.join(' ')}`.trim(),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}
