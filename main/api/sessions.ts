import { z } from 'zod';
import { ApiErrorSchema } from './errors.js';
import { HostNameSchema } from './hosts.js';
import { ProbeFactsSchema, RunSchema, TraceEndReasonSchema } from './trace.js';
import { VerdictKindSchema } from './explain.js';

/**
 * A session as `sessions.get` returns it: the metadata document of format version 2 (docs/SESSION-FORMAT.md) —
 * everything but the packets, which are paged (`sessions.packets`, `sessions.packet`). Older versions are
 * migrated on read by main/core/sessions/; this schema is only ever the current one.
 */
export const SESSION_FORMAT = 'pktpath-session';
export const SESSION_VERSION = 2;

/** Session ids are file names in the data dir: keep them boring. */
export const SessionIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'a session id is lowercase letters, digits and "-"');

export const SessionHostSchema = z.object({
  name: HostNameSchema,
  address: z.string(),
  kernelRelease: z.string().optional(),
  arch: z.string().optional(),
  probe: ProbeFactsSchema.optional(),
});
export type SessionHost = z.infer<typeof SessionHostSchema>;

export const AnnotationSchema = z.object({
  id: z.string().min(1),
  at: z.iso.datetime(),
  runId: z.string().optional(),
  packetId: z.int().nonnegative().optional(),
  hopIndex: z.int().nonnegative().optional(),
  text: z.string().min(1),
});
export type Annotation = z.infer<typeof AnnotationSchema>;

/** A distinct path of a run (functions and outcome): how many packets took it, how many of those were dropped. */
export const RunVariantSchema = z.object({
  functions: z.array(z.string()),
  count: z.int().positive(),
  dropped: z.int().nonnegative(),
  /** The outcome that is part of the variant's identity (absent in runs saved before it was). */
  drop_reason: z.string().optional(),
  verdict: VerdictKindSchema.optional(),
  partial: z.boolean().optional(),
  /** The first packet (by capture order) that took this path. */
  firstPacket: z.int().nonnegative(),
});
export type RunVariant = z.infer<typeof RunVariantSchema>;

/** How many variants a session's metadata lists per run (the rest are counted in `variantCount`). */
export const MAX_LISTED_VARIANTS = 100;

/**
 * The most hops a packet of an imported session may have: a real path has tens, a routing loop thousands; a
 * crafted file could have any number, and one packet is parsed whole in memory.
 */
export const MAX_PACKET_HOPS = 1_000_000;

/** A saved run without its packets: the spec, the outcome and what its packets add up to. */
export const SessionRunSchema = RunSchema.omit({ packets: true }).extend({
  packets: z.int().nonnegative(),
  hops: z.int().nonnegative(),
  dropped: z.int().nonnegative(),
  /** The first packet's first hop time (host ktime, ns): the origin of the packet list's time column. */
  firstTsNs: z.number().nonnegative(),
  /** Most frequent first (ties: earliest first packet); at most MAX_LISTED_VARIANTS. */
  variants: z.array(RunVariantSchema).max(MAX_LISTED_VARIANTS),
  variantCount: z.int().nonnegative(),
  /** Why the run ended (`sessions.get` works it out from the run's records; never stored). */
  reason: TraceEndReasonSchema.optional(),
});
export type SessionRun = z.infer<typeof SessionRunSchema>;

export const SessionSchema = z.object({
  format: z.literal(SESSION_FORMAT),
  version: z.literal(SESSION_VERSION),
  id: SessionIdSchema,
  title: z.string().min(1),
  notes: z.string().default(''),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  hosts: z.array(SessionHostSchema).default([]),
  runs: z.array(SessionRunSchema).default([]),
  annotations: z.array(AnnotationSchema).default([]),
});
export type Session = z.infer<typeof SessionSchema>;

export const SessionSummarySchema = z.object({
  id: SessionIdSchema,
  title: z.string(),
  updatedAt: z.iso.datetime(),
  hosts: z.array(HostNameSchema),
  runs: z.int().nonnegative(),
  packets: z.int().nonnegative(),
  /** Set when the session cannot be read (then `title` is its id, `updatedAt` its file's mtime, counts 0):
   * listed rather than hidden, so the user sees what is wrong; opening it fails with this error. */
  problem: ApiErrorSchema.optional(),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

/** What `sessions.export` makes: a bundle another pktpath imports, the Markdown report, or pcapng. */
export const ExportFormatSchema = z.enum(['session', 'markdown', 'pcapng']);
export type ExportFormat = z.infer<typeof ExportFormatSchema>;
