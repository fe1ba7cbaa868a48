#!/usr/bin/env node
// `npm start`: the Electron app where its binary exists and launches; otherwise one line saying why, then browser
// mode with the real core (the same renderer and API over HTTP + WebSocket on 127.0.0.1), printing its URL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const mainJs = `${root}dist/main/electron/main.js`;
const rendererHtml = `${root}dist/renderer/index.html`;

if (!existsSync(mainJs) || !existsSync(rendererHtml)) {
  console.error('pktpath: not built yet: run `npm run build` first');
  process.exit(1);
}

/** The Electron binary's path if it is installed and runs here, else the reason it cannot be used. */
async function electronBinary() {
  if (process.argv.includes('--browser')) return { why: 'browser mode requested (--browser)' };
  const { findElectronBinary } = await import(`${root}dist/main/electron/electron-binary.js`);
  const found = findElectronBinary();
  if ('missing' in found) return { why: found.missing };
  const probe = spawnSync(found.path, ['--version'], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  if (probe.status !== 0)
    return {
      why: `Electron binary does not start (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim().split('\n')[0]})`,
    };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
    return { why: 'no display for the Electron window (DISPLAY and WAYLAND_DISPLAY unset)' };
  return { bin: found.path };
}

const electron = await electronBinary();
if (electron.bin) {
  const child = spawn(electron.bin, [mainJs, ...process.argv.slice(2).filter((a) => a !== '--browser')], {
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
} else {
  console.log(`pktpath: ${electron.why}: starting browser mode`);
  const port = process.env.PKTPATH_PORT ? ['--port', process.env.PKTPATH_PORT] : [];
  const child = spawn(process.execPath, [`${root}bin/pktpath.mjs`, 'serve', ...port], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
