import { z } from 'zod';

/** Typed error codes every face can branch on; `message` is one human line. */
export const ApiErrorCodeSchema = z.enum([
  'invalid-request',
  'not-found',
  'conflict',
  'corrupt-file',
  'auth-failed',
  'unreachable',
  'timeout',
  'host-key-mismatch',
  'host-key-rejected',
  'host-key-revoked',
  'privilege-failed',
  'deploy-failed',
  'remote-command-failed',
  /** A transfer (upload or download) over its size cap (main/api/transfer.ts). */
  'too-large',
  /** The loader's stream broke the framing or a client-side limit (frame size, hops per packet, duration). */
  'loader-protocol',
  'internal',
]);
export type ApiErrorCode = z.infer<typeof ApiErrorCodeSchema>;

export const ApiErrorSchema = z.object({
  code: ApiErrorCodeSchema,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;
