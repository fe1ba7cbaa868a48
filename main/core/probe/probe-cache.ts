import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProbeFactsSchema, type ProbeFacts } from '../../api/trace.js';
import { ensureDir } from '../data-dir.js';
import { readJsonFile, writeFileAtomic } from '../fs/atomic-file.js';
import { CorruptFileError } from '../errors.js';

/**
 * `loader probe` results in `$PKTPATH_HOME/probe-cache/<host>/<kernel release>.json`: a kernel's facts only change
 * with the kernel, so a reboot into another release probes again while the same release is answered from disk.
 */
export class ProbeCache {
  readonly dir: string;

  constructor(home: string) {
    this.dir = join(home, 'probe-cache');
  }

  private fileOf(host: string, kernelRelease: string): string {
    // Releases are uname -r strings; keep them file-name-safe without making two releases collide.
    return join(this.dir, host, `${kernelRelease.replace(/[^A-Za-z0-9._+-]/g, '_')}.json`);
  }

  get(host: string, kernelRelease: string): ProbeFacts | undefined {
    try {
      return readJsonFile(this.fileOf(host, kernelRelease), ProbeFactsSchema);
    } catch (e) {
      if (e instanceof CorruptFileError) return undefined; // moved aside; probing again replaces it
      throw e;
    }
  }

  /** The most recently probed facts of a host, whatever its kernel (to check a probe set without connecting). */
  latest(host: string): ProbeFacts | undefined {
    let newest: { file: string; mtime: number } | undefined;
    try {
      for (const name of readdirSync(join(this.dir, host))) {
        if (!name.endsWith('.json')) continue;
        const mtime = statSync(join(this.dir, host, name)).mtimeMs;
        if (!newest || mtime > newest.mtime) newest = { file: name, mtime };
      }
    } catch {
      return undefined;
    }
    return newest ? this.get(host, newest.file.slice(0, -'.json'.length)) : undefined;
  }

  put(host: string, facts: ProbeFacts): void {
    const file = this.fileOf(host, facts.kernel.release);
    ensureDir(join(file, '..'));
    writeFileAtomic(file, JSON.stringify(facts, null, 1) + '\n');
  }
}
