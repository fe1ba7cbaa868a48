import { Fragment, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Hop, PacketPath } from '../../../main/api/trace';
import { formatNs } from '../model/format';
import {
  dropHopOf,
  foldable,
  groupHops,
  initiallyFolded,
  placeChanged,
  type HopGroup,
} from '../model/hop-groups';
import { ifLabel, netnsLabel, placeChange, placeNumbers } from '../model/hop-place';
import { hopDeltas } from '../model/packet-source';
import { subsystemOf } from '../model/subsystem';
import { SUBSYS_COLORS } from './subsystem-colors';

/** A table row: a group's fold header or one hop (with the place-change line before it, if any). */
type Line = { kind: 'group'; group: HopGroup; folded: boolean } | { kind: 'hop'; index: number };

function linesOf(groups: readonly HopGroup[], folded: ReadonlySet<number>): Line[] {
  const out: Line[] = [];
  for (const g of groups) {
    const isFolded = foldable(g) && folded.has(g.start);
    if (foldable(g)) out.push({ kind: 'group', group: g, folded: isFolded });
    const shown = isFolded ? g.pinned : Array.from({ length: g.end - g.start }, (_, k) => g.start + k);
    for (const index of shown) out.push({ kind: 'hop', index });
  }
  return out;
}

/**
 * The packet's hops grouped by consecutive subsystem (long paths open folded), with the drop hop and every
 * interface/netns change always in view, names in place of numbers (numbers in the tooltip), tracepoint/TC and clone
 * hops marked. Keyboard: ↑/↓ select a hop, ← folds its group, → unfolds it; group headers are buttons.
 */
