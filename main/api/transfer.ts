import { z } from 'zod';

/**
 * File contents that cross the contract instead of file names. No method takes a path on the machine pktpath runs
 * on: a remote face (browser mode, the desktop app's page) downloads and uploads bytes, and only the CLI — the user
 * at their own shell — reads and writes files, itself. Bytes travel as base64 in the JSON envelope, capped so an
 * upload fits browser mode's 16 MiB request limit with room to spare.
 */
export const MAX_TRANSFER_BYTES = 10 * 1024 * 1024;
/** The base64 length of MAX_TRANSFER_BYTES: what the schema checks. */
export const MAX_TRANSFER_BASE64 = 4 * Math.ceil(MAX_TRANSFER_BYTES / 3);
/** Uploaded ssh_config text: real ones are a few KB. */
export const MAX_SSH_CONFIG_CHARS = 1024 * 1024;

const mib = (n: number) => `${n / (1024 * 1024)} MiB`;

export const tooLargeMessage = (what: string, limit: number = MAX_TRANSFER_BYTES) =>
  `${what} is larger than the ${mib(limit)} a window can transfer; use the CLI (pktpath sessions export|import), which reads and writes files itself`;

/** Base64 file contents, at most MAX_TRANSFER_BYTES decoded. */
export const TransferDataSchema = z.base64().max(MAX_TRANSFER_BASE64, { error: tooLargeMessage('the file') });

export const SshConfigTextSchema = z
  .string()
  .max(MAX_SSH_CONFIG_CHARS, { error: `the ssh_config text is larger than ${mib(MAX_SSH_CONFIG_CHARS)}` });

/** What to call transferred bytes (an upload's or a download's file name): shown, never opened. */
export const FileLabelSchema = z.string().min(1).max(1024);

/** A request refused only for its size is `too-large`, not `invalid-request`: the face can say so plainly. */
export function isTooLargeIssue(issue: z.core.$ZodIssue): boolean {
  return (
    issue.code === 'too_big' &&
    issue.origin === 'string' &&
    (issue.maximum === MAX_TRANSFER_BASE64 || issue.maximum === MAX_SSH_CONFIG_CHARS)
  );
}
