import { homedir } from 'node:os';
import { join } from 'node:path';

/** `~` and `~/x` → the user's home, as ssh(1) expands IdentityFile and Include paths. */
export function expandHome(path: string, home: string = process.env.HOME || homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return join(home, path.slice(2));
  return path;
}
