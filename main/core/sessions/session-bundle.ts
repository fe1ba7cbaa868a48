/**
 * The export file: one file holding a session directory (docs/SESSION-FORMAT.md, "Export file"). A text line with
 * the magic, a JSON line listing the entries and their byte lengths, then the entries' bytes back to back:
 *
 *     pktpath-bundle 1\n
 *     {"entries":[{"name":"session.json","bytes":1234},{"name":"r1-3fa2c1.run","bytes":5678}]}\n
 *     <session.json bytes><r1-3fa2c1.run bytes>
 *
 * Small enough to write by hand and to read with `head -2` and `dd`; no dependency, no compression (a session
 * compresses well with any tool, and the run files must stay seekable in the data dir anyway).
 */
import { FileFormatError } from '../errors.js';

const MAGIC = 'pktpath-bundle 1\n';
const ENTRY_NAME = /^[a-z0-9][a-z0-9.-]{0,95}$/;

export interface BundleEntry {
  name: string;
  data: Buffer;
}

export class BundleError extends FileFormatError {}

export function isBundle(head: Buffer): boolean {
  return head.subarray(0, MAGIC.length).toString('latin1') === MAGIC;
}

export function encodeBundle(entries: readonly BundleEntry[]): Buffer {
  const manifest = JSON.stringify({ entries: entries.map((e) => ({ name: e.name, bytes: e.data.length })) });
  return Buffer.concat([Buffer.from(MAGIC + manifest + '\n', 'utf8'), ...entries.map((e) => e.data)]);
}

export function decodeBundle(buf: Buffer): Map<string, Buffer> {
  if (!isBundle(buf)) throw new BundleError('not a pktpath bundle');
  const nl = buf.indexOf(0x0a, MAGIC.length);
  if (nl < 0) throw new BundleError('bundle has no entry list');
  let manifest: unknown;
  try {
    manifest = JSON.parse(buf.subarray(MAGIC.length, nl).toString('utf8'));
  } catch (e) {
    throw new BundleError(`bundle entry list is not JSON: ${(e as Error).message}`);
  }
  const list = (manifest as { entries?: unknown }).entries;
  if (!Array.isArray(list)) throw new BundleError('bundle entry list has no entries');
  const out = new Map<string, Buffer>();
  let at = nl + 1;
  for (const e of list as { name?: unknown; bytes?: unknown }[]) {
    if (typeof e?.name !== 'string' || !ENTRY_NAME.test(e.name) || out.has(e.name))
      throw new BundleError(`bad bundle entry name ${JSON.stringify(e?.name)}`);
    if (typeof e.bytes !== 'number' || !Number.isInteger(e.bytes) || e.bytes < 0)
      throw new BundleError(`bad length of bundle entry ${e.name}`);
    if (at + e.bytes > buf.length) throw new BundleError(`bundle is cut short inside ${e.name}`);
    out.set(e.name, buf.subarray(at, at + e.bytes));
    at += e.bytes;
  }
  if (at !== buf.length) throw new BundleError(`${buf.length - at} stray bytes after the last bundle entry`);
  return out;
}
