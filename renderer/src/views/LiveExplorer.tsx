import { useMemo } from 'react';
import type { LiveRun } from '../model/live-run';
import { localSource } from '../model/packet-source';
import type { WallClock } from '../model/wall-clock';
import { PathExplorer } from './PathExplorer';
import { useBatches } from './use-live-packets';

/**
 * The Trace view's packets: the only part of the view (with its counters) a batch re-renders, so the form beside it
 * costs nothing while a flood streams in.
 */
export function LiveExplorer(props: {
  runKey: string;
  live: LiveRun;
  wall: WallClock | undefined;
  subscribe: (on: () => void) => () => void;
  running: boolean;
  emptyHint: string;
}) {
  const { runKey, live, wall } = props;
  useBatches(props.subscribe);
  const version = live.version;
  const source = useMemo(
    () =>
      localSource(runKey, live.packets, version, {
        t0: live.t0,
        wall,
        variants: live.variants,
        columns: live.columns,
      }),
    [runKey, live, version, wall],
  );
  return <PathExplorer key={runKey} source={source} live={props.running} emptyHint={props.emptyHint} />;
}
