import { z } from 'zod';
import { VerdictKindSchema } from './explain.js';

/** A packet of a run of a session: what `compare SESSION:RUN:PACKET` names. */
export const PathRefSchema = z.object({
  session: z.string().min(1),
  run: z.string().min(1).optional(),
  packet: z.int().nonnegative().optional(),
});
export type PathRef = z.infer<typeof PathRefSchema>;

export const RunRefSchema = z.object({ session: z.string().min(1), run: z.string().min(1).optional() });
export type RunRef = z.infer<typeof RunRefSchema>;

/** Where a hop was and how it ended, beside its function in a compare row. */
export const HopBriefSchema = z.object({
  ifindex: z.int().nonnegative(),
  netns: z.int().nonnegative(),
  ifname: z.string().optional(),
  netns_name: z.string().optional(),
  drop_reason: z.string().optional(),
});
export type HopBrief = z.infer<typeof HopBriefSchema>;

/**
 * One aligned row: `same` hops appear on both sides, `missing` only in A (B lacks it), `inserted` only in B, and
 * `changed` where B has another function at the place of A's (a replaced hop: `function` is A's, `b_function` B's).
 * Δt of a hop is the time since the previous hop on the same side; `delta_ns` = B's Δt − A's Δt on `same` rows.
 */
export const AlignedRowSchema = z.object({
  op: z.enum(['same', 'missing', 'inserted', 'changed']),
  a_index: z.int().nonnegative().nullable(),
  b_index: z.int().nonnegative().nullable(),
  function: z.string(),
  /** B's function on a `changed` row, and on a `same` row whose two hops are one function under names of different
   * kernel versions (`function` is A's; see PathComparison.equivalences). */
  b_function: z.string().optional(),
  /** Each side's hop: interface, netns (names where known) and drop reason. */
  a_hop: HopBriefSchema.optional(),
  b_hop: HopBriefSchema.optional(),
  a_dt_ns: z.number().nullable(),
  b_dt_ns: z.number().nullable(),
  delta_ns: z.number().nullable(),
});
export type AlignedRow = z.infer<typeof AlignedRowSchema>;

export const DivergenceSchema = z.object({
  a_index: z.int().nonnegative(),
  b_index: z.int().nonnegative(),
  /** null when that side has ended at the divergence point. */
  a_function: z.string().nullable(),
  b_function: z.string().nullable(),
});
export type Divergence = z.infer<typeof DivergenceSchema>;

/**
 * One difference between two runs' host contexts (issue 9), by namespace name: `a`/`b` are the values on each side,
 * null where that side lacks it (a route only in B has `a: null`).
 */
export const ContextChangeSchema = z.object({
  netns: z.string(),
  kind: z.enum(['namespace', 'link', 'route', 'rule', 'sysctl', 'nftables', 'iptables', 'tc', 'listener']),
  /** What differs: the interface, route, rule or sysctl name, the rule text. */
  key: z.string(),
  a: z.string().nullable(),
  b: z.string().nullable(),
});
export type ContextChange = z.infer<typeof ContextChangeSchema>;

/** How two runs' host contexts differ (start snapshots, else end). Absent where the two packets share a run. */
export const ContextDiffSchema = z.object({
  /** false when a side has no context (traced with --no-context or before it existed): `changes` is then empty. */
  available: z.boolean(),
  changes: z.array(ContextChangeSchema),
  /** More changes than listed (the list is bounded). */
  truncated: z.boolean().optional(),
});
export type ContextDiff = z.infer<typeof ContextDiffSchema>;

/** Two names of one kernel function, aligned because the kernels differ (main/core/compare/function-equivalence.ts). */
export const EquivalenceUseSchema = z.object({
  a_function: z.string(),
  b_function: z.string(),
  /** What the function does. */
  role: z.string(),
  /** Where the equivalence comes from (upstream commit, lab measurement). */
  evidence: z.string(),
});
export type EquivalenceUse = z.infer<typeof EquivalenceUseSchema>;

export const PathComparisonSchema = z.object({
  identical: z.boolean(),
  first_divergence: DivergenceSchema.nullable(),
  rows: z.array(AlignedRowSchema),
  inserted: z.array(z.object({ b_index: z.int().nonnegative(), function: z.string() })),
  missing: z.array(z.object({ a_index: z.int().nonnegative(), function: z.string() })),
  a_total_ns: z.number(),
  b_total_ns: z.number(),
  total_delta_ns: z.number(),
  /** The two runs' host contexts compared (docs/CLI.md "compare"), when the packets come from different runs. */
  context_diff: ContextDiffSchema.optional(),
  /** Each pair of differently named hops the alignment matched as one function (absent: none). */
  equivalences: z.array(EquivalenceUseSchema).optional(),
});
export type PathComparison = z.infer<typeof PathComparisonSchema>;

export const PathVariantSchema = z.object({
  functions: z.array(z.string()),
  count: z.int().positive(),
  packet_ids: z.array(z.int().nonnegative()),
  /** The outcome is part of a variant's identity (main/api/path-variants.ts): the drop reason its packets share… */
  drop_reason: z.string().optional(),
  /** …and their verdict kind, where the core explained them. */
  verdict: VerdictKindSchema.optional(),
  /** How many of its packets were dropped. */
  dropped: z.int().nonnegative().optional(),
  /** Its packets are fragments or were cut by the end of the trace (`partial`/`cut`); listed after complete ones. */
  partial: z.boolean().optional(),
});
export type PathVariant = z.infer<typeof PathVariantSchema>;

/** Two runs side by side: each run's variants (most frequent first) and how their sets of variants relate. */
export const RunComparisonSchema = z.object({
  a_variants: z.array(PathVariantSchema),
  b_variants: z.array(PathVariantSchema),
  /** Index pairs of variants with the same function sequence and outcome (verdict, drop reason) in both runs. */
  shared: z.array(z.object({ a: z.int().nonnegative(), b: z.int().nonnegative() })),
  only_a: z.array(z.int().nonnegative()),
  only_b: z.array(z.int().nonnegative()),
  /** The most frequent variant of A against the most frequent of B (absent when a run has no packets). */
  dominant: PathComparisonSchema.nullable(),
  context_diff: ContextDiffSchema.optional(),
});
export type RunComparison = z.infer<typeof RunComparisonSchema>;
