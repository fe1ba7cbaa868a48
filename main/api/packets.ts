import { z } from 'zod';
import { VerdictKindSchema } from './explain.js';
import { MAX_DISPLAY_FILTER } from './display-filter/index.js';
import { FiveTupleSchema, type Hop, type PacketCapture, type PacketPath } from './trace.js';

/**
 * Paged packets of a saved run (`sessions.packets`): one flat row per packet, enough for a packet list without the
 * hops. Flat objects of primitives keep validating a page cheap at both ends; `sessions.packet` gives the hops.
 */
export const PacketSummarySchema = z.object({
  id: z.int().nonnegative(),
  hops: z.int().nonnegative(),
  /** The first hop's time (host ktime, ns). */
  first_ts_ns: z.number().nonnegative(),
  /** Last hop − first hop. */
  duration_ns: z.number().nonnegative(),
  /** The first 5-tuple seen on the packet. */
  tuple: FiveTupleSchema.nullable(),
  drop_reason: z.string().nullable(),
  /** How many hops changed interface or network namespace from the hop before. */
  if_changes: z.int().nonnegative(),
  last_function: z.string(),
  /** Index of the packet's path variant in its run's `variants`. */
  variant: z.int().nonnegative(),
  /** Packet bytes were captured (`capture` in the trace spec): the pcapng export includes this packet. */
  captured: z.boolean().optional(),
  /** The packet's `cut` / `partial` flag (PacketPath), set only when true; saved runs' indexes do not keep them. */
  cut: z.boolean().optional(),
  partial: z.boolean().optional(),
  /** The path's first function (its last is `last_function`). */
  first_function: z.string().optional(),
  /** The packet's verdict kind (explain), when the run has it. */
  verdict: VerdictKindSchema.optional(),
  /** Interface and network namespace names its hops carried (absent when none had a name). */
  ifnames: z.array(z.string()).optional(),
  netns_names: z.array(z.string()).optional(),
});
export type PacketSummary = z.infer<typeof PacketSummarySchema>;

export const PacketSortSchema = z.enum(['time', 'duration', 'hops']);
export type PacketSort = z.infer<typeof PacketSortSchema>;

export const PacketQuerySchema = z.object({
  offset: z.int().nonnegative().default(0),
  limit: z.int().min(1).max(2000).default(200),
  /** `time` is capture order; ties keep it. */
  sort: PacketSortSchema.default('time'),
  desc: z.boolean().default(false),
  filter: z
    .object({
      /** Only packets of this path variant (index into the run's `variants`). */
      variant: z.int().nonnegative().optional(),
      /** true: only packets whose verdict is dropped (api/explain.ts isDropped); false: only the others. */
      dropped: z.boolean().optional(),
      /** Only packets with this verdict (docs/CLI.md "Explain"; computed over the run when first asked). */
      verdict: VerdictKindSchema.optional(),
      /** A display filter (main/api/display-filter/, docs/APP.md): `tcp.port == 443 && drop`. An invalid one is
       * refused with `invalid-request` saying where. */
      display: z.string().max(MAX_DISPLAY_FILTER).optional(),
      /** Only packets whose first hop is in [from_ns, to_ns] (ns since the run's first packet, as the display
       * filter's `time`): a range picked on the timeline. */
      time: z.object({ from_ns: z.number(), to_ns: z.number() }).strict().optional(),
    })
    .strict()
    .default({}),
});
export type PacketQuery = z.output<typeof PacketQuerySchema>;

export const PacketPageSchema = z.object({
  /** Packets matching the filter (the list's length). */
  total: z.int().nonnegative(),
  offset: z.int().nonnegative(),
  packets: z.array(PacketSummarySchema),
});
export type PacketPage = z.infer<typeof PacketPageSchema>;

/** The captured bytes a packet record carries in a run file (none in contract responses). */
export function capturesOf(p: PacketPath): PacketCapture[] {
  const c = (p as { captures?: unknown }).captures;
  return Array.isArray(c) ? (c as PacketCapture[]) : [];
}

/** The summary row of a whole packet (the core indexes saved runs with it; the renderer uses it for live runs). */
export function summarizePacket(p: PacketPath, variant: number): PacketSummary {
  const first = p.hops[0];
  const last = p.hops.at(-1);
  let tuple: Hop['tuple'];
  let ifChanges = 0;
  let prev: Hop | undefined;
  for (const h of p.hops) {
    tuple ??= h.tuple;
    if (prev && (prev.ifindex !== h.ifindex || prev.netns !== h.netns)) ifChanges++;
    prev = h;
  }
  return {
    id: p.id,
    hops: p.hops.length,
    first_ts_ns: first?.ts_ns ?? 0,
    duration_ns: first && last ? Math.max(0, last.ts_ns - first.ts_ns) : 0,
    tuple: tuple ?? null,
    drop_reason: p.drop_reason,
    if_changes: ifChanges,
    last_function: last?.function ?? '',
    variant,
    // only when set: live packets never carry bytes (they go to the run file when the run is saved)
    ...(capturesOf(p).length ? { captured: true } : {}),
    ...(p.cut ? { cut: true } : {}),
    ...(p.partial ? { partial: true } : {}),
    ...(first ? { first_function: first.function } : {}),
    ...(p.verdict ? { verdict: p.verdict.kind } : {}),
    ...namesOf(p.hops),
  };
}

/** The distinct interface and namespace names of a packet's hops, in order of first sight. */
export function namesOf(hops: readonly Hop[]): { ifnames?: string[]; netns_names?: string[] } {
  const ifs = new Set<string>();
  const ns = new Set<string>();
  for (const h of hops) {
    if (h.ifname) ifs.add(h.ifname);
    if (h.netns_name) ns.add(h.netns_name);
  }
  return { ...(ifs.size ? { ifnames: [...ifs] } : {}), ...(ns.size ? { netns_names: [...ns] } : {}) };
}
