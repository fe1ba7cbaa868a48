import type { SecretKind } from '../../api/contract.js';

/**
 * Where a face keeps secrets the core may ask for (passwords, key passphrases, sudo passwords). The core never
 * writes a secret anywhere itself: Electron backs this with safeStorage; the CLI and browser mode have none and
 * rely on ssh-agent, key files and the `secret.prompt` event.
 */
export interface SecretRef {
  /** Inventory name of the host the secret is for. */
  host: string;
  kind: SecretKind;
  /** What is being asked (for a passphrase: the key file), so a store can key per file. */
  prompt: string;
}

export interface SecretStore {
  /** The stored secret, or undefined when none is stored (the core then asks the user). */
  get(ref: SecretRef): Promise<string | undefined>;
}
