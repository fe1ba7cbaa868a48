import { useCallback, useRef, useState, type ReactNode } from 'react';

/**
 * An in-app text prompt (Electron has no window.prompt): `ask(title, initial)` resolves with the text, or undefined
 * when cancelled. Render the returned element somewhere in the view.
 */
export function useTextPrompt(): [
  ReactNode,
  (title: string, initial: string) => Promise<string | undefined>,
] {
  const [open, setOpen] = useState<{ title: string; value: string } | undefined>();
  const resolver = useRef<((v: string | undefined) => void) | undefined>(undefined);
  const ask = useCallback((title: string, initial: string) => {
    resolver.current?.(undefined);
    setOpen({ title, value: initial });
    return new Promise<string | undefined>((r) => (resolver.current = r));
  }, []);
  const finish = (v: string | undefined) => {
    resolver.current?.(v);
    resolver.current = undefined;
    setOpen(undefined);
  };
  const el = open ? (
    <div className="dialog-backdrop">
      <form
        className="dialog"
        role="dialog"
        aria-label={open.title}
        onSubmit={(e) => {
          e.preventDefault();
          finish(open.value.trim() || undefined);
        }}
        onKeyDown={(e) => e.key === 'Escape' && finish(undefined)}
      >
        <h2>{open.title}</h2>
        <input
          autoFocus
          aria-label={open.title}
          style={{ width: '100%' }}
          value={open.value}
          onChange={(e) => setOpen({ ...open, value: e.target.value })}
          onFocus={(e) => e.currentTarget.select()}
        />
        <div className="actions">
          <button type="button" onClick={() => finish(undefined)}>
            Cancel
          </button>
          <button type="submit" className="primary">
            OK
          </button>
        </div>
      </form>
    </div>
  ) : null;
  return [el, ask];
}
