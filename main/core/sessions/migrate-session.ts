import { SESSION_FORMAT, SESSION_VERSION, SessionSchema, type Session } from '../../api/sessions.js';
import { formatIssues } from '../../api/validate.js';

/**
 * Brings any session document this pktpath can read up to SESSION_VERSION, one version step at a time, then
 * validates it. A format change adds `MIGRATIONS[n]` (n → n+1) and bumps SESSION_VERSION; older files keep opening.
 * Documents from a newer pktpath are refused rather than half-read (docs/SESSION-FORMAT.md).
 */
type Doc = Record<string, unknown>;
export const MIGRATIONS: Readonly<Record<number, (doc: Doc) => Doc>> = {};

export class SessionFormatError extends Error {}

export function migrateSession(raw: unknown): Session {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SessionFormatError('not a pktpath session (not a JSON object)');
  let doc = raw as Doc;
  if (doc.format !== SESSION_FORMAT)
    throw new SessionFormatError(
      `not a pktpath session (format is ${JSON.stringify(doc.format)}, expected "${SESSION_FORMAT}")`,
    );
  const version = doc.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1)
    throw new SessionFormatError(`session has no valid version (${JSON.stringify(version)})`);
  if (version > SESSION_VERSION)
    throw new SessionFormatError(
      `session format version ${version} is newer than this pktpath reads (${SESSION_VERSION}); upgrade pktpath`,
    );
  for (let v = version; v < SESSION_VERSION; v++) {
    const step = MIGRATIONS[v];
    if (!step) throw new SessionFormatError(`no migration from session format version ${v}`);
    doc = { ...step(doc), version: v + 1 };
  }
  const r = SessionSchema.safeParse(doc);
  if (!r.success) throw new SessionFormatError(formatIssues('invalid session', r.error.issues));
  return r.data;
}
