import { Fragment, useEffect } from 'react';
import type { ViewId } from './context';

export const SHORTCUTS: [string, string][] = [
  ['Alt+1 … Alt+6', 'Hosts, Trace, Path, Sessions, Compare, Flows'],
  ['Ctrl+Enter', 'start / stop the trace (Trace view)'],
  ['Esc', 'stop the running trace; close a form'],
  ['Alt+F', 'focus the filter box (Trace)'],
  ['Alt+N', 'add a host (Hosts)'],
  ['Tab / Shift+Tab', 'move focus on / back (also out of the probe editor)'],
  ['/', 'focus the search box of the view (the display filter in the packet list)'],
  ['↑ ↓  j k  PgUp PgDn  Home End', 'move in the packet list'],
  ['d / Shift+D', 'next / previous drop (packet list)'],
  ['Ctrl+G', 'go to a packet number (packet list)'],
  [
    '← → + − 0 · Shift+← → · A B Z · Esc',
    'timeline: pan, zoom, fit · move the cursor · markers, zoom to A–B · clear',
  ],
  ['F7 / Shift+F7', 'next / previous difference (Compare)'],
  ['Ctrl+Space', 'complete in the probe editor'],
  ['Alt+T', 'light / dark theme'],
  ['?', 'this help'],
];

const typing = (t: EventTarget | null) =>
  t instanceof HTMLElement &&
  (t.isContentEditable ||
    ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) ||
    !!t.closest('.monaco-editor'));

/** The first element matching `selector` that is on screen (views other than the current one are hidden). */
const visible = (selector: string): HTMLElement | undefined =>
  [...document.querySelectorAll<HTMLElement>(selector)].find((el) => el.offsetParent !== null);

/** Shortcuts that work from any view. View-specific ones live in their views. */
export function useGlobalShortcuts(o: {
  views: ViewId[];
  setView: (v: ViewId) => void;
  toggleTheme: () => void;
  toggleHelp: () => void;
}) {
  const { views, setView, toggleTheme, toggleHelp } = o;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey && !e.ctrlKey && /^Digit[1-6]$/.test(e.code)) {
        e.preventDefault();
        const v = views[Number(e.code.slice(5)) - 1];
        if (v) setView(v);
      } else if (e.altKey && e.code === 'KeyT') {
        e.preventDefault();
        toggleTheme();
      } else if (e.altKey && !e.ctrlKey && (e.code === 'KeyN' || e.code === 'KeyF')) {
        // What the tooltips promise: Alt+N adds a host (Hosts view), Alt+F focuses the trace filter (Trace view).
        const target = visible(e.code === 'KeyN' ? '[data-shortcut=add-host]' : 'input[data-testid=filter]');
        if (!target) return;
        e.preventDefault();
        if (e.code === 'KeyN') target.click();
        else target.focus();
      } else if (!typing(e.target) && e.key === '?') toggleHelp();
      else if (!typing(e.target) && e.key === '/') {
        const box = visible('[data-shortcut-search]');
        if (box) {
          e.preventDefault();
          box.focus();
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [views, setView, toggleTheme, toggleHelp]);
}

export function ShortcutHelp({ onClose }: { onClose: () => void }) {
  return (
    <div className="dialog-backdrop" onClick={onClose} onKeyDown={(e) => e.key === 'Escape' && onClose()}>
      <div className="dialog" role="dialog" aria-label="Keyboard shortcuts">
        <h2>Keyboard shortcuts</h2>
        <div className="help-grid">
          {SHORTCUTS.map(([k, what]) => (
            <Fragment key={k}>
              <kbd>{k}</kbd>
              <span>{what}</span>
            </Fragment>
          ))}
        </div>
        <div className="actions">
          <button autoFocus onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
