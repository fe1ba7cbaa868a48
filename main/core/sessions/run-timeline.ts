import type { PacketQuery } from '../../api/packets.js';
import { bucketTimeline, type RunTimeline, type TimelineWindowParsed } from '../../api/timeline.js';
import { positionsOf } from './packet-pages.js';
import type { RunFile } from './run-file.js';
import { verdictKindAt } from './run-verdicts.js';

/**
 * A saved run's timeline (`sessions.timeline`) from its index alone: the `first` column gives each packet's start,
 * the run's verdict column its colour, and the list's filter (without its time range, which the timeline draws)
 * which packets count. Nothing is read from the packet lines, so a 100k-packet run costs two passes over two
 * typed arrays.
 */
export function runTimeline(
  run: RunFile,
  window: TimelineWindowParsed,
  filter: PacketQuery['filter'],
  verdicts: () => Uint8Array,
): RunTimeline {
  const x = run.index;
  const t0 = x.first[0] ?? 0;
  const { time: _range, ...counted } = filter;
  const order = positionsOf(run, counted, verdicts);
  const kinds = verdicts();
  const at = (k: number) => (order ? (order[k] ?? 0) : k);
  return bucketTimeline(
    {
      count: order ? order.length : run.count,
      time: (k) => (x.first[at(k)] ?? 0) - t0,
      verdict: (k) => verdictKindAt(kinds, at(k)),
    },
    window,
  );
}
