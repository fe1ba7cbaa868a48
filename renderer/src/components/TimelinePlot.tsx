import { memo } from 'react';
import type { RunTimeline } from '../../../main/api/timeline';
import {
  formatTick,
  fractionOf,
  stackedTones,
  ticksOf,
  type TimeWindow,
  type VerdictTone,
} from '../model/timeline-view';

/** Drawn bottom-up: drops at the base, where a few stand out against a burst of delivered packets. */
const STACK: VerdictTone[] = ['bad', 'warn', 'ok'];
/** A bucket with any packet is at least this tall (of 100), so one drop in 100k packets is still seen. */
const MIN_BAR = 4;

/**
 * The timeline's bars: one stacked column per bucket, coloured by verdict as the list's verdict column is. An SVG
 * stretched to the plot's width with one unit per bucket, one path per colour (a few hundred buckets stay three DOM
 * nodes). Memoized: moving the cursor or a marker redraws only the overlay.
 */
export const TimelineBars = memo(function TimelineBars(props: { data: RunTimeline }) {
  const { tones, max } = stackedTones(props.data);
  const n = tones.ok.length;
  const paths: Record<VerdictTone, string> = { ok: '', bad: '', warn: '' };
  for (let i = 0; i < n; i++) {
    let base = 100;
    for (const tone of STACK) {
      const c = tones[tone][i] ?? 0;
      if (!c || base <= 0) continue;
      const h = Math.min(base, Math.max(MIN_BAR, (c / (max || 1)) * 100));
      paths[tone] += `M${i + 0.1} ${base - h}h0.8v${h}h-0.8z`;
      base -= h;
    }
  }
  return (
    <svg
      className="tl-bars"
      viewBox={`0 0 ${Math.max(1, n)} 100`}
      preserveAspectRatio="none"
      aria-hidden="true"
    >
      {STACK.map((tone) => (
        <path key={tone} className={`tl-${tone}`} d={paths[tone]} />
      ))}
    </svg>
  );
});

/** The time axis under the bars: 1-2-5 ticks, from the run's first packet as the list's time column counts. */
export function TimelineAxis(props: { win: TimeWindow; ticks: number }) {
  const { at, step } = ticksOf(props.win, props.ticks);
  return (
    <div className="tl-axis mono" aria-hidden="true">
      {at.map((t) => {
        const f = fractionOf(props.win, t);
        // a label that would run past the right edge is left out rather than cut
        if (f > 0.92) return null;
        return (
          <span key={t} className="tl-tick" style={{ left: `${f * 100}%` }}>
            {formatTick(t, step, props.win.to)}
          </span>
        );
      })}
    </div>
  );
}

/** The cursor (keyboard position), the A and B markers and the band between them, over the bars. */
export function TimelineOverlay(props: {
  win: TimeWindow;
  cursor: number;
  a: number | undefined;
  b: number | undefined;
}) {
  const { win, a, b } = props;
  const pos = (t: number) => Math.min(100, Math.max(0, fractionOf(win, t) * 100));
  const shown = (t: number | undefined): t is number =>
    t !== undefined && fractionOf(win, t) >= 0 && fractionOf(win, t) <= 1;
  const band =
    a !== undefined && b !== undefined
      ? { left: pos(Math.min(a, b)), right: pos(Math.max(a, b)) }
      : undefined;
  return (
    <div className="tl-overlay" aria-hidden="true">
      {band && band.right > band.left && (
        <div
          className="tl-band"
          data-testid="timeline-band"
          style={{ left: `${band.left}%`, width: `${band.right - band.left}%` }}
        />
      )}
      <div className="tl-cursor" style={{ left: `${props.cursor * 100}%` }} />
      {shown(a) && <Marker at={pos(a)} label="A" />}
      {shown(b) && <Marker at={pos(b)} label="B" />}
    </div>
  );
}

function Marker(props: { at: number; label: string }) {
  return (
    <div className="tl-marker" style={{ left: `${props.at}%` }} data-marker={props.label}>
      <span className="tl-marker-label">{props.label}</span>
    </div>
  );
}
