import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { z } from 'zod';
import { CorruptFileError } from '../errors.js';
import { formatIssues } from '../../api/validate.js';

/**
 * Writes `data` so that a reader (or a crash at any instant) sees either the old file or the new one, never a mix:
 * temp file in the same directory, fsync, rename over the target, fsync the directory so the rename is durable.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(path));
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename itself is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Moves a bad file to `<name>.corrupt-<timestamp>` beside it, so it can be inspected and is never overwritten. */
export function moveAside(path: string): string | undefined {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(path, aside);
    return aside;
  } catch {
    return undefined;
  }
}

/**
 * Reads and validates a JSON data file. Missing → undefined. Unparseable or invalid → the file is moved aside and
 * a CorruptFileError says where it went; the caller then starts fresh without having destroyed anything.
 */
export function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  opts: { moveAsideOnError?: boolean } = {},
): z.output<S> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let reason: string;
  try {
    const r = schema.safeParse(JSON.parse(text));
    if (r.success) return r.data;
    reason = formatIssues('invalid content', r.error.issues);
  } catch (e) {
    reason = `not JSON: ${(e as Error).message}`;
  }
  const movedTo = opts.moveAsideOnError === false ? undefined : moveAside(path);
  throw new CorruptFileError(path, movedTo, reason);
}
