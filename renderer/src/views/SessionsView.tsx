import { useCallback, useEffect, useState } from 'react';
import type { ExportFormat, Session, SessionSummary } from '../../../main/api/sessions';
import { MAX_TRANSFER_BYTES } from '../../../main/api/transfer';
import { pickFile, saveFile } from '../api/files';
import { useApp } from '../app/context';
import { StateMessage } from '../components/StateMessage';
import { useTextPrompt } from '../components/TextPrompt';
import { formatCount, formatDate } from '../model/format';
import { sessionDocument } from './session-doc';
import { ReportDialog } from '../components/ReportDialog';

/** The session library: open, rename, notes, export (session file or Markdown report), import, delete. */
export function SessionsView(props: { active: boolean }) {
  const app = useApp();
  const { client } = app;
  const [list, setList] = useState<SessionSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [selected, setSelected] = useState<string | undefined>();
  const [detail, setDetail] = useState<Session | undefined>();
  const [note, setNote] = useState('');
  const [promptEl, ask] = useTextPrompt();
  const [report, setReport] = useState<{ title: string; id: string; markdown: string } | undefined>();

  const refresh = useCallback(async () => {
    try {
      setList((await client.call('sessions.list', {})).sessions);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [client]);
  useEffect(() => {
    if (props.active) void refresh();
  }, [props.active, refresh]);
  const [detailVersion, setDetailVersion] = useState(0);
  useEffect(() => {
    if (!selected) return setDetail(undefined);
    let stale = false; // a slower answer for an older selection or version must not win
    client.call('sessions.get', { id: selected }).then((s) => !stale && setDetail(s), app.reportError);
    return () => {
      stale = true;
    };
  }, [selected, detailVersion, client, app.reportError]);

  const open = async (id: string, view: 'path' | 'flows' = 'path') => {
    try {
      // Fetched at open time: the library may have been renamed or annotated since the detail pane loaded.
      const s = await client.call('sessions.get', { id });
      app.openDoc(sessionDocument(client, s), view);
    } catch (e) {
      app.reportError(e);
    }
  };
  const rename = async (s: SessionSummary) => {
    const title = await ask('New title', s.title);
    if (!title || title === s.title) return;
    try {
      await client.call('sessions.rename', { id: s.id, title });
      await refresh();
      setDetailVersion((v) => v + 1);
    } catch (e) {
      app.reportError(e);
    }
  };
  const remove = async (s: SessionSummary) => {
    if (!confirm(`Delete session “${s.title}”? This cannot be undone.`)) return;
    try {
      await client.call('sessions.delete', { id: s.id });
      setSelected(undefined);
      await refresh();
    } catch (e) {
      app.reportError(e);
    }
  };
  const addNote = async () => {
    if (!detail || !note.trim()) return;
    try {
      const a = await client.call('sessions.annotate', { id: detail.id, text: note.trim() });
      setDetail({ ...detail, annotations: [...detail.annotations, a] });
      setNote('');
    } catch (e) {
      app.reportError(e);
    }
  };
  const exportAs = async (format: ExportFormat) => {
    if (!detail) return;
    try {
      const r = await client.call('sessions.export', { id: detail.id, format });
      if (await saveFile(r, r.mediaType)) app.notify(`Exported ${r.name} (${formatCount(r.bytes)} bytes)`);
    } catch (e) {
      app.reportError(e);
    }
  };
  const showReport = async () => {
    if (!detail) return;
    try {
      const r = await client.call('sessions.report', { id: detail.id });
      setReport({ title: detail.title, id: detail.id, markdown: r.markdown });
    } catch (e) {
      app.reportError(e);
    }
  };
  const importFile = async () => {
    try {
      const file = await pickFile('session');
      if (!file) return;
      const s = await client.call('sessions.import', file);
      app.notify(`Imported “${s.title}”`);
      await refresh();
      setSelected(s.id);
    } catch (e) {
      app.reportError(e);
    }
  };

  return (
    <div className="view grow">
      {promptEl}
      {report && (
        <ReportDialog
          title={report.title}
          fileName={`${report.id}.md`}
          markdown={report.markdown}
          onClose={() => setReport(undefined)}
        />
      )}
      <div className="pane grow">
        <div className="pane-head">
          <h2>Sessions</h2>
          <span className="spacer" />
          <button onClick={() => void importFile()} title="Upload a session file exported by pktpath">
            Import session file…
          </button>
        </div>
        <div className="pane-body">
          {error ? (
            <StateMessage
              kind="error"
              title="Cannot list sessions"
              actions={<button onClick={() => void refresh()}>Retry</button>}
            >
              {error}
            </StateMessage>
          ) : !list ? (
            <StateMessage kind="loading" title="Loading sessions" />
          ) : !list.length ? (
            <StateMessage
              title="No saved sessions"
              actions={<button onClick={() => app.setView('trace')}>New trace (Alt+2)</button>}
            >
              Finish a trace and press “Save session…”, or import a session file.
            </StateMessage>
          ) : (
            <table className="grid" data-testid="sessions-table">
              <thead>
                <tr>
                  <th>title</th>
                  <th>hosts</th>
                  <th>runs</th>
                  <th>packets</th>
                  <th>updated</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.map((s) =>
                  s.problem ? (
                    // unreadable: shown with what is wrong (it cannot be opened), and it can still be deleted
                    <tr key={s.id} data-session={s.id} data-problem={s.problem.code}>
                      <td style={{ whiteSpace: 'normal' }}>
                        <b>{s.id}</b> <span className="bad">unreadable: {s.problem.message}</span>
                      </td>
                      <td />
                      <td />
                      <td />
                      <td className="muted">{formatDate(s.updatedAt)}</td>
                      <td className="row">
                        <button className="danger" onClick={() => void remove(s)}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ) : (
                    <tr
                      key={s.id}
                      data-session={s.id}
                      className={s.id === selected ? 'selected' : ''}
                      onMouseDown={() => setSelected(s.id)}
                      onDoubleClick={() => void open(s.id)}
                    >
                      <td style={{ whiteSpace: 'normal' }}>
                        <b>{s.title}</b> <span className="dim mono">{s.id}</span>
                      </td>
                      <td>{s.hosts.join(', ')}</td>
                      <td>{s.runs}</td>
                      <td>{formatCount(s.packets)}</td>
                      <td className="muted">{formatDate(s.updatedAt)}</td>
                      <td className="row">
                        <button className="primary" onClick={() => void open(s.id)}>
                          Open
                        </button>
                        {s.hosts.length > 1 && (
                          <button
                            onClick={() => void open(s.id, 'flows')}
                            title={`Open its packets as flows across ${s.hosts.join(', ')} (Flows view)`}
                          >
                            Flows
                          </button>
                        )}
                        <button onClick={() => void rename(s)}>Rename</button>
                        <button className="danger" onClick={() => void remove(s)}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ),
                )}
              </tbody>
            </table>
          )}
        </div>
      </div>
      {detail && (
        <div
          className="pane"
          style={{ width: 'clamp(300px, 30vw, 400px)', flex: 'none', borderLeft: '1px solid var(--line)' }}
        >
          <div className="pane-head">
            <h2>{detail.title}</h2>
          </div>
          <div className="pane-body">
            <div className="section">
              <h3>Runs</h3>
              {detail.runs.map((r, i) => (
                <div key={r.id} className="mono" style={{ fontSize: 12 }}>
                  {i + 1}. {r.host} · {r.mode} · “{r.spec.filter || 'all'}” · {formatCount(r.packets)} pkts
                  {r.lost ? <span className="bad"> · {r.lost} lost</span> : ''}
                </div>
              ))}
              {detail.hosts.map((h) => (
                <div key={h.name} className="dim" style={{ fontSize: 11 }}>
                  {h.name}: {h.kernelRelease ?? '?'} {h.arch ?? ''}
                </div>
              ))}
            </div>
            <div className="section">
              <h3>Notes</h3>
              {detail.notes && <p>{detail.notes}</p>}
              {detail.annotations.map((a) => (
                <div key={a.id} style={{ marginBottom: 4 }}>
                  <span className="dim" style={{ fontSize: 11 }}>
                    {formatDate(a.at)}
                    {a.packetId !== undefined ? ` · packet ${a.packetId}` : ''}
                  </span>
                  <div>{a.text}</div>
                </div>
              ))}
              <textarea
                rows={2}
                style={{ width: '100%' }}
                value={note}
                onChange={(e) => setNote(e.target.value)}
                placeholder="Add a note (Ctrl+Enter)"
                aria-label="note"
                onKeyDown={(e) => e.key === 'Enter' && e.ctrlKey && void addNote()}
              />
              <button onClick={() => void addNote()} disabled={!note.trim()}>
                Add note
              </button>
            </div>
            <div className="section col">
              <h3>Report</h3>
              <div className="row">
                <button onClick={() => void showReport()}>Show Markdown report…</button>
              </div>
            </div>
            <div className="section col">
              <h3>Export</h3>
              {/* Wraps as whole buttons in a narrow pane (1024 px wide windows). */}
              <div className="row" style={{ flexWrap: 'wrap', whiteSpace: 'nowrap' }}>
                <button onClick={() => void exportAs('session')}>Session file</button>
                <button onClick={() => void exportAs('markdown')}>Markdown report</button>
                {detail.runs.some((r) => r.spec.capture) && (
                  <button
                    onClick={() => void exportAs('pcapng')}
                    title="The captured packet bytes, for Wireshark"
                  >
                    pcapng
                  </button>
                )}
              </div>
              <div className="field-hint">
                {window.pktpath ? 'Saved where you choose.' : 'Downloaded by your browser.'} Up to{' '}
                {MAX_TRANSFER_BYTES / 2 ** 20} MiB here; larger with{' '}
                <span className="mono">pktpath sessions export</span>.
              </div>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
