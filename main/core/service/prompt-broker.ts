import { randomBytes } from 'node:crypto';
import type { EventOf, HostKeyPrompt } from '../../api/contract.js';
import { eventArgs } from '../../api/handler.js';
import { parseEvent } from '../../api/validate.js';
import { NotFoundError } from '../errors.js';
import type { SecretRef, SecretStore } from '../secrets/secret-store.js';
import type { HostKeyDecision } from '../../api/contract.js';
import type { SecretRequest } from '../ssh/connection.js';
import type { EventHub } from './event-hub.js';
import { currentPromptClient, type PromptClient } from './prompt-client.js';

/** How long an unanswered prompt waits before it counts as "reject" / "cancel". */
export const PROMPT_TIMEOUT_MS = 5 * 60_000;

interface Pending<T> {
  resolve: (v: T) => void;
  timer: NodeJS.Timeout;
  /** What a secret prompt asked (to remember the answer under). */
  ref?: SecretRef;
  /** The client the question was asked for: only it may answer (undefined: asked of every face). */
  owner?: PromptClient;
  /** Stops watching the owner's close. */
  release?: () => void;
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
 * `secret.prompt` events and waits for the face's `hostKey.decide` / `secret.provide`. A question raised for a
 * browser client goes to that client alone (prompt-client.ts). With nobody to ask the answer is an immediate
 * reject/cancel, so a headless caller never hangs on a question no one can see.
 */
export class PromptBroker {
  private readonly hostKeys = new Map<string, Pending<HostKeyDecision>>();
  private readonly secrets = new Map<string, Pending<string | undefined>>();
  /** Open host-key questions by key, with the client each was asked for (askHostKey). */
  private readonly openHostKeys = new Map<
    string,
    { owner: PromptClient | undefined; answer: Promise<HostKeyDecision> }[]
  >();

  constructor(
    private readonly events: EventHub,
    private readonly store?: SecretStore,
    private readonly timeoutMs = PROMPT_TIMEOUT_MS,
  ) {}

  /**
   * Asks on behalf of the current client (prompt-client.ts) when there is one, else every subscribed face; answers
   * `noAnswer` at once when nobody can be asked, after the timeout, or when the asking client goes away.
   */
  private ask<T, E extends 'hostKey.prompt' | 'secret.prompt'>(
    map: Map<string, Pending<T>>,
    noAnswer: T,
    event: E,
    payload: (promptId: string) => EventOf<E>,
    ref?: SecretRef,
  ): Promise<T> {
    const owner = currentPromptClient();
    if (owner ? !owner.reachable : !this.events.hasListeners) return Promise.resolve(noAnswer);
    const id = randomBytes(8).toString('hex');
    const expire = () => this.take(map, id)?.resolve(noAnswer);
    return new Promise<T>((resolve) => {
      const timer = setTimeout(expire, this.timeoutMs);
      timer.unref();
      map.set(id, {
        resolve,
        timer,
        ...(ref ? { ref } : {}),
        ...(owner ? { owner, release: owner.whenClosed(expire) } : {}),
      });
      if (owner) owner.send(...eventArgs(event, parseEvent(event, payload(id))));
      else this.events.emit(event, payload(id));
    });
  }

  /** Removes an open prompt that `asker` may answer: its owner, or anyone for a prompt asked of every face. */
  private take<T>(
    map: Map<string, Pending<T>>,
    id: string,
    asker: PromptClient | 'any' = 'any',
  ): Pending<T> | undefined {
    const p = map.get(id);
    if (!p || (asker !== 'any' && p.owner !== undefined && p.owner !== asker)) return undefined;
    map.delete(id);
    clearTimeout(p.timer);
    p.release?.();
    return p;
  }

  /** Whether answers to secret prompts can be remembered here. */
  keeping(): SecretKeeping {
    return canRemember(this.store) ? this.store.status() : NOT_KEPT;
  }

  /**
   * One question per key: connections racing to the same host (a connection test and a filter check, say) that
   * meet the same unknown key for the same client share the open question and its answer, instead of asking again
   * right after the user answered.
   */
  askHostKey = (q: Omit<HostKeyPrompt, 'promptId'>): Promise<HostKeyDecision> => {
    const owner = currentPromptClient();
    const key = `${q.hostPattern}\0${q.keyType}\0${q.fingerprint}`;
    const open = this.openHostKeys.get(key)?.find((o) => o.owner === owner);
    if (open) return open.answer;
    const answer = this.ask<HostKeyDecision, 'hostKey.prompt'>(
      this.hostKeys,
      'reject',
      'hostKey.prompt',
      (id) => ({
        promptId: id,
        ...q,
      }),
    );
    const entry = { owner, answer };
    this.openHostKeys.set(key, [...(this.openHostKeys.get(key) ?? []), entry]);
    const done = () => {
      const left = (this.openHostKeys.get(key) ?? []).filter((o) => o !== entry);
      if (left.length) this.openHostKeys.set(key, left);
      else this.openHostKeys.delete(key);
    };
    void answer.then(done, done);
    return answer;
  };

  askSecret = async (req: SecretRequest): Promise<string | undefined> => {
    const stored = await this.store?.get(req);
    if (stored !== undefined) return stored;
    const ref: SecretRef = { host: req.host, kind: req.kind, prompt: req.prompt };
    return this.ask<string | undefined, 'secret.prompt'>(
      this.secrets,
      undefined,
      'secret.prompt',
      (promptId) => ({ promptId, ...ref, remember: this.keeping() }),
      ref,
    );
  };

  decideHostKey(promptId: string, decision: HostKeyDecision): void {
    const p = this.take(this.hostKeys, promptId, currentPromptClient());
    if (!p) throw new NotFoundError(`no open host key prompt ${promptId}`);
    p.resolve(decision);
  }

  /** Answers a secret prompt; with `remember`, the face's store keeps the value first (where it can). */
  provideSecret(
    promptId: string,
    value: string | null,
    remember = false,
  ): { remembered: boolean; reason?: string } {
    const p = this.take(this.secrets, promptId, currentPromptClient());
    if (!p) throw new NotFoundError(`no open secret prompt ${promptId}`);
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
    for (const id of [...this.hostKeys.keys()]) this.take(this.hostKeys, id)?.resolve('reject');
    for (const id of [...this.secrets.keys()]) this.take(this.secrets, id)?.resolve(undefined);
  }
}
