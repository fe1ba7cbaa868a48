import { z } from 'zod';
import { ApiErrorSchema } from './errors.js';
import { HostNameSchema } from './hosts.js';
import { MetaFilterSchema, TraceSpecSchema } from './trace.js';

/**
 * One trace on several hosts at once (issue 11): the same filter, probe set and limits on each host, each with
 * its own backend and its own run; the runs share a group id, which `trace.stopGroup` stops together and which
 * each run (and its saved copy) carries as `group`.
 */
export const TraceGroupSpecSchema = TraceSpecSchema.omit({ host: true }).extend({
  hosts: z
    .array(HostNameSchema)
    .min(1)
    .max(256)
    .refine((h) => new Set(h).size === h.length, 'each host once'),
  /** Per-host scoping on top of the shared spec (e.g. each host's own network namespace): host → filter/meta. */
  perHost: z
    .record(z.string(), z.object({ filter: z.string().optional(), meta: MetaFilterSchema.optional() }))
    .default({}),
});
export type TraceGroupSpec = z.infer<typeof TraceGroupSpecSchema>;
export type TraceGroupSpecInput = z.input<typeof TraceGroupSpecSchema>;

export const TraceGroupStartSchema = z.object({
  groupId: z.string().min(1),
  /** The runs started, in the order of `hosts`; progress, packets and end arrive as each run's events. */
  runs: z.array(z.object({ host: HostNameSchema, runId: z.string().min(1) })),
  /** Hosts whose run could not even start (not in the inventory…); the others go on. A host that fails later
   * (unreachable, no privilege) ends its own run with an error in its `trace.end`. */
  failed: z.array(z.object({ host: HostNameSchema, error: ApiErrorSchema })),
});
export type TraceGroupStart = z.infer<typeof TraceGroupStartSchema>;
