import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Where the `electron` package's binary is, without `require('electron')` — which, when the binary is missing,
 * tries to download it (impossible on these machines, and slow to fail). Mirrors its index.js: `path.txt` names the
 * executable under `dist/`, and ELECTRON_OVERRIDE_DIST_PATH replaces `dist/`.
 */
export function findElectronBinary(): { path: string } | { missing: string } {
  let pkgDir: string;
  try {
    pkgDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed' };
  }
  const pathFile = join(pkgDir, 'path.txt');
  const exe = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkgDir, 'dist');
  const full = join(dist, exe);
  if (!existsSync(pathFile) && !process.env.ELECTRON_OVERRIDE_DIST_PATH)
    return { missing: 'Electron binary not installed (its download is blocked here)' };
  return existsSync(full) ? { path: full } : { missing: `Electron binary not found at ${full}` };
}
