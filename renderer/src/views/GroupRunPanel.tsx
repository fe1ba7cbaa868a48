import { useMemo, useState } from 'react';
import { PathExplorer } from './PathExplorer';
import { formatCount } from '../model/format';
import { localSource } from '../model/packet-source';
import type { GroupHost } from '../model/trace-group';
import { wallClockOf } from '../model/wall-clock';
import type { GroupState } from './use-trace-group';

function phaseOf(h: GroupHost): { text: string; tone: string } {
  if (h.notStarted) return { text: 'not started', tone: 'bad' };
  if (h.end) return h.end.error ? { text: 'failed', tone: 'bad' } : { text: 'done', tone: 'ok' };
  const p = h.progress?.phase ?? 'starting';
  return { text: p, tone: p === 'tracing' ? 'warn' : '' };
}

/**
 * Each host of a run on several hosts, as the core reports it: phase, attached probes, packets, lost events, and
 * why it ended — a host that failed says why while the others go on.
 */
export function GroupRunStatus(props: { state: GroupState }) {
  const { state } = props;
  if (state.kind === 'starting')
    return (
      <div className="col" data-testid="group-progress">
        <div className="progress">
          <span className="phase">starting</span>
          <span className="muted">on {state.hosts.join(', ')}</span>
        </div>
      </div>
    );
  if (state.kind === 'idle')
    return state.startError ? (
      <div className="banner bad" role="alert" data-testid="start-error">
        Not started: {state.startError}
      </div>
    ) : null;
  const { group } = state;
  return (
    <div className="col" data-testid="group-progress">
      <table className="group-hosts">
        <thead>
          <tr>
            <th scope="col">host</th>
            <th scope="col">phase</th>
            <th scope="col">packets</th>
            <th scope="col">lost</th>
          </tr>
        </thead>
        <tbody>
          {group.hosts.map((h) => {
            const ph = phaseOf(h);
            const lost = h.end?.lost ?? h.progress?.lost ?? 0;
            const why = h.notStarted ?? h.end?.reason.message ?? h.progress?.message;
            return (
              <tr key={h.host} data-testid={`group-host-${h.host}`}>
                <th scope="row">{h.host}</th>
                <td>
                  <span className={`phase ${ph.tone}`}>{ph.text}</span>
                  {h.progress?.total !== undefined && !h.end && (
                    <span className="dim"> {`${h.progress.attached ?? 0}/${h.progress.total}`}</span>
                  )}
                  {why && <div className={`group-why ${ph.tone === 'bad' ? 'bad' : 'muted'}`}>{why}</div>}
                </td>
                <td className="num">{formatCount(h.live.total)}</td>
                <td className={`num${lost ? ' bad' : ''}`}>{formatCount(lost)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {state.kind === 'ended' && (
        <div className="banner info" data-testid="end-reason">
          Ended on every host: {group.saveableRunIds.length} of {group.hosts.length} recorded a run
        </div>
      )}
    </div>
  );
}

/** The packets of one host of the group at a time, picked by host; the same explorer as one host's trace. */
export function GroupPackets(props: { state: GroupState; version: number; live: boolean; filter: string }) {
  const group =
    props.state.kind === 'running' || props.state.kind === 'ended' ? props.state.group : undefined;
  const [picked, setPicked] = useState<string | undefined>();
  const h = group?.hosts.find((x) => x.host === picked && x.runId) ?? group?.hosts.find((x) => x.runId);
  const live = h?.live;
  const version = live?.version ?? 0;
  const run = h?.run;
  const source = useMemo(
    () =>
      localSource(h?.runId ?? 'group', live?.packets ?? [], version, {
        t0: live?.t0,
        wall: run ? wallClockOf({ ...run, firstTsNs: live?.t0 ?? 0 }) : undefined,
        variants: live?.variants,
        columns: live?.columns,
      }),
    [h?.runId, live, version, run],
  );
  if (!group || !h) return null;
  return (
    <div className="col grow" style={{ minHeight: 0, gap: 0 }}>
      <div className="pane-head" role="group" aria-label="host of the packets shown">
        <h2>Packets on</h2>
        {group.hosts
          .filter((x) => x.runId)
          .map((x) => (
            <button key={x.host} aria-pressed={x === h} onClick={() => setPicked(x.host)}>
              {x.host} <span className="dim">({formatCount(x.live.total)})</span>
            </button>
          ))}
      </div>
      <div className="row grow" style={{ minHeight: 0, alignItems: 'stretch' }}>
        <PathExplorer
          key={h.runId}
          source={source}
          live={props.live && !h.end}
          emptyHint={
            h.end
              ? `No packet traced on ${h.host}. Ended: ${h.end.reason.message}.`
              : `Tracing “${props.filter}” on ${h.host}: generate matching traffic.`
          }
        />
      </div>
    </div>
  );
}
