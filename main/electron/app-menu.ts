import type { MenuItemConstructorOptions } from 'electron';
import { APP_HOST } from './app-protocol.js';

/** The app menu: the usual roles; DevTools (and its Ctrl+Shift+I accelerator) only in a development run. */
export function appMenuTemplate(opts: { devTools: boolean }): MenuItemConstructorOptions[] {
  return [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        ...(opts.devTools ? [{ role: 'toggleDevTools' as const }] : []),
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: `pktpath on ${APP_HOST}`, enabled: false }] },
  ];
}
