import { z } from 'zod';
import { HostNameSchema } from './hosts.js';
import { ProbeFactsSchema, RunSchema } from './trace.js';

/**
 * The session document, version 1 (docs/SESSION-FORMAT.md). Older versions are migrated on read by
 * main/core/sessions/migrate.ts; this schema is only ever the current one.
 */
export const SESSION_FORMAT = 'pktpath-session';
export const SESSION_VERSION = 1;

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

export const SessionSchema = z.object({
  format: z.literal(SESSION_FORMAT),
  version: z.literal(SESSION_VERSION),
  id: SessionIdSchema,
  title: z.string().min(1),
  notes: z.string().default(''),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  hosts: z.array(SessionHostSchema).default([]),
  runs: z.array(RunSchema).default([]),
  annotations: z.array(AnnotationSchema).default([]),
});
export type Session = z.infer<typeof SessionSchema>;
export type SessionInput = z.input<typeof SessionSchema>;

export const SessionSummarySchema = z.object({
  id: SessionIdSchema,
  title: z.string(),
  updatedAt: z.iso.datetime(),
  hosts: z.array(HostNameSchema),
  runs: z.int().nonnegative(),
  packets: z.int().nonnegative(),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;
