import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where pktpath keeps its inventory, known hosts, probe cache and sessions: $PKTPATH_HOME, else the platform's
 * app-data dir (the same place Electron's `app.getPath('userData')` would pick, so all faces share one store).
 */
export function pktpathHome(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.PKTPATH_HOME) return env.PKTPATH_HOME;
  const home = env.HOME || homedir();
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'pktpath');
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), 'pktpath');
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'pktpath');
}

/** Creates the data dir (0700: it holds known hosts and traces of your network) and returns it. */
export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
