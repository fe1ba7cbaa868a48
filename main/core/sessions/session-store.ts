import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  readSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { PathVariant } from '../../api/compare.js';
import type { PacketPage, PacketQuery } from '../../api/packets.js';
import {
  MAX_LISTED_VARIANTS,
  SESSION_FORMAT,
  SESSION_VERSION,
  SessionIdSchema,
  type Annotation,
  type ExportFormat,
  type Session,
  type SessionHost,
  type SessionSummary,
} from '../../api/sessions.js';
import type { HostContext } from '../../api/explain.js';
import { RunSchema, type PacketPath, type Run, type RunInput } from '../../api/trace.js';
import { ensureDir, pktpathHome } from '../data-dir.js';
import { HopNamer } from '../context/hop-names.js';
import { CoreError, CorruptFileError, NotFoundError } from '../errors.js';
import { toApiError } from '../../api/handler.js';
import { moveAside, writeFileAtomic } from '../fs/atomic-file.js';
import { readRegularFile } from '../fs/bounded-read.js';
import { checkImportedPacket, checkImportedRun } from './import-check.js';
import { variantsOf } from './run-variants.js';
import { Lru } from './lru.js';
import { sessionToMarkdown, type ReportVariant } from './markdown-report.js';
import {
  readStoredSession,
  readV1Session,
  SessionFormatError,
  sessionVersionOf,
  type SessionV1,
  type StoredRun,
  type StoredSession,
} from './migrate-session.js';
import { ANSWER_WINDOW, withDiagnosis } from '../diagnose/explain-run.js';
import { packetPage } from './packet-pages.js';
import { runTimeline } from './run-timeline.js';
import type { RunTimeline, TimelineWindowParsed } from '../../api/timeline.js';
import { explainedPacketAt, explainedPacketsAt, verdictColumn } from './run-verdicts.js';
import { explainOptionsFor, explainPackets, type ExplainOptions } from '../explain/explain-packets.js';
import { sessionPcapng } from './pcapng-export.js';
import { resolveRun } from './resolve-refs.js';
import { decodeBundle, encodeBundle, isBundle } from './session-bundle.js';
import { encodeRunFile, RunFile, runFileProblem } from './run-file.js';
import type { RecordedRun } from './run-file-writer.js';

/** A session file to import is read whole: past this it is refused before reading (a bigger one is not ours). */
const MAX_IMPORT_BYTES = 2 ** 30;

const META = 'session.json';
/** Version 1 kept each session as one `<id>.session.json` in the sessions dir; they are upgraded when met. */
const V1_SUFFIX = '.session.json';
/** Temp files, unreferenced run files and half-created dirs older than this were left by a crash: removed. */
const STALE_MS = 60 * 60 * 1000;
/** A session id as the contract defines it (SessionIdSchema): a file name in the data dir. */
const isSessionId = (id: string): boolean => SessionIdSchema.safeParse(id).success;

function slug(text: string, max: number, fallback: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || fallback
  );
}

/** A run file to place in a session dir: bytes to write, or a finished run file (`from`) to link or copy. */
type NewRunFile = { name: string; data: Buffer } | { name: string; from: string };

/** A traced run whose packets are already in a finished run file (`pktpath trace`, `sessions.save`). */
export interface RecordedRunInput {
  run: Omit<Run, 'packets'>;
  recorded: RecordedRun;
}

/**
 * Sessions in `$PKTPATH_HOME/sessions/<id>/` (format version 2, docs/SESSION-FORMAT.md): a small `session.json`
 * (title, notes, hosts, annotations, each run's spec, totals and variants) and one immutable run file per run.
 * Opening a session reads only `session.json`; packets are paged from the run files' indexes. Run files are written
 * before the `session.json` that names them, each by atomic replace, so a crash mid-save leaves the previous
 * session whole. Recently used metadata and run indexes stay in memory.
 */
