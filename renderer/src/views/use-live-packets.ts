import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import type { HostContext } from '../../../main/api/explain';
import type { ApiClient } from '../api/client';
import { LiveRun } from '../model/live-run';
import { wallClockOf, type WallClock } from '../model/wall-clock';
import type { TraceEnd } from './use-trace-run';

/**
 * The packets of the one-host run this view started, as `trace.packets` brings them, including those that arrive
 * before the core answered `trace.start` (the run id is the client's own); at the end, the ended run's packets, wall
 * clock and host context. A batch re-renders only the components that show packets (`useBatches`), at most once per
 * frame; a start or an end re-renders the view.
 */
export function useLivePackets(client: ApiClient, reportError: (e: unknown) => void) {
  const [, setTick] = useState(0);
  const live = useRef(new LiveRun());
  const wall = useRef<WallClock | undefined>(undefined);
  const hostContext = useRef<HostContext | undefined>(undefined);
  const runRef = useRef<string | undefined>(undefined);
  /** The run this view asked for and the packets that arrived before the core's answer. */
  const pending = useRef<{ id: string; live: LiveRun } | undefined>(undefined);
  const listeners = useRef(new Set<() => void>());
  const subscribe = useCallback((on: () => void) => {
    listeners.current.add(on);
    return () => void listeners.current.delete(on);
  }, []);

  useEffect(() => {
    let frame = 0;
    const off = client.on('trace.packets', (p) => {
      if (p.runId === pending.current?.id) pending.current.live.apply(p.packets); // beat trace.start's answer
      if (p.runId !== runRef.current) return;
      live.current.apply(p.packets);
      frame ||= requestAnimationFrame(() => {
        frame = 0;
        for (const on of listeners.current) on();
      });
    });
    return () => {
      cancelAnimationFrame(frame);
      off();
    };
  }, [client]);

  return {
    live: live.current,
    wall: wall.current,
    hostContext: hostContext.current,
    /** Told (once a frame at most) that batches arrived; see useBatches. */
    subscribe,
    /** The callbacks useTraceRun calls. */
    runEvents: {
      onStarting: (id: string) => (pending.current = { id, live: new LiveRun() }),
      onStart: (id: string) => {
        runRef.current = id;
        live.current = pending.current?.id === id ? pending.current.live : new LiveRun();
        pending.current = undefined;
        wall.current = undefined;
        hostContext.current = undefined;
        setTick((t) => t + 1);
      },
      onEnd: (e: TraceEnd) => {
        if (e.error) reportError(Object.assign(new Error(e.error.message), e.error));
        if (e.run) live.current.apply(e.run.packets);
        // the loader's clock reading comes with the ended run: wall-clock times from then on
        if (e.run) wall.current = wallClockOf({ ...e.run, firstTsNs: live.current.t0 ?? 0 });
        hostContext.current = e.run?.context;
        setTick((t) => t + 1);
      },
    },
  };
}

/** Re-renders the calling component when batches arrived (and once as it subscribes, for any it missed). */
export function useBatches(subscribe: (on: () => void) => () => void): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    bump();
    return subscribe(bump);
  }, [subscribe]);
}
