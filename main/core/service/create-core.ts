import { join } from 'node:path';
import type { ApiHandler, EventListener } from '../../api/handler.js';
import type { MethodName, RequestOf, ResponseOf } from '../../api/contract.js';
import { ContractError, parseRequest, parseResponse } from '../../api/validate.js';
import { ensureDir, pktpathHome } from '../data-dir.js';
import { CoreError } from '../errors.js';
import { findResourcesDir, HostAccess } from '../hosts/host-access.js';
import { HostStore } from '../inventory/host-store.js';
import { ProbeCache } from '../probe/probe-cache.js';
import type { SecretStore } from '../secrets/secret-store.js';
import { SessionStore } from '../sessions/session-store.js';
import { HostKeyStore } from '../ssh/host-key-store.js';
import { endReasonOf } from '../trace/end-reason.js';
import { RunRegistry } from '../trace/run-registry.js';
import type { CoreContext, MethodHandler, MethodTable } from './core-context.js';
import { EventHub } from './event-hub.js';
import { PromptBroker } from './prompt-broker.js';
import { filterMethods } from './methods/filter-methods.js';
import { flowMethods } from './methods/flow-methods.js';
import { compareMethods } from './methods/compare-methods.js';
import { hostMethods } from './methods/hosts-methods.js';
import { probeMethods } from './methods/probe-methods.js';
import { promptMethods } from './methods/prompt-methods.js';
import { sessionMethods } from './methods/sessions-methods.js';
import { traceMethods } from './methods/trace-methods.js';

export interface CoreOptions {
  /** Data dir; default $PKTPATH_HOME, else the platform's app-data dir. */
  home?: string;
  /** Where resources/manifest.json and the loaders are; default the package's own resources/. */
  resourcesDir?: string;
  /**
   * Where a face keeps passwords and passphrases (Electron: safeStorage); none = always ask. A
   * RememberingSecretStore (prompt-broker.ts) also keeps answers sent with `secret.provide { remember: true }`.
   */
  secrets?: SecretStore;
  /** The user's known_hosts files (read only); default ~/.ssh/known_hosts. */
  knownHostsFiles?: readonly string[];
}

/** The core as every face sees it: the API contract, plus `close`, which stops runs, detaches and disconnects. */
export interface CoreService extends ApiHandler {
  close(): Promise<void>;
  readonly home: string;
}

export async function createCore(opts: CoreOptions = {}): Promise<CoreService> {
  const home = ensureDir(opts.home ?? pktpathHome());
  const events = new EventHub();
  const prompts = new PromptBroker(events, opts.secrets);
  const hosts = new HostStore(home);
  const hostKeys = new HostKeyStore({
    ...(opts.knownHostsFiles ? { userFiles: opts.knownHostsFiles } : {}),
    ownFile: join(home, 'known_hosts'),
  });
  const access = new HostAccess(
    {
      hostKeys,
      askHostKey: prompts.askHostKey,
      secrets: prompts.askSecret,
      resolveHost: (name) => hosts.get(name),
    },
    opts.resourcesDir ?? findResourcesDir(),
    (host, target) =>
      prompts.askSecret({ host: host.name, kind: 'sudo-password', prompt: `sudo password on ${target}` }),
  );
  const probeCache = new ProbeCache(home, () => access.loaderStamp());
  const runs = new RunRegistry({
    home,
    access,
    probeCache,
    progress: (e) => events.emit('trace.progress', e),
    packets: (runId, packets) => events.emit('trace.packets', { runId, packets }),
    onEnd: (run) =>
      events.emit('trace.end', {
        runId: run.id,
        run: run.toRun(),
        ...(run.recorded ? { recorded: { packets: run.recorded.packets, file: run.recorded.file } } : {}),
        ...(run.error ? { error: run.error } : {}),
        reason: endReasonOf(run),
      }),
  });
  const ctx: CoreContext = {
    home,
    hosts,
    sessions: new SessionStore(home),
    probeCache,
    access,
    events,
    prompts,
    runs,
  };

  const table: MethodTable<MethodName> = {
    ...hostMethods(ctx),
    ...probeMethods(ctx),
    ...filterMethods(ctx),
    ...traceMethods(ctx),
    ...sessionMethods(ctx),
    ...flowMethods(ctx),
    ...compareMethods(ctx),
    ...promptMethods(ctx),
  };
  let closed = false;

  return {
    home,
    async call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
      if (closed) throw new CoreError('internal', 'the pktpath core is closed');
      const parsed = parseRequest(method, request);
      const handler = table[method] as MethodHandler<M> | undefined;
      if (!handler) throw new ContractError(`unknown method "${String(method)}"`);
      const response = await handler(parsed);
      try {
        return parseResponse(method, response);
      } catch (e) {
        // our own bug, not the caller's: never report it as a bad request
        throw new CoreError('internal', (e as Error).message);
      }
    },
    onEvent(listener: EventListener): () => void {
      return events.subscribe(listener);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      prompts.cancelAll();
      await runs.stopAll();
      access.close();
    },
  };
}
