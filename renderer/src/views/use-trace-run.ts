import { useCallback, useEffect, useRef, useState } from 'react';
import type { EventOf } from '../../../main/api/contract';
import type { TraceEndReason, TraceSpecInput } from '../../../main/api/trace';
import type { ApiClient } from '../api/client';
import type { TransportStatus } from '../api/transport';

export type Progress = EventOf<'trace.progress'>;
export type TraceEnd = EventOf<'trace.end'>;

/** How the last run ended: the core's reason, its error, and the final lost-event count. */
export interface RunEnd {
  reason: TraceEndReason;
  error?: { code: string; message: string };
  lost: number;
  /** The core still has the run (it can be saved); not after pktpath restarted. */
  saveable: boolean;
}

/**
 * The Trace view's run, as the core reports it — never guessed by the view. `idle` until a start is accepted (a
 * refused start changes nothing but the error it shows: the last run, if any, stays there to be saved); `running` from the core's run id until the core says it ended
 * (`trace.end`, or `trace.status` after a reconnect that missed that event).
 */
export type RunState =
  | { kind: 'idle'; startError?: string }
  | { kind: 'starting'; runId: string }
  | { kind: 'running'; runId: string; progress?: Progress }
  | { kind: 'ended'; runId: string; progress?: Progress; end: RunEnd; startError?: string };

const RESTARTED_END: RunEnd['reason'] = {
  kind: 'link-lost',
  message: 'pktpath restarted: the run ended with the old process and was not saved',
};

export function useTraceRun(
  client: ApiClient,
  hooks: {
    /** The id this view chose, before the core accepted it: its events may arrive before the answer. */
    onStarting: (runId: string) => void;
    onStart: (runId: string) => void;
    onEnd: (e: TraceEnd) => void;
  },
): {
  state: RunState;
  start: (spec: TraceSpecInput) => Promise<void>;
  stop: () => Promise<string | undefined>;
} {
  const [state, setState] = useState<RunState>({ kind: 'idle' });
  const ref = useRef(state);
  ref.current = state;
  const hooksRef = useRef(hooks);
  const pendingProgress = useRef<Progress | undefined>(undefined);
  const pendingEnd = useRef<TraceEnd | undefined>(undefined);
  hooksRef.current = hooks;

  const end = useCallback((runId: string, e: RunEnd) => {
    setState((s) => (s.kind === 'running' && s.runId === runId ? { ...s, kind: 'ended', end: e } : s));
  }, []);

  // The core's own events for our run; a reconnect resyncs from `trace.status` (events sent meanwhile were lost).
  useEffect(() => {
    const current = () => (ref.current.kind === 'running' ? ref.current.runId : undefined);
    const starting = () => (ref.current.kind === 'starting' ? ref.current.runId : undefined);
    const offs = [
      client.on('trace.progress', (p) => {
        if (p.runId === current() || p.runId === starting()) pendingProgress.current = p;
        if (p.runId === current()) setState((s) => (s.kind === 'running' ? { ...s, progress: p } : s));
      }),
      client.on('trace.end', (e) => {
        if (e.runId === starting()) pendingEnd.current = e;
        if (e.runId !== current()) return;
        hooksRef.current.onEnd(e);
        end(e.runId, endOfEvent(e));
      }),
      client.transport.onStatus((st: TransportStatus) => {
        const runId = current();
        if (!runId) return;
        if (st.state === 'closed' && st.cause === 'restarted')
          end(runId, restartedEnd(ref.current.kind === 'running' ? (ref.current.progress?.lost ?? 0) : 0));
        if (st.state === 'open' && st.reconnected) void resync(client, runId, end);
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [client, end]);

  const start = useCallback(
    async (spec: TraceSpecInput) => {
      const before = ref.current;
      if (before.kind === 'starting' || before.kind === 'running') return;
      // Our own id: events of the run are ours from the first one, even those that beat the answer.
      const chosen = `run-${crypto.randomUUID()}`;
      pendingProgress.current = undefined;
      pendingEnd.current = undefined;
      ref.current = { kind: 'starting', runId: chosen };
      setState(ref.current);
      hooksRef.current.onStarting(chosen);
      try {
        const { runId } = await client.call('trace.start', { ...spec, runId: chosen });
        hooksRef.current.onStart(runId);
        const progress = early(pendingProgress, runId);
        ref.current = { kind: 'running', runId, ...(progress ? { progress } : {}) };
        setState(ref.current);
        const ended = early(pendingEnd, runId);
        if (ended) {
          hooksRef.current.onEnd(ended);
          end(runId, endOfEvent(ended));
        }
      } catch (e) {
        setState({ ...before, startError: (e as Error).message });
      }
    },
    [client, end],
  );

  /** Asks the core to stop; the run ends when the core says so. Returns why the request failed, if it did. */
  const stop = useCallback(async () => {
    const s = ref.current;
    if (s.kind !== 'running') return undefined;
    try {
      await client.call('trace.stop', { runId: s.runId });
      await resync(client, s.runId, end); // the answer can beat the batched trace.end
      return undefined;
    } catch (e) {
      return (e as Error).message;
    }
  }, [client, end]);

  return { state, start, stop };
}

function endOfEvent(e: TraceEnd): RunEnd {
  return {
    reason: e.reason ?? { kind: e.error ? 'error' : 'stopped', message: e.error?.message ?? 'ended' },
    ...(e.error ? { error: e.error } : {}),
    lost: e.run?.lost ?? 0,
    saveable: true,
  };
}

/** The old process took the run with it: ended, not saveable (the new one never heard of it). */
function restartedEnd(lost: number): RunEnd {
  const reason = RESTARTED_END;
  return { reason, error: { code: 'unreachable', message: reason.message }, lost, saveable: false };
}

async function resync(
  client: ApiClient,
  runId: string,
  end: (runId: string, e: RunEnd) => void,
): Promise<void> {
  try {
    const st = await client.call('trace.status', { runId });
    if (st.reason) end(runId, { reason: st.reason, lost: st.lost, saveable: true });
  } catch {
    // the run is unknown to this core, or the link is down again: the banner says so
  }
}

/** What an event handler kept for `runId` while its start was in flight (read through a function: the handler
 * writes the ref behind the awaiting code's back, which control-flow narrowing cannot see). */
function early<T extends { runId: string }>(ref: { current: T | undefined }, runId: string): T | undefined {
  return ref.current?.runId === runId ? ref.current : undefined;
}
