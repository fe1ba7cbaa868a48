import { createHash } from 'node:crypto';

/** The key type named inside an SSH public key blob (its first wire-format string, e.g. "ssh-ed25519"). */
export function keyTypeOfBlob(blob: Buffer): string {
  if (blob.length < 4) throw new Error('public key blob too short');
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length)
    throw new Error('public key blob has no valid key type');
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:<base64 without padding>` — exactly what `ssh-keygen -lf` and OpenSSH's prompts print. */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses an authorized_keys / .pub style line ("ssh-ed25519 AAAA... comment") into its type and blob. */
export function parsePublicKeyLine(line: string): { keyType: string; blob: Buffer; comment: string } {
  const [keyType, b64, ...rest] = line.trim().split(/\s+/);
  if (!keyType || !b64) throw new Error('a public key line is "TYPE BASE64 [COMMENT]"');
  const blob = Buffer.from(b64, 'base64');
  if (blob.toString('base64').replace(/=+$/, '') !== b64.replace(/=+$/, ''))
    throw new Error('public key is not valid base64');
  if (keyTypeOfBlob(blob) !== keyType)
    throw new Error(`public key says ${keyType} but its blob is ${keyTypeOfBlob(blob)}`);
  return { keyType, blob, comment: rest.join(' ') };
}
