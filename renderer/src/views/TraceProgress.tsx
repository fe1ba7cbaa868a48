import { useMemo } from 'react';
import type { TransportStatus } from '../api/transport';
import { useApp } from '../app/context';
import type { LiveRun } from '../model/live-run';
import { GroupRunStatus } from './GroupRunPanel';
import { RunStatus, type FlagCounts } from './RunStatus';
import { sessionDocument } from './session-doc';
import type { useTraceGroup } from './use-trace-group';
import { useBatches } from './use-live-packets';
import type { RunState } from './use-trace-run';

/** The Trace view's Progress section: the last run's (or group's) state, and once it ended, saving it as a
 * session (a group's opens its flows) or opening it in the Path view. */
export function TraceProgress(props: {
  kind: 'one' | 'group';
  group: ReturnType<typeof useTraceGroup>;
  run: RunState;
  live: LiveRun;
  /** Batches re-render the counters (see useBatches). */
  subscribe: (on: () => void) => () => void;
  connection: TransportStatus;
  /** What a saved session is called unless the user says otherwise. */
  title: string;
  ask: (title: string, initial: string) => Promise<string | undefined>;
  onOpenPath: () => void;
}) {
  const app = useApp();
  const { group, run, live } = props;
  useBatches(props.subscribe);
  const version = live.version;
  // Counted once the run has ended (a running list changes every frame; the list rows carry the marks meanwhile).
  const flags = useMemo<FlagCounts | undefined>(
    () => (run.kind === 'ended' ? flagCounts(live) : undefined),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- version: the packets grew
    [run.kind, live, version],
  );
  const save = async (runIds: string[], openFlows: boolean) => {
    const title = await props.ask('Session title', props.title);
    if (!title || !runIds.length) return;
    try {
      const s = await app.client.call('sessions.save', { title, runIds });
      app.notify(
        openFlows
          ? `Saved session “${s.title}” (${s.runs} runs, ${s.packets} packets)`
          : `Saved session “${s.title}” (${s.packets} packets)`,
      );
      if (openFlows)
        app.openDoc(
          sessionDocument(app.client, await app.client.call('sessions.get', { id: s.id })),
          'flows',
        );
    } catch (e) {
      app.reportError(e);
    }
  };
  const ended = run.kind === 'ended' ? run : undefined;
  return (
    <div className="section">
      <h3>Progress</h3>
      {props.kind === 'group' || group.state.kind === 'starting' ? (
        <>
          <GroupRunStatus state={group.state} />
          {group.state.kind === 'ended' && group.state.group.saveableRunIds.length > 0 && (
            <div className="row" style={{ marginTop: 8 }}>
              <button
                className="primary"
                onClick={() =>
                  group.state.kind === 'ended' && void save(group.state.group.saveableRunIds, true)
                }
              >
                Save session and show flows…
              </button>
            </div>
          )}
        </>
      ) : (
        <>
          <RunStatus
            state={run}
            packets={props.live.total}
            events={props.live.events}
            flags={flags}
            connection={props.connection}
          />
          {ended?.end.saveable && (
            <div className="row" style={{ marginTop: 8 }}>
              <button
                className="primary"
                onClick={() => void save([ended.runId], false)}
                title="Save as a session"
              >
                Save session…
              </button>
              <button onClick={props.onOpenPath}>Open in Path view</button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

function flagCounts(live: LiveRun): FlagCounts {
  const c = { cut: 0, partial: 0 };
  for (const p of live.packets) {
    if (p.cut) c.cut++;
    if (p.partial) c.partial++;
  }
  return c;
}
