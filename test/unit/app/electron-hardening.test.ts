import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

// No Electron binary runs here (docs/APP.md), so the packaged build's hardening is checked where it is written down:
// electron-builder.yml as electron-builder itself loads and validates it, and the real main process code run against
// a recording `electron` module (as api-surface.test.ts runs the real preload), once packaged and once not.

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('packaged build configuration (electron-builder.yml)', () => {
  it('flips the fuses: no RunAsNode, NODE_OPTIONS or --inspect; only app.asar, with ASAR integrity', async () => {
    // electron-builder's own loader and schema check: a misspelled fuse name fails validation instead of being ignored.
    const require = createRequire(join(root, 'package.json'));
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      getConfig(dir: string, file: null, extra: null): Promise<Record<string, unknown>>;
      validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (on: boolean) => unknown };
    const config = await getConfig(root, null, null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // ASAR integrity needs an asar whose header hash is embedded.
    expect(config.asar).toBe(true);
  });
});

type Handler = (...args: unknown[]) => unknown;

/** What the main process did with Electron, recorded. */
interface Recorded {
  appHandlers: Map<string, Handler>;
  windows: { webPreferences: Record<string, unknown> }[];
  menus: unknown[];
}

const rec: Recorded = { appHandlers: new Map(), windows: [], menus: [] };
const env = { isPackaged: true };

vi.mock('electron', () => {
  const noop = () => undefined;
  class BrowserWindow {
    webContents = {};
    constructor(opts: { webPreferences: Record<string, unknown> }) {
      rec.windows.push(opts);
    }
    once = noop;
    loadURL = () => Promise.resolve();
    isMinimized = () => false;
  }
  return {
    app: {
      get isPackaged() {
        return env.isPackaged;
      },
      on: (event: string, fn: Handler) => void rec.appHandlers.set(event, fn),
      requestSingleInstanceLock: () => true,
      quit: noop,
      whenReady: () => Promise.resolve(),
      getAppPath: () => root,
    },
    BrowserWindow,
    ipcMain: { handle: noop, on: noop },
    Menu: {
      buildFromTemplate: (template: unknown) => template,
      setApplicationMenu: (menu: unknown) => void rec.menus.push(menu),
    },
    protocol: { registerSchemesAsPrivileged: noop, handle: noop },
    safeStorage: {
      isEncryptionAvailable: () => false,
      encryptString: () => Buffer.alloc(0),
      decryptString: () => '',
    },
    session: { defaultSession: { setPermissionRequestHandler: noop, setPermissionCheckHandler: noop } },
  };
});

/** A web contents that records the guards installed on it. */
function recordingWebContents() {
  const on = new Map<string, Handler>();
  let openHandler: Handler | undefined;
  const state = { closedDevTools: 0 };
  const wc = {
    setWindowOpenHandler: (fn: Handler) => void (openHandler = fn),
    on: (event: string, fn: Handler) => void on.set(event, fn),
    closeDevTools: () => void state.closedDevTools++,
  };
  const prevented = (event: string, ...args: unknown[]) => {
    let p = false;
    on.get(event)?.({ preventDefault: () => (p = true) }, ...args);
    return p;
  };
  return { wc, on, state, prevented, openWindow: () => openHandler?.({ url: 'https://evil.example/' }) };
}

const homes: string[] = [];
afterAll(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));

/** Runs the real main process module as the packaged app (or a development run) would. */
async function startMain(isPackaged: boolean) {
  rec.appHandlers.clear();
  rec.windows.length = 0;
  rec.menus.length = 0;
  env.isPackaged = isPackaged;
  const home = mkdtempSync(join(tmpdir(), 'pktpath-electron-'));
  homes.push(home);
  vi.stubEnv('PKTPATH_HOME', home);
  Object.assign(process, { resourcesPath: root });
  vi.resetModules();
  await import('../../../main/electron/main.js');
  await vi.waitFor(() => expect(rec.windows).toHaveLength(1));
  await rec.appHandlers.get('before-quit')?.();
  const created = rec.appHandlers.get('web-contents-created');
  return {
    webPreferences: rec.windows[0]!.webPreferences,
    menu: rec.menus[0],
    createWebContents: () => {
      const r = recordingWebContents();
      created?.({}, r.wc);
      return r;
    },
  };
}

function roles(items: unknown): string[] {
  if (!Array.isArray(items)) return [];
  return items.flatMap((i: { role?: string; submenu?: unknown }) => [
    ...(i.role ? [i.role] : []),
    ...roles(i.submenu),
  ]);
}

describe('Electron main process hardening', () => {
  beforeEach(() => vi.unstubAllEnvs());

  it('packaged: every web contents created is locked down, and DevTools are off in the window and the menu', async () => {
    const main = await startMain(true);
    expect(main.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      devTools: false,
    });
    expect(roles(main.menu)).not.toContain('toggleDevTools');
    expect(roles(main.menu)).toContain('reload');

    // Any web contents, not only our window's: the guard is global (web-contents-created).
    const wc = main.createWebContents();
    expect(wc.openWindow()).toEqual({ action: 'deny' });
    expect(wc.prevented('will-navigate', 'https://evil.example/')).toBe(true);
    expect(wc.prevented('will-navigate', 'app://pktpath.evil.example/')).toBe(true);
    expect(wc.prevented('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(wc.prevented('will-navigate', 'app://pktpath/index.html')).toBe(false);
    expect(wc.prevented('will-redirect', 'https://evil.example/')).toBe(true);
    expect(wc.prevented('will-attach-webview')).toBe(true);
    wc.on.get('devtools-opened')?.();
    expect(wc.state.closedDevTools).toBe(1);
  });

  it('a development run keeps DevTools (so the packaged check above is not vacuous)', async () => {
    const main = await startMain(false);
    expect(main.webPreferences.devTools).toBe(true);
    expect(roles(main.menu)).toContain('toggleDevTools');
    const wc = main.createWebContents();
    expect(wc.on.has('devtools-opened')).toBe(false);
    expect(wc.prevented('will-navigate', 'https://evil.example/')).toBe(true);
  });
});
