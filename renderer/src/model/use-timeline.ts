import { useEffect, useRef, useState } from 'react';
import type { RunTimeline } from '../../../main/api/timeline';
import { queryKey, type ListQuery } from './list-query';
import type { PacketSource } from './packet-source';
import type { TimeWindow } from './timeline-view';

/** A live run is re-counted at most this often: each count is a pass over its packets, and a flood grows it every
 * 50 ms. */
const LIVE_EVERY_MS = 250;

/**
 * The timeline of `source` for the window on screen (none: the whole run, so a live run's grows with it), counting
 * the packets the list's query lets through. A saved run asks the core (`sessions.timeline`), which reads its index
 * only; the last answer stays shown while the next is on its way, so zooming never blanks the plot.
 */
export function useTimeline(
  source: PacketSource,
  q: ListQuery,
  win: TimeWindow | undefined,
  buckets: number,
): { data: RunTimeline | undefined; error: string | undefined } {
  const [state, setState] = useState<{ data?: RunTimeline; error?: string }>({});
  const last = useRef(0);
  const shape = queryKey({ ...q, range: undefined });
  const key = `${source.key}|${shape}|${win ? `${win.from},${win.to}` : 'all'}|${buckets}`;
  useEffect(() => {
    let stale = false;
    const wait = source.pageNow ? Math.max(0, last.current + LIVE_EVERY_MS - Date.now()) : 0;
    const timer = setTimeout(() => {
      last.current = Date.now();
      source.timeline({ buckets, ...(win ? { from_ns: win.from, to_ns: win.to } : {}) }, q).then(
        (data) => !stale && setState({ data }),
        (e: unknown) => !stale && setState((s) => ({ ...s, error: (e as Error).message })),
      );
    }, wait);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for the source, query, window and buckets
  }, [key]);
  return { data: state.data, error: state.error };
}
