import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { RunTimeline as Timeline } from '../../../main/api/timeline';
import { TimelineAxis, TimelineBars, TimelineOverlay } from '../components/TimelinePlot';
import { formatCount, formatNs, formatOffsetNs } from '../model/format';
import type { ListQuery, TimeRange } from '../model/list-query';
import type { PacketSource } from '../model/packet-source';
import {
  bucketsFor,
  fullWindow,
  isFull,
  markerRange,
  panWindow,
  stackedTones,
  timeAt,
  timelineKey,
  zoomWindow,
  type TimelineAction,
  type TimeWindow,
} from '../model/timeline-view';
import { useTimeline } from '../model/use-timeline';
import { useDragSelect, usePlotWidth, useWheel } from './timeline-pointer';
import './timeline.css';

/**
 * The run on a time axis, as Perfetto shows a trace: packets per time bucket stacked by verdict (the list's colours),
 * zoom and pan (mouse wheel, or + − 0 and ←/→ on the focused plot), A and B markers giving Δt (drag across the plot,
 * or A / B at the cursor, Shift+←/→ moving it). The range between A and B filters the packet list: it becomes the
 * list query's time range, which the core applies to a saved run (`sessions.packets` `filter.time`), so a
 * 100k-packet run is never loaded. The bars count what the rest of the list's query lets through.
 */
export function RunTimeline(props: {
  source: PacketSource;
  query: ListQuery;
  onRange: (r: TimeRange | undefined) => void;
}) {
  const plotRef = useRef<HTMLDivElement>(null);
  const keysId = useId();
  const width = usePlotWidth(plotRef);
  const [win, setWin] = useState<TimeWindow | undefined>();
  const { data, error } = useTimeline(props.source, props.query, win, bucketsFor(width));
  const t = useTimelineState(data, win, setWin);
  const { onRange } = props;
  useEffect(() => onRange(markerRange(t.marks.a, t.marks.b)), [onRange, t.marks]);

  useWheel(plotRef, (dx, factor, x) => (dx ? t.pan(dx) : t.zoom(factor, x)));
  const drag = useDragSelect(t.view, t.setCursor, t.setMarks);
  // while dragging, the band under the pointer stands in for the markers
  const shown =
    drag.preview && t.view
      ? { a: timeAt(t.view, drag.preview.a), b: timeAt(t.view, drag.preview.b) }
      : t.marks;
  const drawn = data ? { from: data.from_ns, to: data.to_ns } : undefined;

  const onKeyDown = (e: KeyboardEvent) => {
    const act = timelineKey(e);
    if (!act || (act.kind === 'clear' && !t.marked)) return; // Escape with no range is the view's (stops a trace)
    e.preventDefault();
    e.stopPropagation();
    t.run(act);
  };

  return (
    <div className="timeline" data-testid="timeline">
      <TimelineHead data={data} marks={t.marks} error={error}>
        <TimelineButtons zoomed={!!win} ranged={!!t.range} marked={t.marked} run={t.run} />
      </TimelineHead>
      <div
        ref={plotRef}
        className="tl-plot"
        tabIndex={0}
        role="application"
        aria-roledescription="timeline"
        aria-label="Packets over time by verdict"
        aria-describedby={keysId}
        data-testid="timeline-plot"
        data-from-ns={drawn?.from}
        data-to-ns={drawn?.to}
        data-a-ns={t.marks.a}
        data-b-ns={t.marks.b}
        data-cursor={t.cursor}
        onKeyDown={onKeyDown}
        {...drag.handlers}
      >
        {data && <TimelineBars data={data} />}
        {drawn && <TimelineOverlay win={drawn} cursor={t.cursor} a={shown.a} b={shown.b} />}
      </div>
      {drawn && <TimelineAxis win={drawn} ticks={Math.max(2, Math.floor(width / 120))} />}
      <span id={keysId} className="sr-only">
        Left and right arrows pan, plus and minus zoom, 0 shows the whole run, Shift with the arrows moves the
        cursor, A and B put a marker at the cursor, Z zooms to the range, Escape clears it. Dragging across
        the plot sets both markers.
      </span>
    </div>
  );
}

/**
 * The timeline's state and what keys and buttons do to it: the window (none: the whole run, which a growing live
 * run keeps following), the cursor (0–1 across the plot) and the markers (times).
 */
