import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where `npm run build` puts the renderer (vite.config.ts → dist/renderer), found from this module's location so it
 * works from the sources (tsx) and from dist/ alike: the nearest ancestor holding pktpath's package.json.
 */
export function defaultRendererDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'pktpath')
      return join(dir, 'dist', 'renderer');
    const up = dirname(dir);
    if (up === dir)
      throw new Error('cannot find the pktpath package root (no package.json named "pktpath" above)');
    dir = up;
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export interface BundleFile {
  body: Buffer;
  type: string;
}

/**
 * Reads a file of the bundle by URL path; "/" is index.html. Paths are resolved inside `root` only (no `..`
 * escapes); undefined when absent.
 */
export async function readBundleFile(root: string, urlPath: string): Promise<BundleFile | undefined> {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath.split('?')[0] ?? '/');
  } catch {
    return undefined;
  }
  if (rel === '/' || rel === '') rel = '/index.html';
  const base = resolve(root);
  const file = resolve(base, normalize('.' + rel));
  if (file !== base && !file.startsWith(base + sep)) return undefined;
  try {
    const body = await readFile(file);
    return { body, type: TYPES[extname(file)] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
}
