import { z } from 'zod';
import { ProfileNameSchema } from './trace.js';

/** The probe-set format (one function per line with options), as parsed by main/core/probeset. */
export const ProbeEntrySchema = z.object({
  function: z.string().min(1),
  /** skb argument position 1-5; unset = the position the host's BTF reports (probe facts). */
  arg: z.int().min(1).max(5).optional(),
  /** This function ends the packet's path (the seed's KP_FIN). */
  final: z.boolean().default(false),
  /** Capture a kernel stack at this hop. */
  stack: z.boolean().default(false),
  /** Also record the function's return value (fexit/kretprobe). */
  ret: z.boolean().default(false),
  line: z.int().positive().optional(),
});
export type ProbeEntry = z.infer<typeof ProbeEntrySchema>;

export const ProbeSetErrorSchema = z.object({
  line: z.int().positive(),
  column: z.int().positive(),
  message: z.string(),
});
export type ProbeSetError = z.infer<typeof ProbeSetErrorSchema>;

export const ProbeSetValidationSchema = z.object({
  ok: z.boolean(),
  entries: z.array(ProbeEntrySchema),
  errors: z.array(ProbeSetErrorSchema),
  /** Names absent from the host's probe facts, when a host was given (warnings, not errors). */
  unknownOnHost: z.array(z.string()).optional(),
});
export type ProbeSetValidation = z.infer<typeof ProbeSetValidationSchema>;

export const ProfileInfoSchema = z.object({
  name: ProfileNameSchema,
  description: z.string(),
  /** Probe-set text of the profile; empty for `all-skb`, which is every skb function the host reports. */
  text: z.string(),
  dynamic: z.boolean(),
});
export type ProfileInfo = z.infer<typeof ProfileInfoSchema>;