export class SessionStore {
  readonly dir: string;
  /** Parsed `session.json`s, checked against the file's inode/mtime/size so another process's save is seen. */
  private readonly metas = new Lru<string, { stamp: string; session: StoredSession }>(16);
  /** Open run files by path (immutable, so never stale). */
  private readonly runFiles = new Lru<string, RunFile>(6);

  constructor(home: string = pktpathHome()) {
    this.dir = join(home, 'sessions');
  }

  private dirOf(id: string): string {
    if (!isSessionId(id)) throw new CoreError('invalid-request', `"${id}" is not a session id`);
    return join(this.dir, id);
  }

  private v1FileOf(id: string): string {
    return join(this.dir, `${id}${V1_SUFFIX}`);
  }

  private exists(id: string): boolean {
    return existsSync(join(this.dirOf(id), META)) || existsSync(this.v1FileOf(id));
  }

  private newId(title: string): string {
    const base = slug(title, 60, 'session');
    let id = base;
    while (this.exists(id)) id = `${base}-${randomBytes(3).toString('hex')}`;
    return id;
  }

  /** The stored metadata of a session (upgrading a version 1 file first). */
  private readStored(
    id: string,
    opts: { moveAsideOnError: boolean } = { moveAsideOnError: true },
  ): StoredSession {
    const file = join(this.dirOf(id), META);
    let st;
    try {
      st = statSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (!existsSync(this.v1FileOf(id))) throw new NotFoundError(`no session ${id} (pktpath sessions list)`);
      return this.upgradeV1File(id, opts);
    }
    const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    const hit = this.metas.get(id);
    if (hit?.stamp === stamp) return hit.session;
    let session: StoredSession;
    try {
      session = readStoredSession(JSON.parse(readFileSync(file, 'utf8')));
    } catch (e) {
      throw this.unreadable(file, this.dirOf(id), e, opts.moveAsideOnError);
    }
    this.metas.set(id, { stamp, session });
    return session;
  }

  /** A file that is not a session: moved aside (never overwritten) unless it is merely from a newer pktpath. */
  private unreadable(file: string, aside: string, e: unknown, move: boolean): CoreError {
    if (e instanceof SessionFormatError && /newer than this pktpath/.test(e.message))
      return new CoreError('invalid-request', `${file}: ${e.message}`);
    const reason = e instanceof SyntaxError ? `not JSON: ${e.message}` : (e as Error).message;
    return new CorruptFileError(file, move ? moveAside(aside) : undefined, reason);
  }

  /** Rewrites a version 1 `<id>.session.json` as a version 2 session dir, then removes the old file. */
  private upgradeV1File(id: string, opts: { moveAsideOnError: boolean }): StoredSession {
    const file = this.v1FileOf(id);
    let v1: SessionV1;
    try {
      v1 = readV1Session(JSON.parse(readFileSync(file, 'utf8')));
    } catch (e) {
      throw this.unreadable(file, file, e, opts.moveAsideOnError);
    }
    const stored = this.writeNew({ ...v1, id });
    rmSync(file, { force: true });
    return stored;
  }

  /** Writes a whole session (metadata and every run's packets) under `content.id`. */
  private writeNew(content: Omit<SessionV1, 'format' | 'version'>): StoredSession {
    const files: NewRunFile[] = [];
    const runs = content.runs.map((r) => this.runEntry(r, files));
    const stored: StoredSession = {
      format: SESSION_FORMAT,
      version: SESSION_VERSION,
      id: content.id,
      title: content.title,
      notes: content.notes,
      createdAt: content.createdAt,
      updatedAt: content.updatedAt,
      hosts: content.hosts,
      runs,
      annotations: content.annotations,
    };
    this.write(stored, files);
    return stored;
  }

