import type { TransportStatus } from '../api/transport';
import { formatCount } from '../model/format';
import { FunctionOutcomes } from './FunctionOutcomes';
import type { RunState } from './use-trace-run';

/** Cut and partial packets of an ended run (counted by the view from its packets). */
export interface FlagCounts {
  cut: number;
  partial: number;
}

/**
 * The run as the core reports it: phase, counters, and what the numbers mean — a banner when events were lost (the
 * paths are incomplete), how many packets were cut or partial, why the run ended, why a start was refused.
 */
export function RunStatus(props: {
  state: RunState;
  packets: number;
  events: number;
  flags: FlagCounts | undefined;
  connection: TransportStatus;
}) {
  const { state } = props;
  const p = state.kind === 'running' || state.kind === 'ended' ? state.progress : undefined;
  const end = state.kind === 'ended' ? state.end : undefined;
  const phase = end
    ? end.error
      ? 'failed'
      : 'done'
    : state.kind === 'running'
      ? (p?.phase ?? 'starting')
      : state.kind;
  const lost = end?.lost || p?.lost || 0;
  const tone = phase === 'failed' ? 'bad' : phase === 'done' ? 'ok' : phase === 'tracing' ? 'warn' : '';
  return (
    <div className="col" data-testid="progress">
      <div className="progress">
        <span className={`phase ${tone}`} data-testid="phase">
          {phase}
        </span>
        {p?.total !== undefined && (
          <span className="counter">
            attached <b>{p.attached ?? 0}</b>/{p.total}
          </span>
        )}
        <span className="counter">
          packets <b data-testid="live-packets">{formatCount(props.packets)}</b>
        </span>
        <span className="counter">
          events <b>{formatCount(props.events)}</b>
        </span>
        <span className="counter">
          lost <b className={lost ? 'bad' : ''}>{formatCount(lost)}</b>
        </span>
      </div>
      {state.kind === 'running' && props.connection.state === 'closed' && (
        <div className="banner bad">Connection lost: the state shown is the last the core reported.</div>
      )}
      {(state.kind === 'idle' || state.kind === 'ended') && state.startError && (
        <div className="banner bad" role="alert" data-testid="start-error">
          Not started: {state.startError}
        </div>
      )}
      {end && (
        <div className={`banner ${end.error ? 'bad' : 'info'}`} data-testid="end-reason">
          Ended: {end.reason.message}
        </div>
      )}
      {lost > 0 && <LostBanner lost={lost} events={props.events} />}
      {props.flags && <FlagBanner flags={props.flags} />}
      {p?.message && state.kind === 'running' && <div className="muted">{p.message}</div>}
      <FunctionOutcomes
        testId="not-attached"
        title="Could not be attached"
        className="warn"
        items={p?.failures ?? []}
        how={(g) => `(${g.reason})`}
      />
      {p?.covered?.length ? (
        <div className="muted" data-testid="covered-tracepoints">
          Tracepoints left out, their functions traced instead:{' '}
          {p.covered.map((x) => `${x.tracepoint} (${x.by.join(', ')})`).join(', ')}
        </div>
      ) : null}
      <FunctionOutcomes
        testId="fell-back"
        title="Traced by another backend"
        className="muted"
        items={p?.fellBack ?? []}
        how={(g) => `by ${g.backend} (${g.reason})`}
      />
    </div>
  );
}

export function LostBanner({ lost, events }: { lost: number; events: number }) {
  return (
    <div className="banner warn" role="alert" data-testid="lost-banner">
      <b>⚠ {formatCount(lost)} events lost</b> (vs {formatCount(events)} recorded): paths are incomplete —
      packets may miss hops, their start or their end. The kernel’s ring buffer (8 MiB) filled faster than
      pktpath read it: narrow the filter or trace fewer probes (a smaller profile). A bigger buffer is not a
      trace option yet.
    </div>
  );
}

function FlagBanner({ flags }: { flags: FlagCounts }) {
  if (!flags.cut && !flags.partial) return null;
  return (
    <div className="banner info" data-testid="flag-counts">
      {flags.cut > 0 && (
        <>
          <span className="pkt-flag">cut</span>
          {formatCount(flags.cut)} still in flight when the run ended (their ends are missing).{' '}
        </>
      )}
      {flags.partial > 0 && (
        <>
          <span className="pkt-flag">partial</span>
          {formatCount(flags.partial)} first seen mid-way (their starts are missing).
        </>
      )}
    </div>
  );
}
