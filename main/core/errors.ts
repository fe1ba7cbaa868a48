import type { ApiErrorCode } from '../api/errors.js';

/**
 * Every failure the core reports to a face is a CoreError: a typed code the UI can branch on and one human line.
 * Subclasses exist where callers (and tests) need to tell failures apart with `instanceof`.
 */
export class CoreError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A file whose bytes do not read as what it claims to be (a session, a bundle, a run index): `corrupt-file` on
 * every face, whatever layer found it. */
export class FileFormatError extends CoreError {
  constructor(message: string) {
    super('corrupt-file', message);
  }
}

export class NotFoundError extends CoreError {
  constructor(message: string) {
    super('not-found', message);
  }
}

export class ConflictError extends CoreError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** A data file that does not parse or validate; it has been moved aside to `movedTo` and nothing was overwritten. */
export class CorruptFileError extends CoreError {
  constructor(
    readonly file: string,
    readonly movedTo: string | undefined,
    reason: string,
  ) {
    super('corrupt-file', `${file} is corrupt (${reason})${movedTo ? `; kept aside as ${movedTo}` : ''}`, {
      file,
      movedTo,
    });
  }
}
