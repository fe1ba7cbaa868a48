import {
  memo,
  useCallback,
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from 'react';

/** Rows rendered beyond the view either side, for a scroll's next frames; pinned to the end, a couple above only. */
const OVERSCAN = 8;
const PINNED_OVERSCAN = 2;

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
  // Where the last scroll left the list, and how many rows it had then.
  const [scroll, setScroll] = useState({ top: 0, count: 0 });
  const [height, setHeight] = useState(400);
  const pinned = !!follow && selected === undefined;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && pinned) el.scrollTop = count * rowHeight;
  }, [count, pinned, rowHeight]);

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

  // Following the end, rows are placed for the end at once (the scroll is written before paint), so new rows are
  // drawn in one frame, not first where the list was and again once the scroll event re-renders it. Until more rows
  // come, a scroll away from the end shows where it went (the next rows bring the list back to the end).
  const atEnd = scroll.top + height >= (count - 1) * rowHeight;
  const followEnd = pinned && (scroll.count !== count || atEnd);
  const overscan = followEnd ? PINNED_OVERSCAN : OVERSCAN;
  const inView = Math.ceil(height / rowHeight);
  // A constant number of rows wherever the list is scrolled (not one more or less with the offset's fraction), so
  // each row keeps its slot below.
  const span = inView + 1 + 2 * overscan;
  const top = followEnd ? count - inView : Math.floor(scroll.top / rowHeight);
  const first = Math.max(0, Math.min(count - span, top - overscan));
  const last = Math.min(count, first + span);
  useEffect(() => onRange?.(first, last), [first, last, onRange]);
  const slots = last - first || 1;
  const rows: ReactNode[] = new Array<ReactNode>(slots);
  for (let i = first; i < last; i++) {
    // Keyed and ordered by slot, not by index: a row scrolled out is reused in place for the one scrolled in, so a
    // fast scroll updates a few dozen text nodes and transforms per frame, and never moves, adds or removes a row.
    rows[i % slots] = (
      <Row
        key={i % slots}
        index={i}
        count={count}
        selected={i === selected}
        rowHeight={rowHeight}
        onSelect={onSelect}
        renderRow={props.renderRow}
        rowClassName={props.rowClassName}
      />
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
      onScroll={(e) => setScroll({ top: e.currentTarget.scrollTop, count })}
    >
      <div style={{ height: count * rowHeight, position: 'relative' }}>{rows}</div>
    </div>
  );
}

// Memoized: a scroll re-renders the list, but a row still showing the same index (the overscan) is left alone until
// its data or the selection changes (the owner passes new renderRow/rowClassName when its rows' data changes).
const Row = memo(function Row(props: {
  index: number;
  count: number;
  selected: boolean;
  rowHeight: number;
  onSelect: (index: number) => void;
  renderRow: (index: number, selected: boolean) => ReactNode;
  rowClassName?: (index: number) => string;
}) {
  const { index: i, selected: sel, rowHeight } = props;
  return (
    <div
      role="option"
      aria-selected={sel}
      // DOM order is slot order, not row order: tell assistive technology where the row is.
      aria-posinset={i + 1}
      aria-setsize={props.count}
      data-index={i}
      className={`vlist-row${sel ? ' selected' : ''} ${props.rowClassName?.(i) ?? ''}`}
      // A transform, not `top`: moving a row is then a paint-property change, with no layout.
      style={{ transform: `translateY(${i * rowHeight}px)`, height: rowHeight }}
      onMouseDown={() => props.onSelect(i)}
    >
      {props.renderRow(i, sel)}
    </div>
  );
});
