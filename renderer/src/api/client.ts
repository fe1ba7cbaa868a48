import {
  ResponseEnvelopeSchema,
  isEventName,
  type EventName,
  type EventOf,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '../../../main/api/contract.js';
import type { ApiError } from '../../../main/api/errors.js';
import type { Transport } from './transport.js';

/** A failed call: the contract's error code and one human line (plus details such as both fingerprints). */
export class ApiCallError extends Error {
  constructor(
    readonly code: ApiError['code'] | 'transport',
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/** No answer within this long means the core is stuck or gone: the call fails rather than leave a view waiting. */
export const CALL_TIMEOUT_MS = 30_000;
/** Calls that reach a host can wait on the user's answer to a host-key or password prompt (the core waits 5 min),
 * a slow link, or thousands of probes detaching. */
const SLOW_CALL_TIMEOUT_MS = 6 * 60_000;
const SLOW_METHODS: ReadonlySet<MethodName> = new Set([
  'hosts.testConnection',
  'probe.run',
  'filter.check',
  'trace.stop',
  'sessions.export',
  'sessions.import',
]);

type Listener<E extends EventName> = (payload: EventOf<E>) => void;

/**
 * The renderer's one way to the core, identical over both transports. Requests, responses and events are typed by
 * the contract and validated once, in the core (its `call` and event hub): the page's own server, authenticated by
 * its token, is the only peer, so checking them again here would only repeat that. Envelopes are checked.
 */
export class ApiClient {
  private nextId = 1;
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();

  constructor(readonly transport: Transport) {
    transport.onEvents((batch) => {
      for (const { event, payload } of batch) {
        if (!isEventName(event)) continue;
        const set = this.listeners.get(event);
        if (!set?.size) continue;
        for (const l of set) l(payload as EventOf<EventName>);
      }
    });
  }

  async call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    let raw: unknown;
    try {
      raw = await withTimeout(
        this.transport.send({ id: this.nextId++, method, request }),
        SLOW_METHODS.has(method) ? SLOW_CALL_TIMEOUT_MS : CALL_TIMEOUT_MS,
        method,
      );
    } catch (e) {
      if (e instanceof ApiCallError) throw e;
      throw new ApiCallError('transport', (e as Error).message);
    }
    const env = ResponseEnvelopeSchema.safeParse(raw);
    if (!env.success) throw new ApiCallError('internal', `malformed response to ${method}`);
    if (!env.data.ok)
      throw new ApiCallError(env.data.error.code, env.data.error.message, env.data.error.details);
    return env.data.response as ResponseOf<M>;
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => void set.delete(listener as Listener<EventName>);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, method: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ApiCallError(
            'timeout',
            `${method}: no answer from pktpath within ${ms / 1000} s: is it still running?`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
