import type { ApiHandler } from '../../api/handler.js';
import { ExportFormatSchema, type ExportFormat } from '../../api/sessions.js';
import type { PacketPath } from '../../api/trace.js';
import { SessionStore } from '../../core/sessions/session-store.js';
import { parseCommand, UsageError } from '../args.js';
import { json, type CliContext } from '../cli-context.js';
import { visibleControls } from '../../core/visible-controls.js';
import { describeContext } from './context-text.js';
import { describeRun } from './trace-command.js';
import { resolveRun } from '../../core/sessions/resolve-refs.js';

/** A title is one line of a listing: a newline in it would forge another. */
const titleLine = (t: string) => visibleControls(t, { oneLine: true });

export async function sessionsCommand(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [sub, ...rest] = argv;
  const core = await ctx.core();
  switch (sub) {
    case 'list':
    case 'ls': {
      const { values } = parseCommand(
        'sessions list',
        rest,
        { json: { type: 'boolean' } },
        { min: 0, max: 0, names: '[--json]' },
      );
      const { sessions } = await core.call('sessions.list', {});
      if (values.json) ctx.io.out(json(sessions));
      else
        for (const s of sessions)
          ctx.io.out(
            s.problem
              ? `${s.id.padEnd(28)} ${s.updatedAt}  UNREADABLE (${s.problem.code}): ${titleLine(s.problem.message)}`
              : `${s.id.padEnd(28)} ${s.updatedAt}  ${s.runs} runs  ${s.packets} packets  ${s.hosts.join(',')}  ${titleLine(s.title)}`,
          );
      return 0;
    }
    case 'show': {
      const { at, values } = parseCommand(
        'sessions show',
        rest,
        { json: { type: 'boolean' }, 'display-filter': { type: 'string' } },
        { min: 1, max: 1, names: 'SESSION [--display-filter EXPR] [--json]' },
      );
      const display = values['display-filter'];
      const meta = await core.call('sessions.get', { id: at(0) });
      // The whole session, packets included: `show` is for reading and scripts, not for 100k-packet browsing.
      const runs = [];
      for (const r of meta.runs) runs.push({ ...r, packets: await runPackets(core, meta.id, r.id, display) });
      const s = { ...meta, runs };
      if (values.json) ctx.io.out(json(s));
      else {
        ctx.io.out(`${titleLine(s.title)} (${s.id}), created ${s.createdAt}, updated ${s.updatedAt}`);
        if (s.notes) ctx.io.out(s.notes);
        s.runs.forEach((r, i) => {
          const shown = display
            ? ` (${r.packets.length} of ${meta.runs[i]?.packets ?? 0} match ${display})`
            : '';
          ctx.io.out(`run ${i + 1}:${visibleControls(shown, { oneLine: true })}`);
          for (const line of describeRun(r)) ctx.io.out(`  ${line}`);
        });
      }
      return 0;
    }
    case 'context': {
      const { at, values } = parseCommand(
        'sessions context',
        rest,
        { json: { type: 'boolean' } },
        { min: 1, max: 1, names: 'SESSION[:RUN] [--json]' },
      );
      const [id = '', run, extra] = at(0).split(':');
      if (!id || run === '' || extra !== undefined)
        throw new UsageError(`sessions context: "${at(0)}" is not SESSION[:RUN]`);
      const r = resolveRun(await core.call('sessions.get', { id }), run);
      if (values.json) ctx.io.out(json({ run: r.id, host: r.host, context: r.context ?? null }));
      else for (const line of describeContext(r.context)) ctx.io.out(line);
      return 0;
    }
    case 'export': {
      const { at, values } = parseCommand(
        'sessions export',
        rest,
        { markdown: { type: 'boolean' }, format: { type: 'string' }, json: { type: 'boolean' } },
        { min: 2, max: 2, names: 'SESSION FILE [--format session|markdown|pcapng] [--markdown] [--json]' },
      );
      const file = at(1);
      const format = exportFormat(file, values);
      // The CLI writes the file itself (no size cap): the API only hands bytes to remote faces.
      const r = new SessionStore(core.home).exportTo(at(0), file, format);
      if (values.json) ctx.io.out(json({ ...r, format }));
      else ctx.io.err(`wrote ${r.file} (${r.bytes} bytes, ${format})`);
      return 0;
    }
    case 'import': {
      const { at } = parseCommand('sessions import', rest, {}, { min: 1, max: 1, names: 'FILE' });
      ctx.io.out(new SessionStore(core.home).importFrom(at(0)).id);
      return 0;
    }
    case 'rm':
    case 'delete': {
      const { at } = parseCommand('sessions rm', rest, {}, { min: 1, max: 1, names: 'SESSION' });
      await core.call('sessions.delete', { id: at(0) });
      return 0;
    }
    default:
      throw new UsageError('usage: pktpath sessions list|show|export|import|rm …');
  }
}

const FORMATS = ExportFormatSchema.options;

/** --format wins; else --markdown; else the file's extension (.md, .pcapng); else a session bundle. */
function exportFormat(file: string, v: { markdown?: boolean; format?: string }): ExportFormat {
  if (v.format !== undefined) {
    const f = FORMATS.find((x) => x === v.format);
    if (!f) throw new UsageError(`sessions export: --format is one of ${FORMATS.join(', ')}`);
    if (v.markdown && f !== 'markdown')
      throw new UsageError('sessions export: --markdown contradicts --format');
    return f;
  }
  if (v.markdown || /\.md$/i.test(file)) return 'markdown';
  return /\.pcapng$/i.test(file) ? 'pcapng' : 'session';
}

/** Every packet of a saved run (or those passing a display filter), page by page. */
async function runPackets(
  core: ApiHandler,
  id: string,
  run: string,
  display?: string,
): Promise<PacketPath[]> {
  const out: PacketPath[] = [];
  const filter = display ? { display } : {};
  for (let offset = 0; ;) {
    const page = await core.call('sessions.packets', { id, run, offset, limit: 2000, filter });
    for (const p of page.packets) out.push(await core.call('sessions.packet', { id, run, packet: p.id }));
    offset += page.packets.length;
    if (!page.packets.length || offset >= page.total) return out;
  }
}
