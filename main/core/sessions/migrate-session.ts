import { z } from 'zod';
import {
  AnnotationSchema,
  SESSION_FORMAT,
  SESSION_VERSION,
  SessionHostSchema,
  SessionIdSchema,
  SessionRunSchema,
  SessionSchema,
} from '../../api/sessions.js';
import { RunSchema } from '../../api/trace.js';
import { formatIssues } from '../../api/validate.js';
import { FileFormatError } from '../errors.js';

/**
 * Reading session documents of any version this pktpath knows (docs/SESSION-FORMAT.md):
 *  - version 1: one JSON document with every packet inline (the data dir's `<id>.session.json` and v1 exports).
 *    `readV1Session` validates it as it was; the store then rewrites it as version 2.
 *  - version 2+: the metadata document `session.json` beside its run files. `MIGRATIONS[n]` (n → n+1) will
 *    bring a later metadata change forward one step at a time; there is none yet.
 * Documents from a newer pktpath are refused rather than half-read.
 */
type Doc = Record<string, unknown>;
export const MIGRATIONS: Readonly<Record<number, (doc: Doc) => Doc>> = {};

export class SessionFormatError extends FileFormatError {}

/** Checks `format` and `version`; returns the version. */
export function sessionVersionOf(raw: unknown): number {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new SessionFormatError('not a pktpath session (not a JSON object)');
  const doc = raw as Doc;
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
  return version;
}

/** The version-1 document, exactly as version 1 defined it. */
const SessionV1Schema = z.object({
  format: z.literal(SESSION_FORMAT),
  version: z.literal(1),
  id: SessionIdSchema,
  title: z.string().min(1),
  notes: z.string().default(''),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  hosts: z.array(SessionHostSchema).default([]),
  runs: z.array(RunSchema).default([]),
  annotations: z.array(AnnotationSchema).default([]),
});
export type SessionV1 = z.infer<typeof SessionV1Schema>;

export function readV1Session(raw: unknown): SessionV1 {
  if (sessionVersionOf(raw) !== 1) throw new SessionFormatError('not a version 1 session document');
  const r = SessionV1Schema.safeParse(raw);
  if (!r.success) throw new SessionFormatError(formatIssues('invalid session', r.error.issues));
  return r.data;
}

/** A run file name inside a session directory: never a path. */
const RunFileNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,90}\.run$/, 'a run file name');

/** `session.json` in the data dir: the API's metadata plus, per run, the name of its run file. */
export const StoredSessionSchema = SessionSchema.extend({
  runs: z.array(SessionRunSchema.extend({ data: RunFileNameSchema })).default([]),
});
export type StoredSession = z.infer<typeof StoredSessionSchema>;
export type StoredRun = StoredSession['runs'][number];

/** Reads a metadata document (version 2 or later, migrated to the current one). */
export function readStoredSession(raw: unknown): StoredSession {
  const version = sessionVersionOf(raw);
  if (version === 1)
    throw new SessionFormatError('a version 1 document holds its packets inline: read it with readV1Session');
  let doc = raw as Doc;
  for (let v = version; v < SESSION_VERSION; v++) {
    const step = MIGRATIONS[v];
    if (!step) throw new SessionFormatError(`no migration from session format version ${v}`);
    doc = { ...step(doc), version: v + 1 };
  }
  const r = StoredSessionSchema.safeParse(doc);
  if (!r.success) throw new SessionFormatError(formatIssues('invalid session', r.error.issues));
  return r.data;
}
