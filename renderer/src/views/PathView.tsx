import { useState } from 'react';
import { useApp } from '../app/context';
import { HostContextPanel } from '../components/HostContextPanel';
import { StateMessage } from '../components/StateMessage';
import { formatCount } from '../model/format';
import { PathExplorer } from './PathExplorer';
import { LostBanner } from './RunStatus';

/** The opened document (a saved session or the last trace): pick a run, explore its packets. */
export function PathView() {
  const app = useApp();
  const doc = app.doc;
  const [runIndex, setRunIndex] = useState(0);
  const [showContext, setShowContext] = useState(false);
  // a document opened at a packet (Flows view) opens at its run
  const [seenDoc, setSeenDoc] = useState(doc);
  if (doc !== seenDoc) {
    setSeenDoc(doc);
    const at = doc?.focus ? doc.runs.findIndex((r) => r.id === doc.focus?.run) : -1;
    if (at >= 0) setRunIndex(at);
  }
  if (!doc)
    return (
      <StateMessage
        title="Nothing open"
        actions={
          <>
            <button onClick={() => app.setView('trace')}>New trace (Alt+2)</button>
            <button onClick={() => app.setView('sessions')}>Open a session (Alt+4)</button>
          </>
        }
      >
        Run a trace or open a saved session to see its packets&apos; paths.
      </StateMessage>
    );
  const run = doc.runs[Math.min(runIndex, doc.runs.length - 1)];
  const focus = doc.focus && run && doc.focus.run === run.id ? doc.focus.packet : undefined;
  const hosts = new Set(doc.runs.map((r) => r.host)).size;
  return (
    <div className="col grow" style={{ gap: 0, minHeight: 0 }}>
      <div className="pane-head">
        <h2>Path</h2>
        <b data-testid="doc-title">{doc.title}</b>
        {doc.runs.length > 1 && (
          <select value={runIndex} onChange={(e) => setRunIndex(Number(e.target.value))} aria-label="run">
            {doc.runs.map((r, i) => (
              <option key={r.id} value={i}>
                run {i + 1}: {r.host} · {r.filter || 'all'} · {formatCount(r.source.total)} packets
              </option>
            ))}
          </select>
        )}
        {run && (
          <span className="muted">
            {run.host} · filter <span className="mono">{run.filter || '(all)'}</span>
            {run.lost ? <span className="bad"> · {formatCount(run.lost)} events lost</span> : null}
            {run.ended ? <span data-testid="run-ended"> · ended: {run.ended}</span> : null}
          </span>
        )}
        <span className="spacer" />
        {doc.sessionId && hosts > 1 && (
          <button
            onClick={() => app.setView('flows')}
            title={`This session's packets as flows across its ${hosts} hosts (Alt+6)`}
          >
            Flows
          </button>
        )}
        {run && (
          <button
            aria-pressed={showContext}
            onClick={() => setShowContext((v) => !v)}
            title="The host's links, routes, rules, neighbours, sysctls, firewall rules, listeners and the counters that moved, at the run's start and end (press again for the packets)"
          >
            Host context
          </button>
        )}
      </div>
      {run && run.lost > 0 && <LostBanner lost={run.lost} events={run.events ?? 0} />}
      <div className="row grow" style={{ minHeight: 0, alignItems: 'stretch', gap: 0 }}>
        {run ? (
          // the explorer stays mounted (its selection and scroll survive) while the host context takes the room
          <div
            className="row grow"
            style={{ minWidth: 0, alignItems: 'stretch', ...(showContext ? { display: 'none' } : {}) }}
          >
            <PathExplorer
              key={`${doc.sessionId ?? ''}:${run.id}:${focus ?? ''}`}
              source={run.source}
              initialPacket={focus}
              {...(doc.sessionId
                ? {
                    onCompare: (packet: number) =>
                      app.compareWith({ session: doc.sessionId ?? '', run: run.id, packet }),
                  }
                : {})}
              emptyHint="This run captured no packets: the filter matched nothing while it ran."
            />
          </div>
        ) : (
          <StateMessage title="This session has no runs" />
        )}
        {run && showContext && (
          <div className="pane grow" data-testid="host-context-pane" style={{ borderRight: 'none' }}>
            <div className="pane-body section">
              <HostContextPanel key={`${doc.sessionId ?? ''}:${run.id}`} context={run.context} />
            </div>
          </div>
        )}
      </div>
    </div>
  );
}
