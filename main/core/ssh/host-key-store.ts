import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDir } from '../data-dir.js';
import { writeFileAtomic } from '../fs/atomic-file.js';
import {
  checkHostKey,
  knownHostsLine,
  knownKeyTypes,
  parseKnownHosts,
  type HostKeyVerdict,
  type KnownHostEntry,
} from './known-hosts.js';

/**
 * Host keys pktpath trusts: the user's own known_hosts files (read only: pktpath never edits them) plus pktpath's
 * store in the data dir, where "accept and save" answers go, plus keys accepted once for this process.
 * Files are re-read on every check so a key the user fixed by hand (`ssh-keygen -R`) counts immediately.
 */
export interface HostKeyStoreOptions {
  /** Read-only files in OpenSSH format; default ~/.ssh/known_hosts. */
  userFiles?: readonly string[];
  /** pktpath's own known_hosts (written atomically). */
  ownFile: string;
}

export class HostKeyStore {
  readonly userFiles: readonly string[];
  readonly ownFile: string;
  private readonly acceptedOnce: KnownHostEntry[] = [];
  /** Lines skipped while reading (malformed, @cert-authority): surfaced by `hosts test`, never fatal. */
  skipped: { at: string; reason: string }[] = [];

  constructor(opts: HostKeyStoreOptions) {
    this.userFiles = opts.userFiles ?? [join(homedir(), '.ssh', 'known_hosts')];
    this.ownFile = opts.ownFile;
  }

  private entries(): KnownHostEntry[] {
    const all: KnownHostEntry[] = [];
    this.skipped = [];
    for (const file of [...this.userFiles, this.ownFile]) {
      if (!existsSync(file)) continue;
      const r = parseKnownHosts(readFileSync(file, 'utf8'), file);
      all.push(...r.entries);
      this.skipped.push(...r.skipped);
    }
    return [...all, ...this.acceptedOnce];
  }

  private ownEntries(): KnownHostEntry[] {
    return parseKnownHosts(readFileSync(this.ownFile, 'utf8'), this.ownFile).entries;
  }

  verify(name: string, blob: Buffer): HostKeyVerdict {
    return checkHostKey(this.entries(), name, blob);
  }

  knownKeyTypes(name: string): string[] {
    return knownKeyTypes(this.entries(), name);
  }

  /** Pins exactly `name` (`host` or `[host]:port`): kept hashed like a saved key, so it is never read as a pattern
   * list (`x,*` would otherwise trust every host for the rest of the process). */
  acceptOnce(name: string, blob: Buffer): void {
    this.acceptedOnce.push(
      ...parseKnownHosts(knownHostsLine(name, blob, { hash: true }), '(accepted for this session)').entries,
    );
  }

  /** Appends a hashed line to pktpath's own file (rewritten atomically, so a crash never truncates it). */
  save(name: string, blob: Buffer): void {
    // Two connections that shared one "accept and remember" both save: the key goes in once.
    if (existsSync(this.ownFile) && checkHostKey(this.ownEntries(), name, blob).status === 'known') return;
    ensureDir(dirname(this.ownFile));
    const old = existsSync(this.ownFile) ? readFileSync(this.ownFile, 'utf8') : '';
    const sep = old && !old.endsWith('\n') ? '\n' : '';
    writeFileAtomic(this.ownFile, `${old}${sep}${knownHostsLine(name, blob, { hash: true })}\n`, 0o600);
  }
}
