// The Electron main process: a thin shell around the same core and renderer as browser mode. Security posture:
// sandboxed, context-isolated renderer without Node; the app served from app://pktpath (protocol.handle), a CSP
// without remote script; navigation, new windows and permission requests denied; one instance; every IPC call's
// sender frame checked and its payload validated by dispatchEnvelope; events batched, never one IPC per event.
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  protocol,
  safeStorage,
  session,
  type WebContents,
} from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dispatchEnvelope } from '../api/handler.js';
import { createCore, type CoreService } from '../core/service/create-core.js';
import { pktpathHome } from '../core/data-dir.js';
import { EventBatcher } from '../server/event-batcher.js';
import { defaultRendererDir } from '../server/renderer-bundle.js';
import { EVENT_FLUSH_MS } from '../server/wire.js';
import { APP_HOST, APP_ORIGIN, APP_SCHEME, isTrustedSender, serveAppRequest } from './app-protocol.js';
import { wireFileDialogs } from './file-dialogs.js';
import { CHANNELS } from './page-api.js';
import { SafeStorageSecrets } from './safe-storage-secrets.js';

const here = dirname(fileURLToPath(import.meta.url));

protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
  },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

async function start(): Promise<void> {
  await app.whenReady();
  const home = process.env.PKTPATH_HOME ?? pktpathHome();
  const secrets = new SafeStorageSecrets(safeStorage, home);
  const core = await createCore({
    home,
    secrets,
    // In a packaged app, resources/<arch>/ ship beside app.asar (electron-builder extraResources).
    ...(app.isPackaged ? { resourcesDir: join(process.resourcesPath, 'resources') } : {}),
  });
  const rendererDir = app.isPackaged ? join(app.getAppPath(), 'dist', 'renderer') : defaultRendererDir();

  protocol.handle(APP_SCHEME, (req) => serveAppRequest(rendererDir, req));
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  Menu.setApplicationMenu(buildMenu());
  wireIpc(core);
  wireFileDialogs();

  const win = createWindow();
  app.on('second-instance', () => {
    if (win.isMinimized()) win.restore();
    win.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => void core.close());
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    title: 'pktpath',
    backgroundColor: '#16181d',
    show: false,
    webPreferences: {
      preload: join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  lockDown(win.webContents);
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

/** No navigation away from the app, no new windows, no webviews. */
function lockDown(wc: WebContents): void {
  wc.setWindowOpenHandler(() => ({ action: 'deny' }));
  wc.on('will-navigate', (e, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) e.preventDefault();
  });
  wc.on('will-redirect', (e, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) e.preventDefault();
  });
  wc.on('will-attach-webview', (e) => e.preventDefault());
}

function wireIpc(core: CoreService): void {
  ipcMain.handle(CHANNELS.call, (e, raw: unknown) => {
    if (!isTrustedSender(e.senderFrame))
      return { id: -1, ok: false, error: { code: 'invalid-request', message: 'untrusted sender' } };
    return dispatchEnvelope(core, raw);
  });
  // One subscription per page: events are batched (trace packets merged) and sent every EVENT_FLUSH_MS.
  const subscribed = new WeakSet<WebContents>();
  ipcMain.on(CHANNELS.subscribe, (e) => {
    const wc = e.sender;
    if (!isTrustedSender(e.senderFrame) || subscribed.has(wc)) return;
    subscribed.add(wc);
    const batcher = new EventBatcher((events) => {
      if (!wc.isDestroyed()) wc.send(CHANNELS.events, events);
    }, EVENT_FLUSH_MS);
    const off = core.onEvent((event, payload) => batcher.push(event, payload));
    const done = () => {
      off();
      batcher.dispose();
      subscribed.delete(wc);
    };
    wc.once('destroyed', done);
    wc.once('did-start-navigation', done);
  });
}

function buildMenu(): Menu {
  return Menu.buildFromTemplate([
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { role: 'reload' },
        { role: 'toggleDevTools' },
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
  ]);
}
