import type { ResponseOf } from '../../../api/contract.js';
import type { ExportFormat, SessionHost } from '../../../api/sessions.js';
import { MAX_TRANSFER_BYTES, tooLargeMessage } from '../../../api/transfer.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Run } from '../../../api/trace.js';
import { CoreError } from '../../errors.js';
import { savedEndReason } from '../../trace/end-reason.js';
import { summarize, type RecordedRunInput } from '../../sessions/session-store.js';
import type { CoreContext, MethodTable } from '../core-context.js';

type SessionMethods =
  | 'sessions.list'
  | 'sessions.get'
  | 'sessions.packets'
  | 'sessions.packet'
  | 'sessions.timeline'
  | 'sessions.report'
  | 'sessions.save'
  | 'sessions.rename'
  | 'sessions.annotate'
  | 'sessions.delete'
  | 'sessions.export'
  | 'sessions.import';

export function sessionMethods(ctx: CoreContext): MethodTable<SessionMethods> {
  return {
    'sessions.list': () => ({ sessions: ctx.sessions.list().sessions }),
    'sessions.get': ({ id }) => {
      const s = ctx.sessions.get(id);
      // why each run ended, from its records, so a saved run says it as the live one did
      return { ...s, runs: s.runs.map((r) => ({ ...r, reason: savedEndReason(r) })) };
    },
    'sessions.packets': ({ id, run, ...query }) => ctx.sessions.packets(id, run, query),
    'sessions.packet': ({ id, run, packet }) => ctx.sessions.packet(id, run, packet),
    'sessions.timeline': ({ id, run, filter, ...window }) => ctx.sessions.timeline(id, run, window, filter),
    'sessions.report': ({ id }) => ({ markdown: ctx.sessions.report(id) }),
    'sessions.save': ({ id, title, notes, runIds }) => {
      const runs = runIds.map((r) => ctx.runs.finished(r));
      const hosts = sessionHosts(
        ctx,
        runs.map((r) => r.run),
      );
      try {
        return summarize(ctx.sessions.saveRecorded({ id, title, notes }, runs, hosts));
      } catch (e) {
        throw keptForRecovery(ctx, e, { title }, runs, hosts);
      }
    },
    'sessions.rename': ({ id, title }) => summarize(ctx.sessions.rename(id, title)),
    'sessions.annotate': ({ id, ...note }) => ctx.sessions.annotate(id, note),
    'sessions.delete': ({ id }) => {
      ctx.sessions.delete(id);
      return {};
    },
    'sessions.export': ({ id, format }) => exportedFile(ctx, id, format),
    'sessions.import': ({ data, name }) => {
      const bytes = Buffer.from(data, 'base64');
      // The schema caps the base64 length, which can hide up to 2 bytes over; this is the exact check.
      if (bytes.length > MAX_TRANSFER_BYTES)
        throw new CoreError('too-large', tooLargeMessage(name ?? 'the file'));
      return summarize(ctx.sessions.importData(bytes, name ?? 'the uploaded file'));
    },
  };
}

const EXPORTS: Record<ExportFormat, { extension: string; mediaType: string }> = {
  session: { extension: 'pktpath', mediaType: 'application/octet-stream' },
  markdown: { extension: 'md', mediaType: 'text/markdown' },
  pcapng: { extension: 'pcapng', mediaType: 'application/vnd.tcpdump.pcap' },
};

/** An export as bytes for the face to save where its user chooses: the core never picks a path for a caller. */
function exportedFile(ctx: CoreContext, id: string, format: ExportFormat): ResponseOf<'sessions.export'> {
  const data = ctx.sessions.exportData(id, format);
  if (data.length > MAX_TRANSFER_BYTES)
    throw new CoreError(
      'too-large',
      tooLargeMessage(`the ${format} export of session ${id} (${data.length} bytes)`),
      {
        bytes: data.length,
        limit: MAX_TRANSFER_BYTES,
      },
    );
  const { extension, mediaType } = EXPORTS[format];
  return { name: `${id}.${extension}`, mediaType, bytes: data.length, data: data.toString('base64') };
}

/**
 * A failed save keeps its runs: an export bundle beside the run files (else in the tmpdir) that `sessions import`
 * reads, named in the error's message and `details.recovery`.
 */
function keptForRecovery(
  ctx: CoreContext,
  e: unknown,
  target: { title: string },
  runs: readonly RecordedRunInput[],
  hosts: SessionHost[],
): CoreError {
  const why = e instanceof Error ? e.message : String(e);
  const code = e instanceof CoreError ? e.code : 'internal';
  const name = `${runs[0]?.run.id ?? 'runs'}-${Date.now()}.pktpath`;
  for (const dir of [ctx.runs.runsDir, tmpdir()]) {
    const file = join(dir, name);
    try {
      ctx.sessions.recoveryBundle(target, runs, hosts, file);
    } catch {
      continue;
    }
    return new CoreError(
      code,
      `cannot save: ${why}; the run is kept in ${file} (pktpath sessions import ${file})`,
      {
        recovery: file,
      },
    );
  }
  for (const r of runs) ctx.runs.keep(r.run.id);
  const files = runs.map((r) => r.recorded.file).join(', ');
  return new CoreError(code, `cannot save: ${why}; the run file is kept in ${files}`, { recovery: files });
}

/** The hosts the runs ran on, with the facts probed on the kernel each run saw (the record a report needs). */
function sessionHosts(ctx: CoreContext, runs: readonly Omit<Run, 'packets'>[]): SessionHost[] {
  const out = new Map<string, SessionHost>();
  for (const run of runs) {
    if (out.has(run.host)) continue;
    let address = run.host;
    try {
      address = ctx.hosts.get(run.host).address;
    } catch (e) {
      if (!(e instanceof CoreError)) throw e; // removed since the run: keep its name
    }
    const probe = run.kernelRelease ? ctx.probeCache.get(run.host, run.kernelRelease) : undefined;
    out.set(run.host, {
      name: run.host,
      address,
      ...(run.kernelRelease ? { kernelRelease: run.kernelRelease } : {}),
      ...(probe ? { arch: probe.arch, probe } : {}),
    });
  }
  return [...out.values()];
}
