import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

/**
 * A list that renders only the rows in view (plus a small overscan), so 100k rows cost what 40 do. Fixed row
 * height keeps the geometry arithmetic exact. Keyboard: ↑/↓ j/k, PgUp/PgDn, Home/End move the selection.
 */
export function VirtualList(props: {
  count: number;
  rowHeight: number;
  selected: number | undefined;
  onSelect: (index: number) => void;
  renderRow: (index: number, selected: boolean) => ReactNode;
  rowClassName?: (index: number) => string;
  label: string;
  /** Keep the last row in view as rows arrive, until the user scrolls up or selects. */
  follow?: boolean;
  /** Told which rows [first, last) are rendered, so their data can be fetched. */
  onRange?: (first: number, last: number) => void;
}) {
  const { count, rowHeight, selected, onSelect, follow, onRange } = props;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(400);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const el = ref.current;
    if (el && follow && selected === undefined) el.scrollTop = count * rowHeight;
  }, [count, follow, selected, rowHeight]);

  const scrollTo = useCallback(
    (index: number) => {
      const el = ref.current;
      if (!el) return;
      const top = index * rowHeight;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + rowHeight > el.scrollTop + el.clientHeight)
        el.scrollTop = top + rowHeight - el.clientHeight;
    },
    [rowHeight],
  );

  useEffect(() => {
    if (selected !== undefined) scrollTo(selected);
  }, [selected, scrollTo]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (!count) return;
    const page = Math.max(1, Math.floor(height / rowHeight) - 1);
    const cur = selected ?? -1;
    const moves: Record<string, number> = {
      ArrowDown: cur + 1,
      j: cur + 1,
      ArrowUp: cur - 1,
      k: cur - 1,
      PageDown: cur + page,
      PageUp: cur - page,
      Home: 0,
      End: count - 1,
    };
    const to = moves[e.key];
    if (to === undefined) return;
    e.preventDefault();
    onSelect(Math.max(0, Math.min(count - 1, to)));
  };

  const overscan = 8;
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  useEffect(() => onRange?.(first, last), [first, last, onRange]);
  const rows: ReactNode[] = [];
  for (let i = first; i < last; i++) {
    const sel = i === selected;
    rows.push(
      // Keyed by slot, not by index: a row scrolled out is reused for the one scrolled in, so a fast scroll updates
      // a few dozen text nodes per frame instead of unmounting and creating whole rows.
      <div
        key={i % (last - first + 1 || 1)}
        role="option"
        aria-selected={sel}
        data-index={i}
        className={`vlist-row${sel ? ' selected' : ''} ${props.rowClassName?.(i) ?? ''}`}
        style={{ top: i * rowHeight, height: rowHeight }}
        onMouseDown={() => onSelect(i)}
      >
        {props.renderRow(i, sel)}
      </div>,
    );
  }
  return (
    <div
      ref={ref}
      className="vlist"
      role="listbox"
      aria-label={props.label}
      tabIndex={0}
      onKeyDown={onKeyDown}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div style={{ height: count * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  );
}
