import { randomBytes } from 'node:crypto';
import type { HostKeyPrompt } from '../../api/contract.js';
import { NotFoundError } from '../errors.js';
import type { SecretRef, SecretStore } from '../secrets/secret-store.js';
import type { HostKeyDecision, SecretRequest } from '../ssh/connection.js';
import type { EventHub } from './event-hub.js';

/** How long an unanswered prompt waits before it counts as "reject" / "cancel". */
export const PROMPT_TIMEOUT_MS = 5 * 60_000;

interface Pending<T> {
  resolve: (v: T) => void;
  timer: NodeJS.Timeout;
  /** What a secret prompt asked (to remember the answer under). */
  ref?: SecretRef;
}

/** Whether a face can keep secrets, and why not. */
export interface SecretKeeping {
  available: boolean;
  reason?: string;
}

/**
 * A secret store that can also keep what the user asks it to remember (the desktop app's safeStorage).
 * `secret.provide` with `remember` goes through it, so remembering needs nothing outside the API contract.
 */
export interface RememberingSecretStore extends SecretStore {
  status(): SecretKeeping;
  remember(ref: SecretRef, value: string): SecretKeeping & { stored: boolean };
}

const NOT_KEPT: SecretKeeping = {
  available: false,
  reason: 'this face never stores secrets: use ssh-agent or a key file to skip this question',
};

function canRemember(store: SecretStore | undefined): store is RememberingSecretStore {
  return !!store && 'remember' in store && 'status' in store;
}

/**
 * Turns the SSH layer's questions (unknown host key, password, passphrase, sudo password) into `hostKey.prompt` /
 * `secret.prompt` events and waits for the face's `hostKey.decide` / `secret.provide`. With nobody subscribed the
 * answer is an immediate reject/cancel, so a headless caller never hangs on a question no one can see.
 */
export class PromptBroker {
  private readonly hostKeys = new Map<string, Pending<HostKeyDecision>>();
  private readonly secrets = new Map<string, Pending<string | undefined>>();

  constructor(
    private readonly events: EventHub,
    private readonly store?: SecretStore,
    private readonly timeoutMs = PROMPT_TIMEOUT_MS,
  ) {}

  private wait<T>(
    map: Map<string, Pending<T>>,
    onTimeout: T,
    emit: (id: string) => void,
    ref?: SecretRef,
  ): Promise<T> {
    const id = randomBytes(8).toString('hex');
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        map.delete(id);
        resolve(onTimeout);
      }, this.timeoutMs);
      timer.unref();
      map.set(id, { resolve, timer, ...(ref ? { ref } : {}) });
      emit(id);
    });
  }

  /** Whether answers to secret prompts can be remembered here. */
  keeping(): SecretKeeping {
    return canRemember(this.store) ? this.store.status() : NOT_KEPT;
  }

  askHostKey = (q: Omit<HostKeyPrompt, 'promptId'>): Promise<HostKeyDecision> => {
    if (!this.events.hasListeners) return Promise.resolve('reject');
    return this.wait<HostKeyDecision>(this.hostKeys, 'reject', (promptId) =>
      this.events.emit('hostKey.prompt', { promptId, ...q }),
    );
  };

  askSecret = async (req: SecretRequest): Promise<string | undefined> => {
    const stored = await this.store?.get(req);
    if (stored !== undefined) return stored;
    if (!this.events.hasListeners) return undefined;
    const ref: SecretRef = { host: req.host, kind: req.kind, prompt: req.prompt };
    return this.wait<string | undefined>(
      this.secrets,
      undefined,
      (promptId) => this.events.emit('secret.prompt', { promptId, ...ref, remember: this.keeping() }),
      ref,
    );
  };

  decideHostKey(promptId: string, decision: HostKeyDecision): void {
    const p = this.hostKeys.get(promptId);
    if (!p) throw new NotFoundError(`no open host key prompt ${promptId}`);
    this.hostKeys.delete(promptId);
    clearTimeout(p.timer);
    p.resolve(decision);
  }

  /** Answers a secret prompt; with `remember`, the face's store keeps the value first (where it can). */
  provideSecret(
    promptId: string,
    value: string | null,
    remember = false,
  ): { remembered: boolean; reason?: string } {
    const p = this.secrets.get(promptId);
    if (!p) throw new NotFoundError(`no open secret prompt ${promptId}`);
    this.secrets.delete(promptId);
    clearTimeout(p.timer);
    let kept: { remembered: boolean; reason?: string } = { remembered: false };
    if (remember && value !== null && p.ref) {
      if (canRemember(this.store)) {
        const r = this.store.remember(p.ref, value);
        kept = { remembered: r.stored, ...(r.reason ? { reason: r.reason } : {}) };
      } else kept = { remembered: false, ...(NOT_KEPT.reason ? { reason: NOT_KEPT.reason } : {}) };
    }
    p.resolve(value ?? undefined);
    return kept;
  }

  /** Answers every open prompt with reject/cancel (the core is closing). */
  cancelAll(): void {
    for (const id of [...this.hostKeys.keys()]) this.decideHostKey(id, 'reject');
    for (const id of [...this.secrets.keys()]) this.provideSecret(id, null);
  }
}
