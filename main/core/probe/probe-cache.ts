import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ProbeFactsSchema, type ProbeFacts } from '../../api/trace.js';
import { ensureDir } from '../data-dir.js';
import { readJsonFile, writeFileAtomic } from '../fs/atomic-file.js';
import { CorruptFileError } from '../errors.js';

/**
 * `loader probe` results in `$PKTPATH_HOME/probe-cache/<loader stamp>/<host>/<kernel release>.json`: a kernel's
 * facts only change with the kernel and with the loader that found them (a new loader may attach what the old one
 * could not, e.g. its compat object on 5.10), so a reboot into another release or a pktpath with other loaders
 * probes again, while the same pair is answered from disk.
 */
export class ProbeCache {
  readonly root: string;

  /** `loaderStamp`: names the shipped loaders (HostAccess.loaderStamp), asked once, when first needed. */
  constructor(
    home: string,
    private readonly loaderStamp: () => string,
  ) {
    this.root = join(home, 'probe-cache');
  }

  private stampDir?: string;
  get dir(): string {
    return (this.stampDir ??= join(this.root, this.loaderStamp()));
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
