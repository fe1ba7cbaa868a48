import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretRef } from '../core/secrets/secret-store.js';
import type { RememberingSecretStore } from '../core/service/prompt-broker.js';
import { writeFileAtomic } from '../core/fs/atomic-file.js';
import type { SecretStorageStatus } from '../transport/page-api.js';

/** The slice of Electron's safeStorage this store uses (Electron 45's synchronous API). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  getSelectedStorageBackend?(): string;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * Passwords and passphrases the user chose to remember, encrypted with safeStorage into `secrets.json` of the data
 * dir. On Linux without a keyring safeStorage falls back to a hard-coded key (`basic_text`): that is no
 * protection, so then nothing is stored and the UI says why.
 */
export class SafeStorageSecrets implements RememberingSecretStore {
  private readonly file: string;

  constructor(
    private readonly safe: SafeStorageLike,
    home: string,
    private readonly platform = process.platform,
  ) {
    this.file = join(home, 'secrets.json');
  }

  status(): SecretStorageStatus {
    const backend =
      this.platform === 'linux' ? (this.safe.getSelectedStorageBackend?.() ?? 'unknown') : this.platform;
    if (!this.safe.isEncryptionAvailable())
      return { backend, available: false, reason: 'the system keyring is not available' };
    if (backend === 'basic_text')
      return {
        backend,
        available: false,
        reason: 'no system keyring (safeStorage would use a hard-coded key): secrets are not stored',
      };
    return { backend, available: true };
  }

  async get(ref: SecretRef): Promise<string | undefined> {
    if (!this.status().available) return undefined;
    const enc = this.read()[keyOf(ref)];
    if (!enc) return undefined;
    try {
      return this.safe.decryptString(Buffer.from(enc, 'base64'));
    } catch {
      return undefined; // a keyring change makes old entries unreadable: ask again
    }
  }

  remember(ref: SecretRef, value: string): SecretStorageStatus & { stored: boolean } {
    const st = this.status();
    if (!st.available) return { ...st, stored: false };
    const all = this.read();
    all[keyOf(ref)] = this.safe.encryptString(value).toString('base64');
    writeFileAtomic(this.file, JSON.stringify(all, null, 2) + '\n', 0o600);
    return { ...st, stored: true };
  }

  private read(): Record<string, string> {
    if (!existsSync(this.file)) return {};
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }
}

const keyOf = (r: SecretRef) => `${r.host}\u0000${r.kind}\u0000${r.prompt}`;
