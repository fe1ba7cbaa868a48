import { z } from 'zod';
import { HostNameSchema } from './hosts.js';

/** `filter.check`: compile a pcap-filter expression on the host (its loader's libpcap, both views), no root. */
export const FilterCheckRequestSchema = z.object({
  host: HostNameSchema,
  filter: z.string().max(65536),
});

export const FilterCheckSchema = z.object({
  ok: z.boolean(),
  /** libpcap's message when the filter does not compile. */
  error: z.string().optional(),
});
export type FilterCheck = z.infer<typeof FilterCheckSchema>;
