import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { CoreError } from '../errors.js';

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const mib = (n: number) => `${Math.round((n / 2 ** 20) * 10) / 10} MiB`;

/**
 * Reads a file the user named, refusing anything that is not a regular file of at most `maxBytes`. It is opened
 * non-blocking and checked with fstat before a single byte is read, so a FIFO cannot hang the process and
 * `/dev/zero` cannot fill memory; the same descriptor is then read (no window for a swap between check and read).
 * Errors are CoreErrors: `not-found` for a missing file, `invalid-request` for the rest.
 */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CoreError(
      err.code === 'ENOENT' ? 'not-found' : 'invalid-request',
      `cannot read ${path}: ${err.code ?? err.message}`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CoreError('invalid-request', `${path} is ${kindOf(st)}, not a regular file`);
    if (st.size > maxBytes)
      throw new CoreError(
        'invalid-request',
        `${path} is ${mib(st.size)}, more than the ${mib(maxBytes)} allowed`,
      );
    const buf = Buffer.alloc(Math.min(st.size + 1, maxBytes + 1)); // one byte more: notices a file still growing
    let n = 0;
    for (let r; n < buf.length && (r = readSync(fd, buf, n, buf.length - n, null)) > 0;) n += r;
    if (n > maxBytes)
      throw new CoreError('invalid-request', `${path} grew past the ${mib(maxBytes)} allowed`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof CoreError) throw e;
    throw new CoreError('invalid-request', `cannot read ${path}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
