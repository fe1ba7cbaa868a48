// The Electron main process: a thin shell around the same core and renderer as browser mode. Security posture:
// sandboxed, context-isolated renderer without Node; the app served from app://pktpath (protocol.handle), a CSP
// without remote script; navigation, new windows and permission requests denied for every web contents
// (web-contents-created); no DevTools when packaged; one instance; every IPC call's sender frame checked and its
// payload validated by dispatchEnvelope; events batched, never one IPC per event. The packaged binary's fuses
// (no ELECTRON_RUN_AS_NODE, NODE_OPTIONS or --inspect; app.asar only) are set in electron-builder.yml.
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
import { EventBatcher } from '../transport/event-batcher.js';
import { defaultRendererDir } from '../transport/renderer-bundle.js';
import { EVENT_FLUSH_MS } from '../transport/wire.js';
import { appMenuTemplate } from './app-menu.js';
import { APP_ORIGIN, APP_SCHEME, isTrustedSender, serveAppRequest } from './app-protocol.js';
import { wireFileDialogs } from './file-dialogs.js';
import { CHANNELS } from '../transport/page-api.js';
import { SafeStorageSecrets } from './safe-storage-secrets.js';
import { guardWebContents } from './web-contents-guard.js';

const here = dirname(fileURLToPath(import.meta.url));
/** DevTools only in a development run, never in the packaged app. */
const devTools = !app.isPackaged;

// Before anything can create a web contents: each one is locked down as it is created.
app.on('web-contents-created', (_e, wc) => guardWebContents(wc, { devTools }));

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
  Menu.setApplicationMenu(Menu.buildFromTemplate(appMenuTemplate({ devTools })));
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
      devTools,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
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
