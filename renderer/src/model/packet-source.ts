import type { ApiClient } from '../api/client';
import { summarizePacket, type PacketPage, type PacketSummary } from '../../../main/api/packets';
import type { SessionRun } from '../../../main/api/sessions';
import type { PacketPath } from '../../../main/api/trace';
import { pathVariants } from '../../../main/api/path-variants';

/** A distinct path of a run (functions and outcome) and how many packets (and drops) took it. */
export interface VariantInfo {
  functions: string[];
  count: number;
  dropped: number;
  drop_reason?: string | undefined;
  verdict?: string | undefined;
  partial?: boolean | undefined;
}

export type { PacketSummary };

/** What the path explorer shows: a run's packets, read a page and a packet at a time. */
export interface PacketSource {
  /** Changes whenever the packets do (a live run grows), so cached pages and the open packet are refetched. */
  readonly key: string;
  /** Packets in the run (unfiltered). */
  readonly total: number;
  /** The origin of the list's time column. */
  readonly t0: number;
  /** Most frequent first; `variantCount` may be larger when only the top ones are listed. */
  readonly variants: readonly VariantInfo[];
  readonly variantCount: number;
  /** Local sources answer at once; saved sessions page from the core. */
  readonly pageNow?: (offset: number, limit: number, variant?: number) => PacketPage;
  page(offset: number, limit: number, variant?: number): Promise<PacketPage>;
  packet(id: number): Promise<PacketPath>;
}

/** A saved run: metadata from `sessions.get`, pages from `sessions.packets`, hops from `sessions.packet`. */
export function sessionRunSource(client: ApiClient, sessionId: string, run: SessionRun): PacketSource {
  return {
    key: `${sessionId}:${run.id}`,
    total: run.packets,
    t0: run.firstTsNs,
    variants: run.variants,
    variantCount: run.variantCount,
    page: (offset, limit, variant) =>
      client.call('sessions.packets', {
        id: sessionId,
        run: run.id,
        offset,
        limit,
        ...(variant !== undefined ? { filter: { variant } } : {}),
      }),
    packet: (id) => client.call('sessions.packet', { id: sessionId, run: run.id, packet: id }),
  };
}

/** Packets held in the page (a live or just-finished trace); `version` bumps as they arrive. */
export function localSource(key: string, packets: readonly PacketPath[], version: number): PacketSource {
  const found = pathVariants(packets);
  const variantOf = new Map<number, number>();
  found.forEach((v, i) => v.packet_ids.forEach((id) => variantOf.set(id, i)));
  const variants = found.map((v) => ({ ...v, dropped: v.dropped ?? 0 }));
  let members: PacketPath[][] | undefined; // per-variant packet lists, built on the first filtered page
  const membersOf = (): PacketPath[][] => {
    if (!members) {
      const m: PacketPath[][] = variants.map(() => []);
      for (const p of packets) m[variantOf.get(p.id) ?? 0]?.push(p);
      members = m;
    }
    return members;
  };
  const pageNow = (offset: number, limit: number, variant?: number): PacketPage => {
    const list: readonly PacketPath[] = variant === undefined ? packets : (membersOf()[variant] ?? []);
    const rows: PacketSummary[] = [];
    for (const p of list.slice(offset, offset + limit))
      rows.push(summarizePacket(p, variantOf.get(p.id) ?? 0));
    return { total: list.length, offset, packets: rows };
  };
  const byId = new Map(packets.map((p) => [p.id, p]));
  return {
    key: `${key}@${version}`,
    total: packets.length,
    t0: packets[0]?.hops[0]?.ts_ns ?? 0,
    variants,
    variantCount: variants.length,
    pageNow,
    page: (offset, limit, variant) => Promise.resolve(pageNow(offset, limit, variant)),
    packet: (id) => {
      const p = byId.get(id);
      return p ? Promise.resolve(p) : Promise.reject(new Error(`no packet ${id}`));
    },
  };
}

/** A hop's Δt from the previous hop of the same packet (0 for the first). */
export function hopDeltas(p: PacketPath): number[] {
  return p.hops.map((h, i) => h.ts_ns - (p.hops[i - 1]?.ts_ns ?? h.ts_ns));
}
