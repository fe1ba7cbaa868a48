import type { FactNeeds, PacketFacts } from './facts.js';
import { FilterSyntaxError, type FilterError } from './lexer.js';
import { Parser } from './parse.js';

/**
 * The packet list's display filter (docs/APP.md, "Display filter"): Wireshark-like expressions over a packet's
 * 5-tuple, path, drop, verdict, interfaces, namespaces and timing — `ip.addr == 10.0.0.1 && tcp.port == 443`,
 * `drop`, `func contains nf_`, `verdict == dropped`, `dur > 1ms`. One parser for the core (saved runs, the CLI)
 * and the renderer (checked as you type, live runs), so a filter means the same everywhere.
 */
export interface DisplayFilter {
  source: string;
  /** Empty filters match everything and need nothing. */
  empty: boolean;
  test(f: PacketFacts): boolean;
  needs: FactNeeds;
}

export type DisplayFilterResult = { ok: true; filter: DisplayFilter } | { ok: false; error: FilterError };

/** The longest filter accepted (the contract caps `display` at this too). */
export const MAX_DISPLAY_FILTER = 2000;

export function parseDisplayFilter(source: string): DisplayFilterResult {
  if (!source.trim())
    return {
      ok: true,
      filter: { source, empty: true, test: () => true, needs: { places: false, verdict: false } },
    };
  if (source.length > MAX_DISPLAY_FILTER)
    return {
      ok: false,
      error: {
        message: `longer than ${MAX_DISPLAY_FILTER} characters`,
        at: MAX_DISPLAY_FILTER,
        end: source.length,
      },
    };
  try {
    const { test, needs } = Parser.parse(source);
    return { ok: true, filter: { source, empty: false, test, needs } };
  } catch (e) {
    if (e instanceof FilterSyntaxError) return { ok: false, error: e.toFilterError() };
    throw e;
  }
}

/** "at character 9 (“adr”): unknown field …" — where, in words, then what. */
export function describeFilterError(source: string, e: FilterError): string {
  const piece = source.slice(e.at, Math.min(e.end, e.at + 24));
  const where =
    e.at >= source.length ? 'at the end' : `at character ${e.at + 1}${piece.trim() ? ` (“${piece}”)` : ''}`;
  return `${where}: ${e.message}`;
}

export type { FilterError } from './lexer.js';
export type { PacketFacts, FactNeeds } from './facts.js';
export { factsOfPacket, placesOf, verdictKindOf } from './facts.js';
export { FIELDS, ALIASES } from './fields.js';
