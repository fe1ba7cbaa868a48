import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  SESSION_FORMAT,
  SESSION_VERSION,
  type Annotation,
  type Session,
  type SessionHost,
  type SessionSummary,
} from '../../api/sessions.js';
import type { RunInput } from '../../api/trace.js';
import { RunSchema } from '../../api/trace.js';
import { ensureDir, pktpathHome } from '../data-dir.js';
import { CoreError, CorruptFileError, NotFoundError } from '../errors.js';
import { moveAside, writeFileAtomic } from '../fs/atomic-file.js';
import { sessionToMarkdown } from './markdown-report.js';
import { migrateSession, SessionFormatError } from './migrate-session.js';

const SUFFIX = '.session.json';
/** Temp files older than this were left by a crash mid-save; they are never the live file and are removed. */
const STALE_TEMP_MS = 60 * 60 * 1000;

function slug(title: string): string {
  return (
    title
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'session'
  );
}

/**
 * Sessions in `$PKTPATH_HOME/sessions/<id>.session.json`, one self-contained file each (the export format is the
 * same document). Every save is an atomic replace, so a crash mid-save leaves the previous file intact.
 */
export class SessionStore {
  readonly dir: string;

  constructor(home: string = pktpathHome()) {
    this.dir = join(home, 'sessions');
  }

  private fileOf(id: string): string {
    if (!/^[a-z0-9][a-z0-9-]{0,79}$/.test(id))
      throw new CoreError('invalid-request', `"${id}" is not a session id`);
    return join(this.dir, `${id}${SUFFIX}`);
  }

  private exists(id: string): boolean {
    try {
      statSync(this.fileOf(id));
      return true;
    } catch {
      return false;
    }
  }

  private newId(title: string): string {
    const base = slug(title);
    let id = base;
    while (this.exists(id)) id = `${base}-${randomBytes(3).toString('hex')}`;
    return id;
  }

  save(session: Session): void {
    ensureDir(this.dir);
    writeFileAtomic(this.fileOf(session.id), JSON.stringify(session, null, 1) + '\n');
  }

  /** Reads one session; a file that is not a valid session is moved aside and reported (CorruptFileError). */
  get(id: string): Session {
    const file = this.fileOf(id);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError(`no session ${id} (pktpath sessions list)`);
      throw e;
    }
    try {
      return migrateSession(JSON.parse(text));
    } catch (e) {
      // A session from a newer pktpath is not corrupt: leave it where it is.
      if (e instanceof SessionFormatError && /newer than this pktpath/.test(e.message))
        throw new CoreError('invalid-request', `${file}: ${e.message}`);
      throw new CorruptFileError(
        file,
        moveAside(file),
        e instanceof SyntaxError ? `not JSON: ${e.message}` : (e as Error).message,
      );
    }
  }

  /** Summaries, newest first; unreadable files are listed in `problems` (and left alone) instead of failing the list. */
  list(): { sessions: SessionSummary[]; problems: { file: string; reason: string }[] } {
    const sessions: SessionSummary[] = [];
    const problems: { file: string; reason: string }[] = [];
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return { sessions, problems };
    }
    for (const name of names) {
      const file = join(this.dir, name);
      if (name.startsWith('.') && name.includes('.tmp-')) {
        this.removeIfStale(file);
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      try {
        sessions.push(summarize(migrateSession(JSON.parse(readFileSync(file, 'utf8')))));
      } catch (e) {
        problems.push({ file, reason: (e as Error).message });
      }
    }
    sessions.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    return { sessions, problems };
  }

  private removeIfStale(file: string): void {
    try {
      if (Date.now() - statSync(file).mtimeMs > STALE_TEMP_MS) rmSync(file, { force: true });
    } catch {
      // raced with another process: nothing to clean
    }
  }

  create(input: { title: string; notes?: string; hosts?: SessionHost[]; runs?: RunInput[] }): Session {
    const now = new Date().toISOString();
    const session: Session = {
      format: SESSION_FORMAT,
      version: SESSION_VERSION,
      id: this.newId(input.title),
      title: input.title,
      notes: input.notes ?? '',
      createdAt: now,
      updatedAt: now,
      hosts: input.hosts ?? [],
      runs: (input.runs ?? []).map((r) => RunSchema.parse(r)),
      annotations: [],
    };
    this.save(session);
    return session;
  }

  private modify(id: string, change: (s: Session) => void): Session {
    const s = this.get(id);
    change(s);
    s.updatedAt = new Date().toISOString();
    this.save(s);
    return s;
  }

  addRuns(id: string, runs: RunInput[], hosts: SessionHost[] = []): Session {
    return this.modify(id, (s) => {
      s.runs.push(...runs.map((r) => RunSchema.parse(r)));
      for (const h of hosts) if (!s.hosts.some((x) => x.name === h.name)) s.hosts.push(h);
    });
  }

  rename(id: string, title: string): Session {
    return this.modify(id, (s) => void (s.title = title));
  }

  annotate(id: string, note: Omit<Annotation, 'id' | 'at'>): Annotation {
    const a: Annotation = { ...note, id: randomBytes(6).toString('hex'), at: new Date().toISOString() };
    this.modify(id, (s) => {
      if (a.runId && !s.runs.some((r) => r.id === a.runId))
        throw new NotFoundError(`session ${id} has no run ${a.runId}`);
      s.annotations.push(a);
    });
    return a;
  }

  delete(id: string): void {
    if (!this.exists(id)) throw new NotFoundError(`no session ${id}`);
    rmSync(this.fileOf(id));
  }

  /** One file another pktpath can import: the session document itself. */
  exportTo(
    id: string,
    file: string,
    format: 'session' | 'markdown' = 'session',
  ): { file: string; bytes: number } {
    const s = this.get(id);
    const text = format === 'markdown' ? sessionToMarkdown(s) : JSON.stringify(s, null, 1) + '\n';
    writeFileAtomic(file, text, 0o644);
    return { file, bytes: Buffer.byteLength(text) };
  }

  /** Imports an exported file (migrating older versions); a clashing id gets a fresh one, nothing is overwritten. */
  importFrom(file: string): Session {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new CoreError('invalid-request', `cannot import ${file}: ${(e as Error).message}`);
    }
    let s: Session;
    try {
      s = migrateSession(raw);
    } catch (e) {
      throw new CoreError('invalid-request', `cannot import ${file}: ${(e as Error).message}`);
    }
    if (this.exists(s.id)) s = { ...s, id: this.newId(s.title) };
    this.save(s);
    return s;
  }
}

export function summarize(s: Session): SessionSummary {
  return {
    id: s.id,
    title: s.title,
    updatedAt: s.updatedAt,
    hosts: [...new Set([...s.hosts.map((h) => h.name), ...s.runs.map((r) => r.host)])],
    runs: s.runs.length,
    packets: s.runs.reduce((n, r) => n + r.packets.length, 0),
  };
}
