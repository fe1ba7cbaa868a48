import { ApiErrorCodeSchema, type ApiError } from './errors.js';
import {
  RequestEnvelopeSchema,
  isMethodName,
  type EventName,
  type EventOf,
  type MethodName,
  type RequestOf,
  type ResponseOf,
} from './contract.js';
import { ContractError, formatIssues } from './validate.js';

/**
 * What every face talks to: the core in-process (CLI), or the core behind a transport (browser mode's WebSocket,
 * Electron's preload). Implementations validate requests on the way in and responses on the way out — the one
 * place either is parsed (createCore's `call`): transports and the renderer pass them through.
 */
export interface ApiHandler {
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: EventListener): () => void;
}

/** An event's name and payload as a discriminated pair: a listener's `if (event === 'trace.end')` narrows
 * `payload` to that event's type, no cast. */
export type EventArgs = { [E in EventName]: [event: E, payload: EventOf<E>] }[EventName];
export type EventListener = (...args: EventArgs) => void;

/** The pair an emitter with a generic event name hands to listeners (the one place the pairing is asserted). */
export const eventArgs = <E extends EventName>(event: E, payload: EventOf<E>): EventArgs =>
  [event, payload] as EventArgs;

/** An error a handler throws that carries a contract error code (the core's errors do). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ContractError) return { code: e.code, message: e.message };
  if (e && typeof e === 'object' && 'code' in e && 'message' in e && typeof e.message === 'string') {
    const code = (e as { code: unknown }).code;
    const details = (e as { details?: unknown }).details;
    if (typeof code === 'string' && API_CODES.has(code))
      return {
        code: code as ApiError['code'],
        message: e.message,
        ...(details && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}),
      };
  }
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

const API_CODES = new Set<string>(ApiErrorCodeSchema.options);

export type ResponseEnvelope =
  { id: string | number; ok: true; response: unknown } | { id: string | number; ok: false; error: ApiError };

/**
 * The server side of every transport: takes an untrusted `{ id, method, request }` as it came off the wire, checks
 * the envelope and the method's name, hands the request to the handler (which validates it and its response:
 * parsing them here too would only repeat that), and never throws.
 */
export async function dispatchEnvelope(handler: ApiHandler, raw: unknown): Promise<ResponseEnvelope> {
  const env = RequestEnvelopeSchema.safeParse(raw);
  if (!env.success)
    return {
      id: -1,
      ok: false,
      error: { code: 'invalid-request', message: formatIssues('invalid envelope', env.error.issues) },
    };
  const { id, method, request } = env.data;
  if (!isMethodName(method))
    return { id, ok: false, error: { code: 'invalid-request', message: `unknown method "${method}"` } };
  try {
    return { id, ok: true, response: await handler.call(method, request as RequestOf<MethodName>) };
  } catch (e) {
    return { id, ok: false, error: toApiError(e) };
  }
}
