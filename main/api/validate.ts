import type { z } from 'zod';
import {
  events,
  isEventName,
  isMethodName,
  methods,
  type EventName,
  type EventOf,
  type MethodName,
  type ParsedRequestOf,
  type ResponseOf,
} from './contract.js';
import { isTooLargeIssue } from './transfer.js';

/**
 * A request, response or event that does not match the contract; `message` is one line naming every bad field.
 * `too-large` when its only problem is an upload over its cap, else `invalid-request`.
 */
export class ContractError extends Error {
  readonly code: 'invalid-request' | 'too-large';
  constructor(
    message: string,
    readonly issues: readonly z.core.$ZodIssue[] = [],
  ) {
    super(message);
    this.name = 'ContractError';
    this.code = issues.length && issues.every(isTooLargeIssue) ? 'too-large' : 'invalid-request';
  }
}

function pathOf(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

/** Turns zod issues into one line: `what: field: problem; field: problem` (first 5 issues, then a count). */
export function formatIssues(what: string, issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => {
    const at = pathOf(i.path);
    return at ? `${at}: ${i.message}` : i.message;
  });
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
  return `${what}: ${shown.join('; ')}${more}`;
}

/** Parses `value` with `schema` or throws a ContractError carrying one clear message. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ContractError(formatIssues(what, r.error.issues), r.error.issues);
}

export function parseRequest<M extends MethodName>(method: M, value: unknown): ParsedRequestOf<M>;
export function parseRequest(method: string, value: unknown): unknown;
export function parseRequest(method: string, value: unknown): unknown {
  if (!isMethodName(method)) throw new ContractError(`unknown method "${method}"`);
  return parseOrThrow(methods[method].request, value, `invalid ${method} request`);
}

export function parseResponse<M extends MethodName>(method: M, value: unknown): ResponseOf<M> {
  return parseOrThrow(methods[method].response, value, `invalid ${method} response`) as ResponseOf<M>;
}

export function parseEvent<E extends EventName>(event: E, value: unknown): EventOf<E>;
export function parseEvent(event: string, value: unknown): unknown;
export function parseEvent(event: string, value: unknown): unknown {
  if (!isEventName(event)) throw new ContractError(`unknown event "${event}"`);
  return parseOrThrow(events[event], value, `invalid ${event} event`);
}
