import type { MethodName, ParsedRequestOf, ResponseOf } from '../../api/contract.js';
import type { HostAccess } from '../hosts/host-access.js';
import type { HostStore } from '../inventory/host-store.js';
import type { ProbeCache } from '../probe/probe-cache.js';
import type { SessionStore } from '../sessions/session-store.js';
import type { RunRegistry } from '../trace/run-registry.js';
import type { EventHub } from './event-hub.js';
import type { PromptBroker } from './prompt-broker.js';

/** The parts of a running core that method handlers share. */
export interface CoreContext {
  home: string;
  hosts: HostStore;
  sessions: SessionStore;
  probeCache: ProbeCache;
  access: HostAccess;
  events: EventHub;
  prompts: PromptBroker;
  runs: RunRegistry;
}

/** A handler gets the validated request (defaults applied); its response is validated by the caller. */
export type MethodHandler<M extends MethodName> = (
  request: ParsedRequestOf<M>,
) => Promise<ResponseOf<M>> | ResponseOf<M>;

export type MethodTable<K extends MethodName> = { [M in K]: MethodHandler<M> };
