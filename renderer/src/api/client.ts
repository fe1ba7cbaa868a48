import {
  ResponseEnvelopeSchema,
  isEventName,
  type EventName,
  type EventOf,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from '../../../main/api/contract';
import type { ApiError } from '../../../main/api/errors';
import { ContractError, parseEvent, parseRequest, parseResponse } from '../../../main/api/validate';
import type { Transport } from './transport';

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

type Listener<E extends EventName> = (payload: EventOf<E>) => void;

/**
 * The renderer's one way to the core, identical over both transports. Requests are checked against the contract
 * before they leave (the same one-line errors the core would give), and responses and events are validated when
 * they arrive: nothing untyped reaches a view.
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
        let checked: unknown;
        try {
          checked = parseEvent(event, payload);
        } catch (e) {
          console.error(e);
          continue;
        }
        for (const l of set) l(checked as EventOf<EventName>);
      }
    });
  }

  async call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    let parsed: unknown;
    try {
      parsed = parseRequest(method, request);
    } catch (e) {
      throw new ApiCallError(e instanceof ContractError ? e.code : 'invalid-request', (e as Error).message);
    }
    let raw: unknown;
    try {
      raw = await this.transport.send({ id: this.nextId++, method, request: parsed });
    } catch (e) {
      throw new ApiCallError('transport', (e as Error).message);
    }
    const env = ResponseEnvelopeSchema.safeParse(raw);
    if (!env.success) throw new ApiCallError('internal', `malformed response to ${method}`);
    if (!env.data.ok)
      throw new ApiCallError(env.data.error.code, env.data.error.message, env.data.error.details);
    try {
      return parseResponse(method, env.data.response);
    } catch (e) {
      throw new ApiCallError('internal', (e as Error).message);
    }
  }

  on<E extends EventName>(event: E, listener: Listener<E>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return () => void set.delete(listener as Listener<EventName>);
  }
}
