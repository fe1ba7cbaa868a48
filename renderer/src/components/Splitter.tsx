import { useCallback, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';

/** A pane size in percent of its container, remembered per splitter across reloads. */
export function useSplit(
  id: string,
  initial: number,
  min: number,
  max: number,
): [number, (n: number) => void] {
  const [size, setRaw] = useState(() => {
    const saved = Number(localStorage.getItem(`pktpath-split-${id}`));
    return saved >= min && saved <= max ? saved : initial;
  });
  const set = useCallback(
    (n: number) => {
      const v = Math.round(Math.min(max, Math.max(min, n)) * 10) / 10;
      setRaw(v);
      localStorage.setItem(`pktpath-split-${id}`, String(v));
    },
    [id, min, max],
  );
  return [size, set];
}

/**
 * A vertical splitter between two panes, sizing the one before it (a WAI-ARIA window splitter): drag it, or focus it
 * and use ←/→ (2 %; Shift: 10 %), Home/End.
 */
export function Splitter(props: {
  label: string;
  size: number;
  min: number;
  max: number;
  onSize: (n: number) => void;
}) {
  const { size, min, max, onSize } = props;
  const drag = useRef<{ x: number; size: number; width: number } | undefined>(undefined);
  const onKey = (e: KeyboardEvent) => {
    const step = e.shiftKey ? 10 : 2;
    const next: Record<string, number> = {
      ArrowLeft: size - step,
      ArrowRight: size + step,
      Home: min,
      End: max,
    };
    if (next[e.key] === undefined) return;
    e.preventDefault();
    onSize(next[e.key] ?? size);
  };
  const onDown = (e: PointerEvent<HTMLDivElement>) => {
    const width = e.currentTarget.parentElement?.getBoundingClientRect().width ?? 1;
    drag.current = { x: e.clientX, size, width };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const onMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (d) onSize(d.size + ((e.clientX - d.x) / d.width) * 100);
  };
  return (
    <div
      className="splitter"
      role="separator"
      aria-orientation="vertical"
      aria-label={props.label}
      aria-valuenow={size}
      aria-valuemin={min}
      aria-valuemax={max}
      tabIndex={0}
      onKeyDown={onKey}
      onPointerDown={onDown}
      onPointerMove={onMove}
      onPointerUp={() => (drag.current = undefined)}
      title={`${props.label}: drag, or focus and use ←/→`}
    />
  );
}
