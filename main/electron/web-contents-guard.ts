import type { WebContents } from 'electron';
import { isAppUrl } from './app-protocol.js';

/**
 * Locks down one web contents: no new windows, no navigation or redirect off app://pktpath, no webviews, and no
 * DevTools unless `devTools` (a development run). Installed from `web-contents-created`, so it covers every web
 * contents Electron creates, not only the window we open.
 */
export function guardWebContents(wc: WebContents, opts: { devTools: boolean }): void {
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  wc.on('will-redirect', (e, url) => {
    if (!isAppUrl(url)) e.preventDefault();
  });
  wc.on('will-attach-webview', (e) => e.preventDefault());
  if (!opts.devTools) wc.on('devtools-opened', () => wc.closeDevTools());
}