  /** A run's metadata entry; its packets become a new run file appended to `files`. */
  private runEntry(run: Run, files: NewRunFile[]): StoredRun {
    const { packets, ...rest } = run;
    const { data, index } = encodeRunFile(packets, explainOptionsFor(run));
    const name = `${slug(run.id, 60, 'run')}-${randomBytes(4).toString('hex')}.run`;
    files.push({ name, data });
    return {
      ...rest,
      packets: index.count,
      hops: index.hops,
      dropped: index.dropped,
      firstTsNs: index.first[0] ?? 0,
      variants: index.variants.slice(0, MAX_LISTED_VARIANTS),
      variantCount: index.variants.length,
      data: name,
    };
  }

  /** A recorded run's metadata entry; its run file is placed as it is (appended to `files`). */
  private recordedEntry({ run, recorded }: RecordedRunInput, files: NewRunFile[]): StoredRun {
    const name = `${slug(run.id, 60, 'run')}-${randomBytes(4).toString('hex')}.run`;
    files.push({ name, from: recorded.file });
    const { file: _path, ...totals } = recorded;
    return { ...run, ...totals, data: name };
  }

  /** New run files first, then `session.json` naming them: each an atomic replace, so a crash keeps the old one. */
  private write(stored: StoredSession, files: readonly NewRunFile[]): void {
    const dir = ensureDir(this.dirOf(stored.id));
    for (const f of files)
      if ('from' in f) placeFile(f.from, join(dir, f.name));
      else writeFileAtomic(join(dir, f.name), f.data);
    writeFileAtomic(join(dir, META), JSON.stringify(stored, null, 1) + '\n');
    this.metas.delete(stored.id);
    this.removeLeftovers(dir, new Set(stored.runs.map((r) => r.data)));
  }

  /** Run files no `session.json` names and temp files, once stale (a concurrent save may still be writing). */
  private removeLeftovers(dir: string, referenced: ReadonlySet<string>): void {
    for (const name of safeReaddir(dir))
      if (
        (name.endsWith('.run') && !referenced.has(name)) ||
        (name.startsWith('.') && name.includes('.tmp-'))
      )
        removeIfStale(join(dir, name));
  }

  get(id: string): Session {
    return toApi(this.readStored(id));
  }

  /**
   * Summaries, newest first. A session that cannot be read is listed too, with its `problem` (and left alone), so
   * it never silently disappears from the library.
   */
  list(): { sessions: SessionSummary[] } {
    const sessions: SessionSummary[] = [];
    for (const name of safeReaddir(this.dir)) {
      const path = join(this.dir, name);
      if (name.startsWith('.')) {
        if (name.includes('.tmp-') || name.includes('.deleting-')) removeIfStale(path);
        continue;
      }
      const id = name.endsWith(V1_SUFFIX) ? name.slice(0, -V1_SUFFIX.length) : name;
      if (!isSessionId(id)) continue; // `.corrupt-*` kept aside, and anything else that is not ours
      if (id === name && !existsSync(join(path, META))) {
        removeIfStale(path); // a create that crashed before its session.json
        continue;
      }
      try {
        sessions.push(summarize(this.readStored(id, { moveAsideOnError: false })));
      } catch (e) {
        sessions.push(unreadableSummary(id, path, e));
      }
    }
    sessions.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    return { sessions };
  }

  create(input: { title: string; notes?: string; hosts?: SessionHost[]; runs?: RunInput[] }): Session {
    const now = new Date().toISOString();
    return toApi(
      this.writeNew({
        id: this.newId(input.title),
        title: input.title,
        notes: input.notes ?? '',
        createdAt: now,
        updatedAt: now,
        hosts: input.hosts ?? [],
        runs: (input.runs ?? []).map((r) => RunSchema.parse(r)),
        annotations: [],
      }),
    );
  }

  private modify(id: string, change: (s: StoredSession) => void, files: readonly NewRunFile[] = []): Session {
    const s = structuredClone(this.readStored(id));
    change(s);
    s.updatedAt = new Date().toISOString();
    this.write(s, files);
    return toApi(s);
  }

