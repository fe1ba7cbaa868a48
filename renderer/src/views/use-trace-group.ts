import { useCallback, useEffect, useRef, useState } from 'react';
import type { TraceGroupSpecInput } from '../../../main/api/trace-group';
import type { ApiClient } from '../api/client';
import type { TransportStatus } from '../api/transport';
import { GroupRun } from '../model/trace-group';

export type GroupState =
  | { kind: 'idle'; startError?: string }
  | { kind: 'starting'; hosts: readonly string[] }
  | { kind: 'running' | 'ended'; group: GroupRun; startError?: string };

type Held = Parameters<GroupRun['apply']>[0];
/** Events held while `trace.startGroup` is answered (the runs' ids are not known yet); a start takes seconds. */
const MAX_HELD = 20_000;

/**
 * The Trace view's run on several hosts, as the core reports it (`trace.startGroup` / `trace.stopGroup`, then each
 * run's events). Events that arrive before the answer names the runs are held and replayed. Re-renders at most
 * once a frame while packets stream.
 */
export function useTraceGroup(client: ApiClient): {
  state: GroupState;
  version: number;
  start: (spec: TraceGroupSpecInput) => Promise<boolean>;
  stop: () => Promise<string | undefined>;
} {
  const [state, setState] = useState<GroupState>({ kind: 'idle' });
  const ref = useRef(state);
  ref.current = state;
  const held = useRef<Held[] | undefined>(undefined);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    let frame = 0;
    const changed = () => {
      const s = ref.current;
      if (s.kind === 'running' && s.group.done) setState((ref.current = { ...s, kind: 'ended' }));
      frame ||= requestAnimationFrame(() => {
        frame = 0;
        setVersion((v) => v + 1);
      });
    };
    const take = (e: Held) => {
      if (held.current) return void (held.current.length < MAX_HELD && held.current.push(e));
      const s = ref.current;
      if (s.kind === 'running' && s.group.apply(e)) changed();
    };
    const offs = [
      client.on('trace.progress', (payload) => take({ event: 'trace.progress', payload })),
      client.on('trace.packets', (payload) => take({ event: 'trace.packets', payload })),
      client.on('trace.end', (payload) => take({ event: 'trace.end', payload })),
      client.transport.onStatus((st: TransportStatus) => {
        const s = ref.current;
        if (st.state === 'open' && st.reconnected && s.kind === 'running')
          void resync(client, s.group).then(changed);
      }),
    ];
    return () => {
      cancelAnimationFrame(frame);
      offs.forEach((off) => off());
    };
  }, [client]);

  const start = useCallback(
    async (spec: TraceGroupSpecInput) => {
      const before = ref.current;
      if (before.kind === 'starting' || before.kind === 'running') return false;
      held.current = [];
      setState((ref.current = { kind: 'starting', hosts: spec.hosts }));
      try {
        const group = new GroupRun(await client.call('trace.startGroup', spec), spec.hosts);
        const early = held.current;
        held.current = undefined;
        for (const e of early) group.apply(e);
        setState((ref.current = { kind: group.done ? 'ended' : 'running', group }));
        return true;
      } catch (e) {
        held.current = undefined;
        setState((ref.current = { ...before, startError: (e as Error).message }));
        return false;
      }
    },
    [client],
  );

  /** Asks the core to stop every host; each run ends when the core says so. Returns why the request failed. */
  const stop = useCallback(async () => {
    const s = ref.current;
    if (s.kind !== 'running') return undefined;
    try {
      await client.call('trace.stopGroup', { groupId: s.group.groupId });
      await resync(client, s.group); // the answer can beat the batched trace.end events
      if (s.group.done && ref.current === s) setState((ref.current = { ...s, kind: 'ended' }));
      setVersion((v) => v + 1);
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }, [client]);

  return { state, version, start, stop };
}

/** Each still-running host's state from the core (after a reconnect, or a stop whose events are still on the way). */
async function resync(client: ApiClient, group: GroupRun): Promise<void> {
  await Promise.all(
    group.runningRunIds.map(async (runId) => {
      try {
        const st = await client.call('trace.status', { runId });
        if (st.reason) group.resynced(runId, st.reason, st.lost);
      } catch {
        // unknown to this core, or the link is down again: the connection banner says so
      }
    }),
  );
}
