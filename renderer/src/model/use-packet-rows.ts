import { useCallback, useEffect, useRef, useState } from 'react';
import { queryKey, type ListQuery } from './list-query';
import type { PacketSource, PacketSummary } from './packet-source';

/** Rows per `sessions.packets` call: a few screens, so fast scrolling needs a request every few frames at most. */
export const PAGE_ROWS = 200;
/** Rows per call when searching the list (next drop, go to packet): the most `sessions.packets` gives at once. */
const SEARCH_ROWS = 2000;

/**
 * The packet list's rows, fetched a page at a time around what is on screen. A local source answers synchronously
 * (no placeholders while a live trace grows); a saved run pages from the core and shows placeholders until a page
 * arrives. `total` is the filtered count (the source's total until the first filtered page is known).
 */
export function usePacketRows(source: PacketSource, query: ListQuery) {
  const key = `${source.key}|${queryKey(query)}`;
  const cache = useRef({ key, pages: new Map<number, PacketSummary[]>(), pending: new Set<number>() });
  const [filteredTotal, setFilteredTotal] = useState<{ key: string; total: number } | undefined>();
  const [, setLoaded] = useState(0);
  const [error, setError] = useState<{ key: string; message: string } | undefined>();
  if (cache.current.key !== key) cache.current = { key, pages: new Map(), pending: new Set() };
  const { pageNow } = source;
  const unfiltered =
    query.variant === undefined && !query.dropsOnly && !query.display?.trim() && !query.range;

  const total = pageNow
    ? pageNow(0, 0, query).total
    : filteredTotal?.key === key
      ? filteredTotal.total
      : unfiltered
        ? source.total
        : 0;
  // Until the core answers a filtered query, its count is unknown (not the unfiltered one).
  const counted = !!pageNow || unfiltered || filteredTotal?.key === key;

  /** Asks for the pages covering rows [first, last) plus one page either side. */
  const want = useCallback(
    (first: number, last: number) => {
      if (pageNow) return;
      const c = cache.current;
      const from = Math.max(0, Math.floor(first / PAGE_ROWS) - 1);
      const to = Math.floor(Math.max(first, last - 1) / PAGE_ROWS) + 1;
      for (let pg = from; pg <= to; pg++) {
        if ((counted && pg * PAGE_ROWS >= total) || c.pages.has(pg) || c.pending.has(pg)) continue;
        if (!counted && pg > 0) continue; // the first page tells the count
        c.pending.add(pg);
        source.page(pg * PAGE_ROWS, PAGE_ROWS, query).then(
          (page) => {
            if (cache.current !== c) return; // the source or filter changed meanwhile
            c.pending.delete(pg);
            c.pages.set(pg, page.packets);
            setFilteredTotal({ key: c.key, total: page.total });
            setLoaded((n) => n + 1);
          },
          (e: unknown) => {
            c.pending.delete(pg);
            setError({ key: c.key, message: (e as Error).message });
          },
        );
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for `query`
    [pageNow, source, key, total, counted],
  );

  // The first screen, before the list reports its range.
  useEffect(() => want(0, PAGE_ROWS), [want]);

  const row = useCallback(
    (i: number): PacketSummary | undefined => {
      if (pageNow) return pageNow(i, 1, query).packets[0];
      return cache.current.pages.get(Math.floor(i / PAGE_ROWS))?.[i % PAGE_ROWS];
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` (source version, filter) is what invalidates rows
    [pageNow, key],
  );

  /**
   * The first row after `from` (before it, `dir` −1) that `pred` accepts, searching the list in large pages (a
   * saved run's rows come from the core; nothing is loaded whole), or undefined.
   */
  const find = useCallback(
    async (from: number, dir: 1 | -1, pred: (s: PacketSummary) => boolean): Promise<number | undefined> => {
      for (let at = from + dir; at >= 0 && at < total;) {
        const start = dir > 0 ? at : Math.max(0, at - SEARCH_ROWS + 1);
        const page = pageNow
          ? pageNow(start, SEARCH_ROWS, query)
          : await source.page(start, SEARCH_ROWS, query);
        const rows = page.packets;
        if (!rows.length) return undefined;
        if (dir > 0) {
          const k = rows.findIndex(pred);
          if (k >= 0) return start + k;
          at = start + rows.length;
        } else {
          const k = rows.slice(0, at - start + 1).findLastIndex(pred);
          if (k >= 0) return start + k;
          at = start - 1;
        }
      }
      return undefined;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for `query`
    [pageNow, source, key, total],
  );

  return { total, counted, row, want, find, error: error?.key === key ? error.message : undefined };
}
