import { useId, useState } from 'react';
import type { Host } from '../../../main/api/hosts';

/**
 * The Trace view's host: one host (the simple default) or, under "More hosts", several — picked one by one or a
 * tag at a time — which the trace then runs on together (`trace.startGroup`). The first host stays the select's.
 */
export function HostPicker(props: {
  hosts: readonly Host[];
  host: string;
  onHost: (name: string) => void;
  /** Hosts traced with `host` (never `host` itself). */
  more: readonly string[];
  onMore: (names: string[]) => void;
  disabled?: boolean;
  onProbe: () => void;
}) {
  const { hosts, host, more } = props;
  const [open, setOpen] = useState(more.length > 0);
  const listId = useId();
  const others = hosts.filter((h) => h.name !== host);
  const tags = [...new Set(hosts.flatMap((h) => h.tags))].sort();
  const toggle = (name: string, on: boolean) =>
    props.onMore(on ? [...more, name] : more.filter((n) => n !== name));
  const pickTag = (tag: string) => {
    const tagged = hosts.filter((h) => h.tags.includes(tag)).map((h) => h.name);
    const [first, ...rest] = tagged.includes(host) ? [host, ...tagged.filter((n) => n !== host)] : tagged;
    if (first && first !== host) props.onHost(first);
    props.onMore(rest);
  };
  return (
    <div className="col host-picker">
      <label className="row">
        <span style={{ width: 60 }} className="muted">
          host
        </span>
        <select
          className="grow"
          value={host}
          onChange={(e) => {
            props.onHost(e.target.value);
            props.onMore(more.filter((n) => n !== e.target.value));
          }}
          aria-label="host"
          disabled={props.disabled}
        >
          {hosts.map((h) => (
            <option key={h.name}>{h.name}</option>
          ))}
        </select>
        <button onClick={props.onProbe} title="Run the loader's probe on this host">
          Probe
        </button>
        <button
          aria-expanded={open}
          aria-controls={listId}
          onClick={() => setOpen((o) => !o)}
          title="Trace the same filter on several hosts at once; their packets are stitched into flows"
        >
          {more.length ? `+${more.length} hosts` : 'More hosts'}
        </button>
      </label>
      {open && (
        <div id={listId} className="host-picker-list" data-testid="host-picker">
          <div className="row wrap">
            <span className="muted">with {host}:</span>
            {others.map((h) => (
              <label key={h.name} className="host-check">
                <input
                  type="checkbox"
                  checked={more.includes(h.name)}
                  disabled={props.disabled}
                  onChange={(e) => toggle(h.name, e.target.checked)}
                />
                {h.name}
              </label>
            ))}
          </div>
          {tags.length > 0 && (
            <div className="row wrap">
              <span className="muted">tag:</span>
              {tags.map((t) => (
                <button key={t} className="tag-pick" disabled={props.disabled} onClick={() => pickTag(t)}>
                  {t} ({hosts.filter((h) => h.tags.includes(t)).length})
                </button>
              ))}
              {more.length > 0 && (
                <button disabled={props.disabled} onClick={() => props.onMore([])}>
                  Only {host}
                </button>
              )}
            </div>
          )}
        </div>
      )}
    </div>
  );
}
