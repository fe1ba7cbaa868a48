import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventListener } from '../../api/handler.js';

/**
 * One client of a face that the core may ask questions (a browser tab's WebSocket). Requests served on its behalf
 * run inside `actingFor(client, …)`; a prompt raised while serving them — even from an SSH handshake's callbacks,
 * which inherit the async context — goes to this client only and only this client may answer it. Closing the
 * client answers its open prompts with reject/cancel.
 */
export class PromptClient {
  private readonly closers = new Set<() => void>();
  private closed = false;

  /** Without `deliver` (a one-shot HTTP call) there is no channel to ask on: prompts are refused at once. */
  constructor(private readonly deliver?: EventListener) {}

  get reachable(): boolean {
    return !this.closed && this.deliver !== undefined;
  }

  send: EventListener = (...args) => {
    if (!this.closed) this.deliver?.(...args);
  };

  /** Calls `fn` once when the client goes away; returns the function that unregisters it. */
  whenClosed(fn: () => void): () => void {
    this.closers.add(fn);
    return () => void this.closers.delete(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fn of [...this.closers]) fn();
    this.closers.clear();
  }
}

const acting = new AsyncLocalStorage<PromptClient>();

/** Runs `fn` (and everything it starts) on behalf of `client`. */
export function actingFor<T>(client: PromptClient, fn: () => T): T {
  return acting.run(client, fn);
}

/** The client the current request is served for; undefined outside `actingFor` (CLI, desktop app). */
export function currentPromptClient(): PromptClient | undefined {
  return acting.getStore();
}
