import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { RunTimeline } from '../../../main/api/timeline';
import { queryKey, type ListQuery } from './list-query';
import type { PacketSource } from './packet-source';
import type { TimeWindow } from './timeline-view';

/** A live run is re-counted at most this often: each count is a pass over its packets, and a flood grows it every
 * 100 ms. */
const LIVE_EVERY_MS = 250;

/**
 * The timeline of `source` for the window on screen (none: the whole run, so a live run's grows with it), counting
 * the packets the list's query lets through. A saved run asks the core (`sessions.timeline`), which reads its index
 * only; the last answer stays shown while the next is on its way, so zooming never blanks the plot. A local source
 * is counted in the same frame as the batch that grew it (at most every LIVE_EVERY_MS; the last batch always).
 */
export function useTimeline(
  source: PacketSource,
  q: ListQuery,
  win: TimeWindow | undefined,
  buckets: number,
): { data: RunTimeline | undefined; error: string | undefined } {
  const [state, setState] = useState<{ data?: RunTimeline; error?: string }>({});
  const shape = `${queryKey({ ...q, range: undefined })}|${win ? `${win.from},${win.to}` : 'all'}|${buckets}`;
  const key = `${source.key}|${shape}`;
  const args = { buckets, ...(win ? { from_ns: win.from, to_ns: win.to } : {}) };
  useLocalTimeline(source, key, shape, (now) => {
    try {
      setState({ data: now(args, q) });
    } catch (e) {
      setState((s) => ({ ...s, error: (e as Error).message }));
    }
  });
  useEffect(() => {
    if (source.timelineNow) return;
    let stale = false;
    source.timeline(args, q).then(
      (data) => !stale && setState({ data }),
      (e: unknown) => !stale && setState((s) => ({ ...s, error: (e as Error).message })),
    );
    return () => {
      stale = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the source, query, window and buckets
  }, [key]);
  return { data: state.data, error: state.error };
}

/**
 * Counts a local source before paint when its packets grew and the last count is LIVE_EVERY_MS old, or at once when
 * the query, window or buckets changed; a batch in between is counted by a timer, cancelled if a later batch comes
 * first, so while a flood streams the count lands in a batch's own frame rather than a frame of its own.
 */
function useLocalTimeline(
  source: PacketSource,
  key: string,
  shape: string,
  redraw: (now: NonNullable<PacketSource['timelineNow']>) => void,
) {
  const last = useRef({ at: -Infinity, shape: '' });
  const redrawRef = useRef(redraw);
  redrawRef.current = redraw;
  useLayoutEffect(() => {
    const now = source.timelineNow;
    if (!now) return;
    const run = () => {
      last.current = { at: Date.now(), shape };
      redrawRef.current(now);
    };
    if (last.current.shape !== shape || Date.now() - last.current.at >= LIVE_EVERY_MS) return run();
    const timer = setTimeout(run, LIVE_EVERY_MS);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the source and `shape`
  }, [key]);
}