export function HopTable(props: { packet: PacketPath; selected?: number; onSelect: (i: number) => void }) {
  const { packet, selected, onSelect } = props;
  const dropHop = dropHopOf(packet);
  const groups = useMemo(() => groupHops(packet.hops, dropHop), [packet.hops, dropHop]);
  const [folded, setFolded] = useState(() => initiallyFolded(groups, packet.hops.length));
  const lines = useMemo(() => linesOf(groups, folded), [groups, folded]);
  const visible = useMemo(() => lines.flatMap((l) => (l.kind === 'hop' ? [l.index] : [])), [lines]);
  const deltas = useMemo(() => hopDeltas(packet), [packet]);
  const body = useRef<HTMLDivElement>(null);
  const toggle = (start: number, fold?: boolean) =>
    setFolded((s) => {
      const n = new Set(s);
      if (fold ?? !n.has(start)) n.add(start);
      else n.delete(start);
      return n;
    });

  useEffect(() => {
    if (selected === undefined) return;
    body.current?.querySelector(`[data-hop="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected, lines]);

  const onKey = (e: KeyboardEvent) => {
    if (e.target !== e.currentTarget) return; // a group header button handles its own keys
    const pos = selected === undefined ? -1 : visible.indexOf(selected);
    const group = groups.find((g) => selected !== undefined && selected >= g.start && selected < g.end);
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      const next = visible[Math.max(0, Math.min(visible.length - 1, pos + (e.key === 'ArrowDown' ? 1 : -1)))];
      if (next !== undefined) onSelect(next);
    } else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && group && foldable(group))
      toggle(group.start, e.key === 'ArrowLeft');
    else return;
    e.preventDefault();
  };

  return (
    <div
      className="pane-body hops-scroll"
      ref={body}
      tabIndex={0}
      onKeyDown={onKey}
      role="group"
      aria-label="hops (↑/↓ select a hop, ←/→ fold or unfold its group)"
    >
      <table className="grid hops-table" data-testid="hops">
        <HopColumns />
        <tbody>
          {lines.map((l) =>
            l.kind === 'group' ? (
              <GroupRow
                key={`g${l.group.start}`}
                group={l.group}
                folded={l.folded}
                packet={packet}
                onToggle={toggle}
              />
            ) : (
              <HopRow
                key={l.index}
                packet={packet}
                index={l.index}
                deltas={deltas}
                dropHop={dropHop}
                selected={selected === l.index}
                onSelect={onSelect}
              />
            ),
          )}
        </tbody>
      </table>
    </div>
  );
}

function HopColumns() {
  return (
    <>
      {/* Fixed layout: the function column takes what is left; narrow panes drop the Δt bars, then the subsystem
          names, then len and cpu (styles.css), never the function. */}
      <colgroup>
        <col className="c-num" />
        <col className="c-fn" />
        <col className="c-subsys" />
        <col className="c-dt" />
        <col className="c-bar" />
        <col className="c-place" />
        <col className="c-len" />
        <col className="c-cpu" />
      </colgroup>
      <thead>
        <tr>
          <th>#</th>
          <th>function</th>
          <th className="c-subsys">
            <span>subsystem</span>
          </th>
          <th>Δt</th>
          <th className="c-bar" />
          <th>interface · netns</th>
          <th className="c-len">len</th>
          <th className="c-cpu">cpu</th>
        </tr>
      </thead>
    </>
  );
}

function GroupRow(props: {
  group: HopGroup;
  folded: boolean;
  packet: PacketPath;
  onToggle: (start: number) => void;
}) {
  const { group: g, packet } = props;
  const first = packet.hops[g.start];
  const last = packet.hops[g.end - 1];
  const took = (last?.ts_ns ?? 0) - (packet.hops[g.start - 1]?.ts_ns ?? first?.ts_ns ?? 0);
  return (
    <tr className="hop-group" data-group={g.start} data-layer={g.layer.id} data-folded={props.folded}>
      <td colSpan={8}>
        <button className="fold" aria-expanded={!props.folded} onClick={() => props.onToggle(g.start)}>
          {props.folded ? '▸' : '▾'}{' '}
          {g.subsystems.map((s) => (
            <span
              key={s.id}
              className="subsys"
              title={s.label}
              style={{ background: SUBSYS_COLORS[s.id] ?? '#888' }}
            />
          ))}
          <b>{g.layer.label}</b>
          <span className="muted"> ({g.subsystems.map((s) => s.label).join(', ')})</span> · {g.end - g.start}{' '}
          hops ({g.start + 1}–{g.end}) ·{' '}
          <span className="mono">
            {first?.function} … {last?.function}
          </span>{' '}
          · {formatNs(took)}
          {props.folded && g.pinned.length ? ` · ${g.pinned.length} shown` : ''}
        </button>
      </td>
    </tr>
  );
}

function HopRow(props: {
  packet: PacketPath;
  index: number;
  deltas: readonly number[];
  dropHop: number | undefined;
  selected: boolean;
  onSelect: (i: number) => void;
}) {
  const { packet, index: i } = props;
  const h = packet.hops[i];
  const prev = packet.hops[i - 1];
  if (!h) return null;
  const benign = packet.verdict?.benign?.find((b) => b.hop === i);
  const dropped = i === props.dropHop;
  const sub = subsystemOf(h.function);
  const dt = props.deltas[i] ?? 0;
  const maxDt = Math.max(1, ...props.deltas);
  const cls = `hop-row${props.selected ? ' selected' : ''}${dropped ? ' dropped' : ''}${benign ? ' benign' : ''}`;
  return (
    <Fragment>
      {prev && placeChanged(packet.hops, i) ? (
        <tr className="hop-change" data-change={i}>
          <td colSpan={8} title={`${placeNumbers(prev)} → ${placeNumbers(h)}`}>
            {placeChange(prev, h)}
          </td>
        </tr>
      ) : null}
      <tr className={cls} data-hop={i} aria-selected={props.selected} onMouseDown={() => props.onSelect(i)}>
        <td className="dim">{i + 1}</td>
        <td className="fn" title={hopTitle(h, benign?.why)}>
          <div className="fn-cell">
            <HopMarks hop={h} />
            <span className="fn-name">{h.function}</span>
            {h.drop_reason || benign ? (
              <span className="fn-extra">
                {h.drop_reason ? `${benign ? '·' : '✖'} ${h.drop_reason}` : ''}
                {benign ? <span className="badge">benign</span> : null}
              </span>
            ) : h.task ? (
              <span className="fn-extra dim" data-task>
                in {h.task.comm}[{h.task.pid}]
              </span>
            ) : null}
          </div>
        </td>
        <td className="c-subsys" title={sub.label}>
          <span className="subsys" style={{ background: SUBSYS_COLORS[sub.id] ?? '#888' }} />
          <span className="subsys-label">{sub.label}</span>
        </td>
        <td className="mono">{i === 0 ? '' : `+${formatNs(dt)}`}</td>
        <td className="c-bar">
          <div className="dt-bar" style={{ width: i === 0 ? 0 : `${Math.max(1, (dt / maxDt) * 100)}%` }} />
        </td>
        <td className="mono" title={placeNumbers(h)}>
          {ifLabel(h)} · {netnsLabel(h)}
        </td>
        <td className="mono c-len">{h.len}</td>
        <td className="mono c-cpu">{h.cpu ?? ''}</td>
      </tr>
    </Fragment>
  );
}

/** Tracepoint and TC hops, and hops of a clone/copy of the skb, say so before the function name. */
function HopMarks({ hop }: { hop: Hop }) {
  return (
    <>
      {hop.probe_kind === 'tracepoint' && (
        <span className="hop-mark" title="seen by a tracepoint" data-mark="tp">
          tp
        </span>
      )}
      {hop.probe_kind === 'tc' && (
        <span className="hop-mark" title="seen by the TC observer" data-mark="tc">
          tc
        </span>
      )}
      {hop.copy ? (
        <span className="hop-mark clone" title={`clone/copy ${hop.copy} of the skb`} data-mark="clone">
          clone {hop.copy}
        </span>
      ) : null}
    </>
  );
}

function hopTitle(h: Hop, benignWhy: string | undefined): string {
  const kind = h.probe_kind === 'tracepoint' ? 'tracepoint ' : h.probe_kind === 'tc' ? 'TC observer ' : '';
  // len and cpu too: a narrow pane hides their columns
  const facts = `len ${h.len}${h.cpu !== undefined ? ` · cpu ${h.cpu}` : ''}`;
  const task = h.task ? `\nran in process ${h.task.comm} (pid ${h.task.pid}, thread ${h.task.tid})` : '';
  return `${kind}${h.function}\n${facts}${task}${benignWhy ? `\nbenign free: ${benignWhy}` : ''}`;
}
