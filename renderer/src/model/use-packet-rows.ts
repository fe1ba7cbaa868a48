import { useCallback, useEffect, useRef, useState } from 'react';
import type { PacketSource, PacketSummary } from './packet-source';

/** Rows per `sessions.packets` call: a few screens, so fast scrolling needs a request every few frames at most. */
export const PAGE_ROWS = 200;

/**
 * The packet list's rows, fetched a page at a time around what is on screen. A local source answers synchronously
 * (no placeholders while a live trace grows); a saved run pages from the core and shows placeholders until a page
 * arrives. `total` is the filtered count (the source's total until the first filtered page is known).
 */
export function usePacketRows(source: PacketSource, variant: number | undefined) {
  const key = `${source.key}|${variant ?? ''}`;
  const cache = useRef({ key, pages: new Map<number, PacketSummary[]>(), pending: new Set<number>() });
  const [filteredTotal, setFilteredTotal] = useState<{ key: string; total: number } | undefined>();
  const [, setLoaded] = useState(0);
  const [error, setError] = useState<string | undefined>();
  if (cache.current.key !== key) cache.current = { key, pages: new Map(), pending: new Set() };
  const { pageNow } = source;

  const total = pageNow
    ? pageNow(0, 0, variant).total
    : filteredTotal?.key === key
      ? filteredTotal.total
      : variant === undefined
        ? source.total
        : (source.variants[variant]?.count ?? 0);

  /** Asks for the pages covering rows [first, last) plus one page either side. */
  const want = useCallback(
    (first: number, last: number) => {
      if (pageNow) return;
      const c = cache.current;
      const from = Math.max(0, Math.floor(first / PAGE_ROWS) - 1);
      const to = Math.floor(Math.max(first, last - 1) / PAGE_ROWS) + 1;
      for (let pg = from; pg <= to; pg++) {
        if (pg * PAGE_ROWS >= total || c.pages.has(pg) || c.pending.has(pg)) continue;
        c.pending.add(pg);
        source.page(pg * PAGE_ROWS, PAGE_ROWS, variant).then(
          (page) => {
            if (cache.current !== c) return; // the source or filter changed meanwhile
            c.pending.delete(pg);
            c.pages.set(pg, page.packets);
            setFilteredTotal({ key: c.key, total: page.total });
            setLoaded((n) => n + 1);
          },
          (e: unknown) => {
            c.pending.delete(pg);
            setError((e as Error).message);
          },
        );
      }
    },
    [pageNow, source, variant, total],
  );

  // The first screen, before the list reports its range.
  useEffect(() => want(0, PAGE_ROWS), [want]);

  const row = useCallback(
    (i: number): PacketSummary | undefined => {
      if (pageNow) return pageNow(i, 1, variant).packets[0];
      return cache.current.pages.get(Math.floor(i / PAGE_ROWS))?.[i % PAGE_ROWS];
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` (source version, filter) is what invalidates rows
    [pageNow, variant, key],
  );

  return { total, row, want, error };
}
