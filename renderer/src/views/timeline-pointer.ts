import { useEffect, useRef, useState, type PointerEvent, type RefObject } from 'react';
import { timeAt, type TimeWindow } from '../model/timeline-view';

/** The timeline plot's pointer: its width, the wheel (zoom and pan) and dragging A–B across it. */

/** The plot's width in pixels (buckets and ticks follow it). */
export function usePlotWidth(ref: RefObject<HTMLDivElement | null>): number {
  const [w, setW] = useState(600);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(el.clientWidth || 600));
    ro.observe(el);
    return () => ro.disconnect();
  }, [ref]);
  return w;
}

/**
 * The wheel over the plot: vertical zooms around the pointer (1.25× a notch), horizontal (or Shift+wheel) pans. A
 * native listener, because React's wheel handlers are passive and the page would scroll.
 */
export function useWheel(
  ref: RefObject<HTMLDivElement | null>,
  on: (dx: number, zoom: number, x: number) => void,
) {
  const handler = useRef(on);
  handler.current = on;
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      const x = (e.clientX - r.left) / (r.width || 1);
      const horizontal = Math.abs(e.deltaX) > Math.abs(e.deltaY) || e.shiftKey;
      const d = horizontal ? (e.deltaX || e.deltaY) / (r.width || 1) : 0;
      handler.current(d, e.deltaY > 0 ? 1.25 : 0.8, x);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [ref]);
}

/**
 * Pointer handlers for the plot: a click puts the cursor there; a drag sets A where it began and B where it ends
 * (committed on release, so the list is filtered once, not on every pixel).
 */
export function useDragSelect(
  view: TimeWindow | undefined,
  setCursor: (x: number) => void,
  onSelect: (a: number, b: number) => void,
) {
  const start = useRef<{ x: number; px: number } | undefined>(undefined);
  // the band while dragging (0–1 across the plot), drawn before anything is committed
  const [preview, setPreview] = useState<{ a: number; b: number } | undefined>();
  const fraction = (e: PointerEvent<HTMLDivElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return Math.min(1, Math.max(0, (e.clientX - r.left) / (r.width || 1)));
  };
  const handlers = {
    onPointerDown: (e: PointerEvent<HTMLDivElement>) => {
      if (e.button !== 0) return;
      e.currentTarget.setPointerCapture(e.pointerId);
      start.current = { x: fraction(e), px: e.clientX };
      setCursor(fraction(e));
    },
    onPointerMove: (e: PointerEvent<HTMLDivElement>) => {
      const s = start.current;
      if (!s) return;
      setCursor(fraction(e));
      if (Math.abs(e.clientX - s.px) >= DRAG_PX) setPreview({ a: s.x, b: fraction(e) });
    },
    onPointerUp: (e: PointerEvent<HTMLDivElement>) => {
      const s = start.current;
      start.current = undefined;
      setPreview(undefined);
      if (!s || !view || Math.abs(e.clientX - s.px) < DRAG_PX) return; // a click, not a drag
      onSelect(timeAt(view, s.x), timeAt(view, fraction(e)));
    },
  };
  return { handlers, preview };
}

/** Moves shorter than this are clicks (a hand is never perfectly still). */
const DRAG_PX = 4;
