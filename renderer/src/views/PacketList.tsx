import { useCallback, useEffect, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { isDropped } from '../../../main/api/explain';
import type { PacketSort } from '../../../main/api/packets';
import { VirtualList } from '../components/VirtualList';
import { formatCount, formatNs, formatOffsetNs, formatTuple } from '../model/format';
import { DEFAULT_QUERY, queryKey, type ListQuery, type TimeRange } from '../model/list-query';
import type { PacketSource, PacketSummary } from '../model/packet-source';
import { usePacketRows } from '../model/use-packet-rows';
import { formatWall, wallDate } from '../model/wall-clock';
import { DisplayFilterBar } from './DisplayFilterBar';
import { PacketFlags } from './PacketFlags';
import './packet-list.css';

/** Two lines a packet — when and how long, then how it ended, its 5-tuple and path — or three in a narrow pane (the
 * path on its own line), so nothing that matters is cut. */
const ROW = 42;
const ROW_NARROW = 60;
/** Below this list width the verdict, 5-tuple and path do not fit one line. */
const NARROW_PX = 900;

/**
 * The run's packets as a work surface: a display filter checked as you type, drops only, sorting, next/previous
 * drop (d / Shift+D), go to packet (Ctrl+G), absolute and relative times. Saved runs are filtered and sorted by
 * the core (`sessions.packets`) and paged; live runs in the page, with the same language.
 */
export function PacketList(props: {
  source: PacketSource;
  live?: boolean | undefined;
  variant: number | undefined;
  onClearVariant: () => void;
  onSelectPacket: (id: number | undefined) => void;
  /** A packet to select once the list opens (a flow segment clicked in the Flows view). */
  initialPacket?: number | undefined;
  /** The timeline's range (first hop between its A and B markers). */
  range?: TimeRange | undefined;
  /** Told the list's query as it changes (the timeline counts what the list lets through). */
  onQuery?: (q: ListQuery) => void;
}) {
  const { source, onSelectPacket, onQuery } = props;
  const [q, setQ] = useState<ListQuery>(DEFAULT_QUERY);
  const query = { ...q, variant: props.variant, range: props.range };
  const qKey = queryKey(query);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- `qKey` stands for `query`
  useEffect(() => onQuery?.(query), [onQuery, qKey]);
  const rows = usePacketRows(source, query);
  const [selected, setSelected] = useState<number | undefined>();
  const [note, setNote] = useState('');
  const filterRef = useRef<HTMLInputElement>(null);
  const gotoRef = useRef<HTMLInputElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const narrow = useNarrow(listRef);

  // A new query is a new list: the first row is selected when a variant was picked, none otherwise.
  const shape = JSON.stringify([q, props.variant, props.range]);
  const [lastShape, setLastShape] = useState(shape);
  if (lastShape !== shape) {
    setLastShape(shape);
    setSelected(props.variant !== undefined && !q.display && !q.dropsOnly ? 0 : undefined);
    setNote('');
  }
  const selectedId = selected !== undefined ? rows.row(selected)?.id : undefined;
  useEffect(() => onSelectPacket(selectedId), [onSelectPacket, selectedId]);

  const jumps = useRef(0);
  const jump = useCallback(
    async (dir: 1 | -1, pred: (s: PacketSummary) => boolean, what: string, from = selected ?? -1) => {
      const seq = ++jumps.current;
      setNote(`looking for the ${dir > 0 ? 'next' : 'previous'} ${what}…`);
      const at = await rows.find(dir < 0 && selected === undefined ? rows.total : from, dir, pred);
      if (seq !== jumps.current) return; // a later jump (or key) wins
      if (at === undefined) setNote(`no ${what} ${dir > 0 ? 'after' : 'before'} this row`);
      else {
        setNote('');
        setSelected(at);
        listRef.current?.querySelector<HTMLElement>('.vlist')?.focus();
      }
    },
    [rows, selected],
  );
  // the packet asked for when the list opened, found as "go to packet" finds one
  const initial = useRef(props.initialPacket);
  useEffect(() => {
    const id = initial.current;
    if (id === undefined) return;
    initial.current = undefined;
    void jump(1, (s) => s.id === id, `packet ${id} in this list`, -1);
  }, [jump]);
  const nextDrop = (dir: 1 | -1) => void jump(dir, isDropped, 'drop');
  const gotoPacket = (text: string) => {
    const id = Number(text);
    if (!/^\d+$/.test(text.trim())) return setNote('a packet number is a whole number');
    void jump(1, (s) => s.id === id, `packet ${id} in this list`, -1);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const typing = e.target instanceof HTMLInputElement;
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'g') {
      e.preventDefault();
      gotoRef.current?.focus();
      gotoRef.current?.select();
    } else if (!typing && (e.key === 'd' || e.key === 'D') && !e.ctrlKey && !e.altKey) {
      e.preventDefault();
      nextDrop(e.shiftKey ? -1 : 1);
    }
  };

  const sortBy = (sort: PacketSort) =>
    setQ((o) => ({ ...o, sort, desc: o.sort === sort ? !o.desc : sort !== 'time' }));

  return (
    <div className={`packet-list col${narrow ? ' narrow' : ''}`} ref={listRef} onKeyDown={onKeyDown}>
      <div className="pane-head">
        <h2>Packets</h2>
        <span className="counter" data-testid="packet-count">
          {rows.counted ? formatCount(rows.total) : '…'}
          {rows.counted && rows.total !== source.total ? ` of ${formatCount(source.total)}` : ''}
        </span>
        <span className="spacer" />
        {props.variant !== undefined && <button onClick={props.onClearVariant}>All variants</button>}
      </div>
      <DisplayFilterBar inputRef={filterRef} onApply={(display) => setQ((o) => ({ ...o, display }))} />
      <div className="pl-tools">
        <label title="Only packets the kernel dropped">
          <input
            type="checkbox"
            checked={!!q.dropsOnly}
            onChange={(e) => setQ((o) => ({ ...o, dropsOnly: e.target.checked }))}
          />
          drops only
        </label>
        <button onClick={() => nextDrop(-1)} title="Previous drop (Shift+D)" aria-label="previous drop">
          ◀ drop
        </button>
        <button onClick={() => nextDrop(1)} title="Next drop (D)" aria-label="next drop">
          drop ▶
        </button>
        <input
          ref={gotoRef}
          className="mono pl-goto"
          aria-label="go to packet"
          placeholder="go to # (Ctrl+G)"
          inputMode="numeric"
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            gotoPacket(e.currentTarget.value);
            e.currentTarget.value = ''; // the next Ctrl+G starts empty
          }}
        />
        {note && (
          <span className="muted" data-testid="list-note" role="status">
            {note}
          </span>
        )}
      </div>
      <SortHead q={q} onSort={sortBy} source={source} />
      {rows.error && <div className="field-error">Cannot load packets: {rows.error}</div>}
      <VirtualList
        label="packets"
        count={rows.total}
        rowHeight={narrow ? ROW_NARROW : ROW}
        selected={selected}
        onSelect={setSelected}
        follow={props.live && q.sort === 'time' && !q.desc}
        onRange={rows.want}
        rowClassName={(i) => {
          const s = rows.row(i);
          return s && isDropped(s) ? 'dropped' : '';
        }}
        renderRow={(i) => <PacketRow s={rows.row(i)} source={source} narrow={narrow} />}
      />
    </div>
  );
}

