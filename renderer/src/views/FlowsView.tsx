import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Flow, FlowFate, FlowSegment, SessionFlows } from '../../../main/api/flows';
import type { ApiClient } from '../api/client';
import { useApp } from '../app/context';
import { StateMessage } from '../components/StateMessage';
import { formatCount } from '../model/format';
import { FleetSummary } from './FleetSummary';
import { fateOf, FlowLine } from './FlowLine';
import './flows.css';

type Show = 'all' | 'lost' | 'dropped' | 'across';
const SHOWS: { id: Show; label: string; test: (f: SessionFlows['flows'][number]) => boolean }[] = [
  { id: 'all', label: 'all', test: () => true },
  { id: 'lost', label: 'never arrived', test: (f) => fateOf(f) === 'lost' },
  { id: 'dropped', label: 'dropped', test: (f) => fateOf(f) === 'dropped' },
  { id: 'across', label: 'across hosts', test: (f) => f.segments.length > 1 },
];
const LOST: readonly FlowFate[] = ['lost'];

/**
 * The open session's runs on several hosts as flows (`sessions.flows`: stitched by the core): each packet as one
 * line across the hosts it crossed, the packets that never arrived first in a banner, and the hosts grouped by
 * path. A segment opens that host's packet in the Path view.
 */
export function FlowsView() {
  const app = useApp();
  const { client, doc } = app;
  const id = doc?.sessionId;
  const hosts = new Set(doc?.runs.map((r) => r.host)).size;
  const got = useSessionFlows(client, hosts >= 2 ? id : undefined);
  const [show, setShow] = useState<Show>('all');
  const data = got?.flows;
  const runOf = useCallback((s: FlowSegment) => data?.runs.find((r) => r.host === s.host)?.run ?? '', [data]);
  const open = useCallback(
    (s: FlowSegment) => doc && app.openDoc({ ...doc, focus: { run: runOf(s), packet: s.packet_id } }, 'path'),
    [app, doc, runOf],
  );
  const load = useCallback(
    (s: FlowSegment) => client.call('sessions.packet', { id: id ?? '', run: runOf(s), packet: s.packet_id }),
    [client, id, runOf],
  );
  const shown = useMemo(() => {
    const test = SHOWS.find((x) => x.id === show)?.test ?? (() => true);
    return (data?.flows ?? []).map((f, i) => ({ f, n: i + 1 })).filter(({ f }) => test(f));
  }, [data, show]);

  if (!doc || !id)
    return (
      <StateMessage
        title="No session open"
        actions={<button onClick={() => app.setView('sessions')}>Open a session (Alt+4)</button>}
      >
        Flows join one packet&apos;s sightings on several hosts. Trace on several hosts (Trace view, “More
        hosts”), save the session, or open a saved one.
      </StateMessage>
    );
  if (hosts < 2)
    return (
      <StateMessage title="One host only">
        “{doc.title}” has runs from one host: flows need runs of the same trace on several hosts.
      </StateMessage>
    );
  if (got?.error)
    return (
      <StateMessage kind="error" title="Cannot stitch the flows">
        {got.error}
      </StateMessage>
    );
  if (!data) return <StateMessage kind="loading" title="Stitching the flows" />;
  const lost = data.flows.filter((f) => LOST.includes(fateOf(f)));
  return (
    <div className="col grow flows-view" style={{ minHeight: 0, gap: 0 }}>
      <div className="pane-head">
        <h2>Flows</h2>
        <b data-testid="flows-title">{doc.title}</b>
        <span className="muted" data-testid="flows-count">
          {formatCount(data.total)} flows on {data.runs.map((r) => r.host).join(', ')}
          {data.total > data.flows.length ? ` (first ${formatCount(data.flows.length)} shown)` : ''}
        </span>
        <span className="spacer" />
        <div className="row" role="group" aria-label="which flows">
          {SHOWS.map((x) => (
            <button key={x.id} aria-pressed={show === x.id} onClick={() => setShow(x.id)}>
              {x.label} ({formatCount(data.flows.filter(x.test).length)})
            </button>
          ))}
        </div>
      </div>
      <div className="pane-body flows-body">
        {lost.length > 0 && (
          <LostBanner lost={lost} onShow={show !== 'lost' ? () => setShow('lost') : undefined} />
        )}
        {data.fleet.length > 0 && <FleetSummary sessionId={id} fleet={data.fleet} />}
        {shown.length ? (
          <ol className="flow-list" aria-label="flows">
            {shown.map(({ f, n }) => (
              <FlowLine key={n} n={n} flow={f} onOpen={open} loadPacket={load} />
            ))}
          </ol>
        ) : (
          <StateMessage title="No flow here">No flow of this session is of this kind.</StateMessage>
        )}
      </div>
    </div>
  );
}

/** The session's flows from the core, for the session asked (none: nothing to fetch). */
function useSessionFlows(client: ApiClient, id: string | undefined) {
  const [got, setGot] = useState<{ id: string; flows?: SessionFlows; error?: string } | undefined>();
  useEffect(() => {
    if (!id) return;
    let stale = false;
    setGot(undefined);
    client.call('sessions.flows', { id }).then(
      (flows) => !stale && setGot({ id, flows }),
      (e: unknown) => !stale && setGot({ id, error: (e as Error).message }),
    );
    return () => {
      stale = true;
    };
  }, [client, id]);
  return got?.id === id ? got : undefined;
}

/** The packets that never arrived, first and in red: their headlines say where they were last seen. */
function LostBanner(props: { lost: readonly Flow[]; onShow: (() => void) | undefined }) {
  const { lost } = props;
  return (
    <div className="banner bad flows-lost" role="alert" data-testid="flows-lost">
      <b>
        ⚠ {formatCount(lost.length)} packet{lost.length === 1 ? '' : 's'} never arrived
      </b>
      <ul>
        {lost.slice(0, 3).map((f, i) => (
          <li key={i}>{f.headline}</li>
        ))}
      </ul>
      <div className="row wrap">
        {lost.length > 3 && <span>and {formatCount(lost.length - 3)} more.</span>}
        {props.onShow && <button onClick={props.onShow}>Show only these</button>}
      </div>
    </div>
  );
}