function useTimelineState(
  data: Timeline | undefined,
  win: TimeWindow | undefined,
  setWin: (w: TimeWindow | undefined) => void,
) {
  const [cursor, setCursor] = useState(0.5);
  const [marks, setMarks] = useState<{ a?: number; b?: number }>({});
  const full = data ? fullWindow(data) : undefined;
  const view = win ?? full; // what zoom, pan and the cursor work on: the window asked for, even before it is drawn
  const range = markerRange(marks.a, marks.b);
  const show = (w: TimeWindow) => setWin(full && !isFull(w, full) ? w : undefined);
  const zoom = (factor: number, anchor = cursor) =>
    view && full && show(zoomWindow(view, factor, anchor, full));
  const pan = (fraction: number) => view && full && show(panWindow(view, fraction, full));
  const run = (act: TimelineAction) => {
    if (act.kind === 'zoom') zoom(act.factor);
    else if (act.kind === 'pan') pan(act.by);
    else if (act.kind === 'cursor') setCursor((c) => Math.min(1, Math.max(0, c + act.by)));
    else if (act.kind === 'fit') setWin(undefined);
    else if (act.kind === 'mark' && view) setMarks((m) => ({ ...m, [act.which]: timeAt(view, cursor) }));
    else if (act.kind === 'zoomToRange' && range && full)
      show(zoomWindow({ from: range.from_ns, to: range.to_ns }, 1, 0, full));
    else if (act.kind === 'clear') setMarks({});
  };
  const marked = marks.a !== undefined || marks.b !== undefined;
  const setBoth = (a: number, b: number) => setMarks({ a, b });
  return { cursor, setCursor, marks, setMarks: setBoth, view, range, marked, zoom, pan, run };
}

/** The controls beside the head, for the mouse (each names its key in its tooltip). */
function TimelineButtons(props: {
  zoomed: boolean;
  ranged: boolean;
  marked: boolean;
  run: (a: TimelineAction) => void;
}) {
  const { run } = props;
  return (
    <>
      <button
        onClick={() => run({ kind: 'zoom', factor: 2 })}
        aria-label="zoom out"
        title="Zoom out (−)"
        disabled={!props.zoomed}
      >
        −
      </button>
      <button onClick={() => run({ kind: 'zoom', factor: 0.5 })} aria-label="zoom in" title="Zoom in (+)">
        +
      </button>
      <button onClick={() => run({ kind: 'fit' })} title="Show the whole run (0)" disabled={!props.zoomed}>
        Fit
      </button>
      <button onClick={() => run({ kind: 'mark', which: 'a' })} title="Put marker A at the cursor (A)">
        Set A
      </button>
      <button onClick={() => run({ kind: 'mark', which: 'b' })} title="Put marker B at the cursor (B)">
        Set B
      </button>
      <button
        onClick={() => run({ kind: 'zoomToRange' })}
        disabled={!props.ranged}
        title="Zoom to the range between A and B (Z)"
      >
        Zoom A–B
      </button>
      <button onClick={() => run({ kind: 'clear' })} disabled={!props.marked} title="Clear (Esc)">
        Clear range
      </button>
    </>
  );
}

/** Title, the counts per colour in the window, the markers and Δt, then the controls. */
function TimelineHead(props: {
  data: Timeline | undefined;
  marks: { a?: number; b?: number };
  error: string | undefined;
  children: ReactNode;
}) {
  const { a, b } = props.marks;
  const sums = props.data ? sumTones(props.data) : undefined;
  return (
    <div className="tl-head">
      <h3>Timeline</h3>
      {sums && (
        <span className="tl-legend" data-testid="timeline-legend" title="Packets in the window shown">
          {(sums.ok > 0 || sums.bad + sums.warn === 0) && (
            <Swatch tone="ok" label={`${formatCount(sums.ok)} delivered/forwarded/sent`} />
          )}
          {sums.bad > 0 && <Swatch tone="bad" label={`${formatCount(sums.bad)} dropped`} />}
          {sums.warn > 0 && <Swatch tone="warn" label={`${formatCount(sums.warn)} unknown/in flight`} />}
        </span>
      )}
      <span className="tl-delta mono" data-testid="timeline-delta" role="status">
        {a !== undefined && `A +${formatOffsetNs(a)}`}
        {b !== undefined && ` · B +${formatOffsetNs(b)}`}
        {a !== undefined && b !== undefined && ` · Δt ${formatNs(Math.abs(b - a))}`}
      </span>
      {props.error && <span className="field-error">timeline: {props.error}</span>}
      <span className="spacer" />
      <span className="tl-tools">{props.children}</span>
    </div>
  );
}

function Swatch(props: { tone: 'ok' | 'bad' | 'warn'; label: string }) {
  return (
    <span className="tl-swatch">
      <i className={`tl-chip tl-${props.tone}`} aria-hidden="true" />
      {props.label}
    </span>
  );
}

function sumTones(t: Timeline): { ok: number; bad: number; warn: number } {
  const { tones } = stackedTones(t);
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  return { ok: sum(tones.ok), bad: sum(tones.bad), warn: sum(tones.warn) };
}
