import { placesOf } from '../../api/display-filter/index.js';
import { VerdictKindSchema, type VerdictKind } from '../../api/explain.js';
import type { PacketPath } from '../../api/trace.js';

/**
 * The interfaces and namespaces a packet passed, as a run file's `places` table keeps them (docs/SESSION-FORMAT.md):
 * names where the hops carried them, and ifindexes / netns inodes as decimal text — what the display filter's
 * `iface` and `netns` match, and (the names) what the packet list shows.
 */
export interface PlaceEntry {
  ifaces: string[];
  netns: string[];
}

/** A packet's place entry and the key it is interned by. */
export function placeOf(p: PacketPath): { key: string; entry: PlaceEntry } {
  const entry = placesOf(p.hops);
  return { key: JSON.stringify(entry), entry };
}

const NUMBER = /^\d+$/;

/** The names among a place entry's values (numbers are ifindexes and inodes). */
export function placeNames(e: PlaceEntry | undefined): { ifnames?: string[]; netns_names?: string[] } {
  const ifnames = e?.ifaces.filter((v) => !NUMBER.test(v)) ?? [];
  const nsnames = e?.netns.filter((v) => !NUMBER.test(v)) ?? [];
  return { ...(ifnames.length ? { ifnames } : {}), ...(nsnames.length ? { netns_names: nsnames } : {}) };
}

export function isVerdictKind(v: unknown): v is VerdictKind {
  return VerdictKindSchema.safeParse(v).success;
}

export function isPlaceEntry(v: unknown): v is PlaceEntry {
  const strings = (a: unknown) => Array.isArray(a) && a.every((s) => typeof s === 'string');
  return (
    typeof v === 'object' &&
    v !== null &&
    strings((v as PlaceEntry).ifaces) &&
    strings((v as PlaceEntry).netns)
  );
}
