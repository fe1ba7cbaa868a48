import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { HopBrief, PathComparison } from '../../../main/api/compare';
import { ifLabel, netnsLabel, placeNumbers } from '../model/hop-place';
import { formatDeltaNs, formatNs } from '../model/format';
import { foldRows, type DiffItem } from '../model/fold-rows';

/**
 * Two paths side by side, aligned: the first divergence pinned on top, long identical stretches folded, Δt per
 * side and B−A per row. F7 / Shift+F7 walk the differences (when `keys` is true). `beside`: shown right under the
 * divergence line (the host-context differences, often the reason the paths part).
 */
export function AlignedDiff(props: {
  cmp: PathComparison;
  labelA: string;
  labelB: string;
  keys: boolean;
  beside?: ReactNode;
}) {
  const { cmp } = props;
  const [expanded, setExpanded] = useState<ReadonlySet<number>>(new Set());
  const [current, setCurrent] = useState<number | undefined>();
  const items = useMemo(() => foldRows(cmp.rows, expanded), [cmp.rows, expanded]);
  const diffRows = useMemo(() => cmp.rows.flatMap((r, i) => (r.op === 'same' ? [] : [i])), [cmp.rows]);
  const body = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!props.keys) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'F7' || !diffRows.length) return;
      e.preventDefault();
      setCurrent((c) => {
        const pos = c === undefined ? -1 : diffRows.indexOf(c);
        const next = e.shiftKey ? (pos <= 0 ? diffRows.length - 1 : pos - 1) : (pos + 1) % diffRows.length;
        return diffRows[next];
      });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [props.keys, diffRows]);

  useEffect(() => {
    if (current === undefined) return;
    body.current?.querySelector(`[data-row="${current}"]`)?.scrollIntoView({ block: 'center' });
  }, [current]);

  const d = cmp.first_divergence;
  const counts = { changed: 0, missing: 0, inserted: 0, same: 0 };
  for (const r of cmp.rows) counts[r.op]++;
  return (
    <div className="col grow" style={{ gap: 0, minHeight: 0 }} data-testid="aligned-diff">
      {d ? (
        <div className="pinned" data-testid="first-divergence">
          <b>First divergence</b> at hop {d.a_index + 1} (A) / {d.b_index + 1} (B): A{' '}
          <span className="mono">{d.a_function ?? '(path ended)'}</span> vs B{' '}
          <span className="mono">{d.b_function ?? '(path ended)'}</span>
          <span className="muted">
            {' '}
            · {counts.changed} changed · {counts.missing} only in A · {counts.inserted} only in B · total{' '}
            {formatNs(cmp.a_total_ns)} vs {formatNs(cmp.b_total_ns)} ({formatDeltaNs(cmp.total_delta_ns)}) ·{' '}
            <kbd>F7</kbd>/<kbd>Shift+F7</kbd> next/previous difference
          </span>
        </div>
      ) : (
        <div className="identical" data-testid="identical">
          Same function sequence ({cmp.rows.length} hops). Total {formatNs(cmp.a_total_ns)} vs{' '}
          {formatNs(cmp.b_total_ns)} ({formatDeltaNs(cmp.total_delta_ns)}).
        </div>
      )}
      {props.beside}
      <div className="cmp-row cmp-head">
        <span>#A</span>
        <span>{props.labelA}</span>
        <span>interface · netns</span>
        <span>Δt A</span>
        <span>#B</span>
        <span>{props.labelB}</span>
        <span>interface · netns</span>
        <span>Δt B</span>
        <span>B − A</span>
      </div>
      <div className="cmp-legend muted">
        <span className="cmp-key missing">only in A</span> <span className="cmp-key inserted">only in B</span>{' '}
        <span className="cmp-key changed">changed</span> <span className="bad">✖ dropped</span>
      </div>
      <div
        className="pane-body"
        ref={body}
        tabIndex={0}
        aria-label="aligned hops (F7 / Shift+F7: differences)"
      >
        {items.map((it: DiffItem) =>
          it.kind === 'fold' ? (
            <button
              key={`f${it.start}`}
              className="cmp-row collapsed"
              onClick={() => setExpanded((s) => new Set(s).add(it.start))}
            >
              ⋯ {it.count} identical hops ({cmp.rows[it.start]?.function} …{' '}
              {cmp.rows[it.start + it.count - 1]?.function}) — Enter or click to expand
            </button>
          ) : (
            <Row key={it.index} index={it.index} cmp={cmp} current={current === it.index} />
          ),
        )}
      </div>
    </div>
  );
}

function Row({ index, cmp, current }: { index: number; cmp: PathComparison; current: boolean }) {
  const r = cmp.rows[index];
  if (!r) return null;
  const big =
    r.delta_ns !== null &&
    Math.abs(r.delta_ns) > 1000 &&
    r.a_dt_ns !== null &&
    Math.abs(r.delta_ns) > 0.5 * Math.abs(r.a_dt_ns);
  const aFn = r.op !== 'inserted' ? r.function : '';
  const bFn = r.op === 'changed' ? (r.b_function ?? '') : r.op !== 'missing' ? r.function : '';
  return (
    <div className={`cmp-row ${r.op}${current ? ' current' : ''}`} data-row={index} data-op={r.op}>
      <span className="dim">{r.a_index !== null ? r.a_index + 1 : ''}</span>
      <Side className="a" fn={aFn} hop={r.a_hop} />
      <Place hop={r.a_hop} />
      <span className="a-dt">{r.a_dt_ns !== null ? formatNs(r.a_dt_ns) : ''}</span>
      <span className="dim">{r.b_index !== null ? r.b_index + 1 : ''}</span>
      <Side className="b" fn={bFn} hop={r.b_hop} />
      <Place hop={r.b_hop} />
      <span className="b-dt">{r.b_dt_ns !== null ? formatNs(r.b_dt_ns) : ''}</span>
      <span className={big ? 'warn' : 'dim'}>{formatDeltaNs(r.delta_ns)}</span>
    </div>
  );
}

/** One side's function; red with its reason only when the packet was dropped there. */
function Side(props: { className: string; fn: string; hop: HopBrief | undefined }) {
  const reason = props.hop?.drop_reason;
  return (
    <span className={`${props.className}${reason ? ' dropped' : ''}`} title={props.fn}>
      {props.fn}
      {reason ? ` ✖ ${reason}` : ''}
    </span>
  );
}

function Place({ hop }: { hop: HopBrief | undefined }) {
  if (!hop) return <span />;
  return (
    <span className="place" title={placeNumbers(hop)}>
      {ifLabel(hop)} · {netnsLabel(hop)}
    </span>
  );
}