/** Whether the list is narrower than one line of verdict, 5-tuple and path needs. */
function useNarrow(ref: RefObject<HTMLDivElement | null>): boolean {
  const [narrow, setNarrow] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setNarrow(el.clientWidth < NARROW_PX));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return narrow;
}

function SortHead(props: { q: ListQuery; onSort: (s: PacketSort) => void; source: PacketSource }) {
  const { q, source } = props;
  const head = (sort: PacketSort, label: string, cls: string) => (
    <button
      className={`pl-sort ${cls}${q.sort === sort ? ' active' : ''}`}
      onClick={() => props.onSort(sort)}
      // a toolbar of toggles, not a table header: aria-sort is not allowed on a button (axe: aria-allowed-attr)
      aria-pressed={q.sort === sort}
      aria-label={`Sort by ${label}${q.sort === sort ? (q.desc ? ', descending' : ', ascending') : ''}`}
      title={`Sort by ${label}`}
    >
      {label}
      {q.sort === sort ? (q.desc ? ' ▼' : ' ▲') : ''}
    </button>
  );
  return (
    <div className="vlist-head mono pl-head" role="toolbar" aria-label="sort packets">
      <span className="c-id">#</span>
      {head('time', 'time', 'c-time')}
      <span className="c-wall" title={wallDate(source.t0, source.wall)}>
        wall clock
      </span>
      {head('hops', 'hops', 'c-hops')}
      {head('duration', 'duration', 'c-dur')}
      <span className="grow">verdict · 5-tuple · path</span>
    </div>
  );
}

const VERDICT_CLASS: Record<string, string> = {
  dropped: 'bad',
  delivered: 'ok',
  forwarded: 'ok',
  sent: 'ok',
};

function PacketRow(props: { s: PacketSummary | undefined; source: PacketSource; narrow: boolean }) {
  const { s, source } = props;
  if (!s) return <span className="dim">…</span>;
  const verdict = s.verdict ?? (s.drop_reason ? 'dropped' : undefined);
  const names = [...(s.ifnames ?? []), ...(s.netns_names ?? []).map((n) => `ns ${n}`)].join(' · ');
  const path = s.hops > 1 && s.first_function ? `${s.first_function} → ${s.last_function}` : s.last_function;
  const verdictCell = (
    <span className={`pl-verdict ${verdict ? (VERDICT_CLASS[verdict] ?? 'warn') : 'dim'}`} data-col="verdict">
      {verdict ?? '—'}
    </span>
  );
  const tupleCell = (
    <span className="pl-tuple" data-col="tuple">
      {s.tuple ? formatTuple(s.tuple) : 'no 5-tuple'}
    </span>
  );
  const pathCells = (
    <>
      <span className="pl-path" data-col="path">
        {s.drop_reason ? `${path} ${isDropped(s) ? '✖' : '· freed'} ${s.drop_reason}` : path}
      </span>
      {names && (
        <span className="pl-names dim" data-col="names">
          {names}
        </span>
      )}
    </>
  );
  return (
    <div className="pl-row">
      <div className="pl-line pl-meta">
        <span className="c-id" data-col="id">
          {s.id}
        </span>
        <span className="c-time" data-col="time">
          +{formatOffsetNs(s.first_ts_ns - source.t0)}
        </span>
        <span className="c-wall" data-col="wall">
          {formatWall(s.first_ts_ns, source.wall)}
        </span>
        <span className="c-hops" data-col="hops">
          {s.hops}
        </span>
        <span className="c-dur" data-col="duration">
          {formatNs(s.duration_ns)}
        </span>
        <span className="grow c-flags">
          <PacketFlags cut={s.cut} partial={s.partial} />
        </span>
      </div>
      {props.narrow ? (
        <>
          <div className="pl-line">
            {verdictCell}
            {tupleCell}
          </div>
          <div className="pl-line">{pathCells}</div>
        </>
      ) : (
        <div className="pl-line">
          {verdictCell}
          {tupleCell}
          {pathCells}
        </div>
      )}
    </div>
  );
}