  addRuns(id: string, runs: RunInput[], hosts: SessionHost[] = []): Session {
    const files: NewRunFile[] = [];
    const entries = runs.map((r) => this.runEntry(RunSchema.parse(r), files));
    return this.modify(
      id,
      (s) => {
        s.runs.push(...entries);
        for (const h of hosts) if (!s.hosts.some((x) => x.name === h.name)) s.hosts.push(h);
      },
      files,
    );
  }

  /** Saves traced runs from their run files: into session `id`, or a new session titled `title`. */
  saveRecorded(
    target: { id?: string | undefined; title: string; notes?: string | undefined },
    runs: readonly RecordedRunInput[],
    hosts: SessionHost[],
  ): Session {
    const files: NewRunFile[] = [];
    const entries = runs.map((r) => this.recordedEntry(r, files));
    if (target.id)
      return this.modify(
        target.id,
        (s) => {
          s.runs.push(...entries);
          for (const h of hosts) if (!s.hosts.some((x) => x.name === h.name)) s.hosts.push(h);
          s.title = target.title;
        },
        files,
      );
    const stored = this.newStored(target, hosts, entries);
    this.write(stored, files);
    return toApi(stored);
  }

  /**
   * Writes traced runs as an export bundle at `path` (what `sessions import` reads), for a save that failed: the
   * bundle streams the run files in, so a large run costs no memory.
   */
  recoveryBundle(
    target: { title: string },
    runs: readonly RecordedRunInput[],
    hosts: SessionHost[],
    path: string,
  ): void {
    const files: NewRunFile[] = [];
    const stored = this.newStored(
      target,
      hosts,
      runs.map((r) => this.recordedEntry(r, files)),
    );
    const meta = Buffer.from(JSON.stringify(stored, null, 1) + '\n', 'utf8');
    const sources = files.map((f) => ('from' in f ? f.from : ''));
    const entries = [
      { name: META, bytes: meta.length },
      ...files.map((f, i) => ({ name: f.name, bytes: statSync(sources[i] ?? '').size })),
    ];
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeAll(fd, Buffer.from(`pktpath-bundle 1\n${JSON.stringify({ entries })}\n`, 'utf8'));
      writeAll(fd, meta);
      for (const from of sources) appendFile(fd, from);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  private newStored(
    target: { title: string; notes?: string | undefined },
    hosts: SessionHost[],
    runs: StoredRun[],
  ): StoredSession {
    const now = new Date().toISOString();
    return {
      format: SESSION_FORMAT,
      version: SESSION_VERSION,
      id: this.newId(target.title),
      title: target.title,
      notes: target.notes ?? '',
      createdAt: now,
      updatedAt: now,
      hosts,
      runs,
      annotations: [],
    };
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

  /** Renames the dir out of the way first, so a crash mid-delete never leaves half a session under its id. */
  delete(id: string): void {
    if (!this.exists(id)) throw new NotFoundError(`no session ${id}`);
    const dir = this.dirOf(id);
    if (existsSync(dir)) {
      const gone = join(this.dir, `.${id}.deleting-${randomBytes(3).toString('hex')}`);
      renameSync(dir, gone);
      rmSync(gone, { recursive: true, force: true });
    }
    rmSync(this.v1FileOf(id), { force: true });
    this.metas.delete(id);
  }

  private runFile(session: StoredSession, run: StoredRun): RunFile {
    const path = join(this.dirOf(session.id), run.data);
    let file = this.runFiles.get(path);
    if (!file) {
      try {
        file = RunFile.open(path);
      } catch (e) {
        throw runFileProblem(path, e);
      }
      this.runFiles.set(path, file);
    }
    return file;
  }

  private openRun(id: string, run?: string): { session: StoredSession; run: StoredRun; file: RunFile } {
    const session = this.readStored(id);
    const r = resolveRun(session, run);
    return { session, run: r, file: this.runFile(session, r) };
  }

  /** A page of a run's packet summaries (`sessions.packets`). */
  packets(id: string, run: string | undefined, query: PacketQuery): PacketPage {
    const { run: r, file } = this.openRun(id, run);
    return packetPage(file, query, () => verdictColumn(file, explainOptionsFor(r)));
  }

  /** Packets over time by verdict (`sessions.timeline`), counting those that pass the list's `filter`. */
  timeline(
    id: string,
    run: string | undefined,
    window: TimelineWindowParsed,
    filter: PacketQuery['filter'],
  ): RunTimeline {
    const { run: r, file } = this.openRun(id, run);
    return runTimeline(file, window, filter, () => verdictColumn(file, explainOptionsFor(r)));
  }

  /** One packet with its hops; none = the run's first packet. */
  packet(id: string, run: string | undefined, packet?: number): PacketPath {
    const { run: r, file } = this.openRun(id, run);
    const at = packet === undefined ? (file.count ? 0 : undefined) : file.positionOf(packet);
    if (at === undefined)
      throw new NotFoundError(
        packet === undefined
          ? `run ${r.id} of session ${id} has no packets`
          : `run ${r.id} of session ${id} has no packet ${packet}`,
      );
    try {
      // explained (its clones found around it), named, and diagnosed with the kernel's answers to it searched
      // among the packets around it
      const o = explainOptionsFor(r);
      const { captures: _bytes, ...p } = explainedPacketAt(
        file,
        at,
        o,
        r.mode === 'tracepoint',
      ) as PacketPath & {
        captures?: unknown;
      };
      const namer = new HopNamer(r.context);
      const near = nearbyPackets(file, at).map((q) => namer.packet(q));
      return withDiagnosis(namer.packet(p), r.context, near, o);
    } catch (e) {
      throw runFileProblem(file.path, e);
    }
  }

  /**
   * Each run of a session with its packets explained and named in file order, read lazily as they are iterated
   * (stitching flows reads every packet once and keeps only small facts of each). Captured bytes stay on.
   */
  explainedRuns(id: string): { run: Omit<StoredRun, 'data'>; packets: () => Iterable<PacketPath> }[] {
    const session = this.readStored(id);
    return session.runs.map(({ data: _file, ...run }) => {
      const file = this.runFile(session, { data: _file, ...run });
      const namer = new HopNamer(run.context);
      return {
        run,
        packets: function* () {
          try {
            for (const p of explainPackets(file.packets(), explainOptionsFor(run))) yield namer.packet(p);
          } catch (e) {
            throw runFileProblem(file.path, e);
          }
        },
      };
    });
  }

  /** A run's id and host context (compare diffs two runs' contexts). */
  runContext(id: string, run?: string): { run: string; context: HostContext | undefined } {
    const r = resolveRun(this.readStored(id), run);
    return { run: r.id, context: r.context };
  }

  /** Every variant of a run with its packet ids (most frequent first), and the most frequent one's first packet. */
  runVariants(id: string, run?: string): { variants: PathVariant[]; dominant: PacketPath | undefined } {
    const { run: r, file } = this.openRun(id, run);
    const variants = variantsOf(file.index);
    const first = variants[0]?.packet_ids[0];
    const at = first === undefined ? undefined : file.positionOf(first);
    const dominant = at === undefined ? undefined : new HopNamer(r.context).packet(apiPacket(file, at));
    return { variants, dominant };
  }

  report(id: string): string {
    const stored = this.readStored(id);
    const perRun = stored.runs.map((r) => {
      const file = this.runFile(stored, r);
      const variants = variantsOf(file.index, 11);
      const firsts = variants.map((v) =>
        v.packet_ids[0] === undefined ? undefined : file.positionOf(v.packet_ids[0]),
      );
      const explained = explainedAt(
        file,
        firsts.filter((at) => at !== undefined),
        explainOptionsFor(r),
        r.mode === 'tracepoint',
      );
      return variants.map((v, i): ReportVariant => {
        const at = firsts[i];
        return {
          count: v.count,
          dropped: v.dropped ?? 0,
          packetIds: v.packet_ids,
          packet: at === undefined ? undefined : explained.get(at),
        };
      });
    });
    return sessionToMarkdown(toApi(stored), (_run, i) => perRun[i] ?? []);
  }

  /** Every captured packet of the session as pcapng (docs/SESSION-FORMAT.md); reads only packets with bytes. */
  pcapng(id: string): Buffer {
    const stored = this.readStored(id);
    return sessionPcapng(
      id,
      stored.runs.map((r) => {
        const file = this.runFile(stored, r);
        const cap = file.index.cap ?? [];
        return {
          ...r,
          snaplen: r.spec.capture?.snaplen,
          packets: (function* () {
            for (let i = 0; i < file.count; i++) if (cap[i]) yield readPacket(file, i);
          })(),
        };
      }),
    );
  }

  /** One file another pktpath imports (a bundle of the session dir), the Markdown report, or pcapng. */
  exportData(id: string, format: ExportFormat = 'session'): Buffer {
    if (format === 'markdown') return Buffer.from(this.report(id), 'utf8');
    return format === 'pcapng' ? this.pcapng(id) : this.bundleOf(this.readStored(id));
  }

  /** exportData written to `file` (the CLI's path: the user's own choice at their shell). */
  exportTo(id: string, file: string, format: ExportFormat = 'session'): { file: string; bytes: number } {
    const data = this.exportData(id, format);
    writeFileAtomic(file, data, 0o644);
    return { file, bytes: data.length };
  }

  private bundleOf(s: StoredSession): Buffer {
    const dir = this.dirOf(s.id);
    return encodeBundle([
      { name: META, data: Buffer.from(JSON.stringify(s, null, 1) + '\n', 'utf8') },
      ...s.runs.map((r) => ({ name: r.data, data: readFileSync(join(dir, r.data)) })),
    ]);
  }

  /** importData of a file the CLI's user named: only a regular file of at most MAX_IMPORT_BYTES is read. */
  importFrom(file: string): Session {
    let buf: Buffer;
    try {
      buf = readRegularFile(file, MAX_IMPORT_BYTES);
    } catch (e) {
      throw new CoreError('invalid-request', `cannot import ${file}: ${(e as Error).message}`);
    }
    return this.importData(buf, file);
  }

  /**
   * Imports an export's bytes (`label` names them in errors): a bundle (version 2) or a version 1 JSON document
   * (upgraded). Everything is checked before anything is written (import-check.ts); a clashing id gets a fresh
   * one; nothing is overwritten.
   */
  importData(buf: Buffer, label: string): Session {
    try {
      if (isBundle(buf)) return toApi(this.importBundle(buf));
      const raw = JSON.parse(buf.toString('utf8')) as unknown;
      if (sessionVersionOf(raw) !== 1)
        throw new SessionFormatError(
          'this is the metadata of a session without its packets; export the session with `pktpath sessions export`',
        );
      const v1 = readV1Session(raw);
      checkRunIds(v1.runs);
      for (const r of v1.runs)
        r.packets.forEach((p, i) =>
          checkImportedPacket(p, `run ${r.id}, packet ${i}`, r.spec.capture?.snaplen),
        );
      return toApi(this.writeNew({ ...v1, id: this.exists(v1.id) ? this.newId(v1.title) : v1.id }));
    } catch (e) {
      throw new CoreError('invalid-request', `cannot import ${label}: ${(e as Error).message}`);
    }
  }

  private importBundle(buf: Buffer): StoredSession {
    const entries = decodeBundle(buf);
    const meta = entries.get(META);
    if (!meta) throw new SessionFormatError(`the bundle has no ${META}`);
    const s = readStoredSession(JSON.parse(meta.toString('utf8')));
    checkRunIds(s.runs);
    const files = s.runs.map((r): NewRunFile => {
      const data = entries.get(r.data);
      if (!data) throw new SessionFormatError(`the bundle lacks run file ${r.data}`);
      checkImportedRun(r, data);
      return { name: r.data, data };
    });
    const stored = { ...s, id: this.exists(s.id) ? this.newId(s.title) : s.id };
    this.write(stored, files);
    return stored;
  }
}

/** Runs are found by id (`sessions.packets`, annotations): two with one id would be ambiguous. */
function checkRunIds(runs: readonly { id: string }[]): void {
  const seen = new Set<string>();
  for (const r of runs) {
    if (seen.has(r.id)) throw new SessionFormatError(`two runs have the id ${r.id}`);
    seen.add(r.id);
  }
}

/** The list entry of a session that cannot be read: its id, its file's mtime and the typed problem. */
function unreadableSummary(id: string, path: string, e: unknown): SessionSummary {
  let mtime = new Date(0);
  try {
    mtime = statSync(path).mtime;
  } catch {
    // gone meanwhile: the epoch sorts it last
  }
  return {
    id,
    title: id,
    updatedAt: mtime.toISOString(),
    hosts: [],
    runs: 0,
    packets: 0,
    problem: toApiError(e),
  };
}

/** explainedPacketsAt, its file's problems said as such. */
function explainedAt(
  file: RunFile,
  positions: readonly number[],
  o: ExplainOptions,
  searchKids: boolean,
): Map<number, PacketPath> {
  try {
    return explainedPacketsAt(file, positions, o, searchKids);
  } catch (e) {
    throw runFileProblem(file.path, e);
  }
}

function readPacket(file: RunFile, at: number): PacketPath {
  try {
    return file.packetAt(at);
  } catch (e) {
    throw runFileProblem(file.path, e);
  }
}

/** The packets around position `at` (ANSWER_WINDOW either side), where the kernel's answers to it are. */
function nearbyPackets(file: RunFile, at: number): PacketPath[] {
  const out: PacketPath[] = [];
  const end = Math.min(file.count, at + ANSWER_WINDOW + 1);
  for (let i = Math.max(0, at - ANSWER_WINDOW); i < end; i++) out.push(readPacket(file, i));
  return out;
}

/** A packet for the contract: captured bytes stay in the run file (the pcapng export writes them). */
function apiPacket(file: RunFile, at: number): PacketPath {
  const { captures: _bytes, ...p } = readPacket(file, at) as PacketPath & { captures?: unknown };
  return p;
}

function toApi(s: StoredSession): Session {
  return { ...s, runs: s.runs.map(({ data: _file, ...r }) => r) };
}

/** Puts a finished run file at `to` atomically: a hard link (no copy; both are in the data dir) or, across file
 * systems, a copy; either through a temp name renamed into place. */
function placeFile(from: string, to: string): void {
  const tmp = join(to, '..', `.${randomBytes(4).toString('hex')}.run.tmp-${process.pid}`);
  try {
    try {
      linkSync(from, tmp);
    } catch (e) {
      if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
      copyFileSync(from, tmp);
      const fd = openSync(tmp, 'r');
      fsyncSync(fd);
      closeSync(fd);
    }
    renameSync(tmp, to);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
}

/** Appends the file at `from` to `fd`, a MiB at a time. */
function appendFile(fd: number, from: string): void {
  const src = openSync(from, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    for (let n; (n = readSync(src, buf, 0, buf.length, null)) > 0;) writeAll(fd, buf.subarray(0, n));
  } finally {
    closeSync(src);
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function removeIfStale(path: string): void {
  try {
    if (Date.now() - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
  } catch {
    // raced with another process: nothing to clean
  }
}

export function summarize(s: Session): SessionSummary {
  return {
    id: s.id,
    title: s.title,
    updatedAt: s.updatedAt,
    hosts: [...new Set([...s.hosts.map((h) => h.name), ...s.runs.map((r) => r.host)])],
    runs: s.runs.length,
    packets: s.runs.reduce((n, r) => n + r.packets, 0),
  };
}
