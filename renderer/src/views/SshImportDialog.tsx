import { useState } from 'react';
import type { Host } from '../../../main/api/hosts';
import { Dialog } from '../components/Dialog';

/** What `hosts.importSshConfig` with `dryRun` said an ssh_config holds: hosts it can import, entries it cannot. */
export interface SshImportPreview {
  /** The file's name, or ~/.ssh/config. */
  source: string;
  hosts: Host[];
  skipped: { name: string; reason: string }[];
}

/**
 * The hosts of an ssh_config before any is imported: each with its address, user and jump hosts, new ones picked,
 * ones whose name the inventory has already left unpicked (picking one replaces that host); entries that cannot be
 * imported are listed with why. Nothing changes until Import.
 */
export function SshImportDialog(props: {
  preview: SshImportPreview;
  existing: ReadonlySet<string>;
  onImport: (names: string[], overwrite: boolean) => Promise<void>;
  onCancel: () => void;
}) {
  const { preview, existing } = props;
  const [picked, setPicked] = useState(
    () => new Set(preview.hosts.filter((h) => !existing.has(h.name)).map((h) => h.name)),
  );
  const [busy, setBusy] = useState(false);
  const toggle = (name: string) =>
    setPicked((p) => {
      const next = new Set(p);
      if (!next.delete(name)) next.add(name);
      return next;
    });
  const names = preview.hosts.filter((h) => picked.has(h.name)).map((h) => h.name);
  const replacing = names.filter((n) => existing.has(n));
  const submit = async () => {
    setBusy(true);
    try {
      await props.onImport(names, replacing.length > 0);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      label="Import hosts from ssh_config"
      title={`Import hosts from ${preview.source}`}
      onClose={props.onCancel}
      wide
    >
      {preview.hosts.length === 0 ? (
        <p className="muted">No host in it can be imported.</p>
      ) : (
        <div className="import-list">
          <table className="grid" data-testid="import-preview">
            <thead>
              <tr>
                <th>import</th>
                <th>name</th>
                <th>address</th>
                <th>user · auth</th>
                <th>via</th>
              </tr>
            </thead>
            <tbody>
              {preview.hosts.map((h) => (
                <tr key={h.name} data-import={h.name}>
                  <td>
                    <input
                      type="checkbox"
                      checked={picked.has(h.name)}
                      onChange={() => toggle(h.name)}
                      aria-label={`import ${h.name}`}
                    />
                  </td>
                  <td>
                    <b>{h.name}</b>
                    {existing.has(h.name) && (
                      <span className="badge accent" title="Importing it replaces the host of this name">
                        exists: replaces it
                      </span>
                    )}
                  </td>
                  <td className="mono">
                    {h.address}:{h.port}
                  </td>
                  <td className="muted">
                    {h.user ?? '(you)'} · {h.auth.kind}
                  </td>
                  <td className="mono">{h.jump.join(' → ') || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {preview.skipped.length > 0 && (
        <div data-testid="import-skipped">
          <h3>Not imported</h3>
          <ul className="muted">
            {preview.skipped.map((s, i) => (
              <li key={i}>
                <b>{s.name}</b>: {s.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="actions">
        {/* focus starts inside (so Escape reaches the dialog), on the choice that changes nothing */}
        <button autoFocus onClick={props.onCancel}>
          Cancel
        </button>
        <button className="primary" disabled={busy || names.length === 0} onClick={() => void submit()}>
          {names.length === 1 ? 'Import 1 host' : `Import ${names.length} hosts`}
          {replacing.length ? ` (replaces ${replacing.length})` : ''}
        </button>
      </div>
    </Dialog>
  );
}
