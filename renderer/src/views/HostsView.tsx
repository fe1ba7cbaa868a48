import { useMemo, useRef, useState } from 'react';
import type { Host, HostInput } from '../../../main/api/hosts';
import type { LimitFinding, LimitSeverity } from '../../../main/api/limits';
import { autoPicks, type ProbeFacts } from '../../../main/api/trace';
import { pickFile, textOf } from '../api/files';
import { useApp } from '../app/context';
import { StateMessage } from '../components/StateMessage';
import { ApiCallError } from '../api/client';
import { HostForm } from './HostForm';
import { HostRow } from './HostRow';
import { SshImportDialog, type SshImportPreview } from './SshImportDialog';

/** The inventory: search by name, address or tag; add/edit/remove; import ~/.ssh/config; test; probe. */
export function HostsView() {
  const app = useApp();
  const [query, setQuery] = useState('');
  const [editing, setEditing] = useState<Host | 'new' | undefined>();
  const [probing, setProbing] = useState<Record<string, boolean>>({});
  const [importing, setImporting] = useState<
    { preview: SshImportPreview; source: { text?: string; name?: string } } | undefined
  >();
  const search = useRef<HTMLInputElement>(null);

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    if (!q) return app.hosts;
    return app.hosts.filter((h) =>
      [h.name, h.address, h.user ?? '', ...h.tags].some((s) => s.toLowerCase().includes(q)),
    );
  }, [app.hosts, query]);
  const current = app.hosts.find((h) => h.name === app.selectedHost);
  const currentFacts = current && app.probes.get(current.name);

  const probe = async (name: string) => {
    setProbing((p) => ({ ...p, [name]: true }));
    await app.probe(name, true);
    setProbing((p) => ({ ...p, [name]: false }));
  };
  /** No file: ~/.ssh/config of the user running pktpath. An upload's `Include` lines are listed as skipped. The
   * core says first what it would import (`dryRun`); the user picks from that. */
  const importConfig = async (upload: boolean) => {
    try {
      const file = upload ? await pickFile('ssh-config') : undefined;
      if (upload && !file) return;
      const source = file ? { text: textOf(file), name: file.name } : {};
      const r = await app.client.call('hosts.importSshConfig', { ...source, overwrite: true, dryRun: true });
      setImporting({
        preview: { source: file?.name ?? '~/.ssh/config', hosts: r.imported, skipped: r.skipped },
        source,
      });
    } catch (e) {
      app.reportError(e);
    }
  };
  const importPicked = async (only: string[], overwrite: boolean) => {
    if (!importing) return;
    try {
      const r = await app.client.call('hosts.importSshConfig', { ...importing.source, only, overwrite });
      await app.refreshHosts();
      setImporting(undefined);
      app.notify(
        `Imported ${r.imported.length} host(s) from ${importing.preview.source}` +
          (r.skipped.length ? `; skipped ${r.skipped.map((s) => `${s.name} (${s.reason})`).join(', ')}` : ''),
      );
    } catch (e) {
      app.reportError(e);
    }
  };
  /** Closes the host's pooled SSH connection (a dead link keepalive has not noticed yet); runs on it end only
   * once the user agrees. */
  const resetConnection = async (name: string) => {
    try {
      let r;
      try {
        r = await app.client.call('hosts.disconnect', { name, force: false });
      } catch (e) {
        if (!(e instanceof ApiCallError && e.code === 'conflict')) throw e;
        if (!confirm(`${e.message}. Reset anyway?`)) return;
        r = await app.client.call('hosts.disconnect', { name, force: true });
      }
      app.notify(
        r.closed
          ? `Closed the SSH connection to ${name}${r.endedRuns.length ? ` (ended ${r.endedRuns.join(', ')})` : ''}; the next test, probe or trace connects afresh`
          : `No SSH connection to ${name} was open; the next test, probe or trace connects afresh`,
      );
    } catch (e) {
      app.reportError(e);
    }
  };
  const remove = async (name: string) => {
    if (!confirm(`Remove host ${name} from the inventory?`)) return;
    try {
      await app.client.call('hosts.remove', { name });
      await app.refreshHosts();
    } catch (e) {
      app.reportError(e);
    }
  };
  const save = async (input: HostInput, original: Host | undefined) => {
    if (original) {
      const { name: _n, kind: _k, ...patch } = input;
      await app.client.call('hosts.update', { name: original.name, patch });
    } else await app.client.call('hosts.add', input);
    await app.refreshHosts();
    app.setSelectedHost(input.name);
    setEditing(undefined);
  };

  return (
    <div className="view grow">
      <div className="pane" style={{ flex: 1 }}>
        <div className="pane-head">
          <h2>Hosts</h2>
          <input
            ref={search}
            data-shortcut-search
            placeholder="Search name, address, tag  ( / )"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            style={{ width: 260 }}
          />
          <span className="spacer" />
          <button onClick={() => void importConfig(false)} title="Import the Host entries of ~/.ssh/config">
            Import ~/.ssh/config
          </button>
          <button
            onClick={() => void importConfig(true)}
            title="Upload an ssh_config file and import its hosts"
          >
            Upload ssh_config…
          </button>
          <button
            className="primary"
            onClick={() => setEditing('new')}
            title="Add host (Alt+N)"
            data-shortcut="add-host"
          >
            Add host
          </button>
        </div>
        <div className="pane-body">
          {app.hostsError ? (
            <StateMessage
              kind="error"
              title="Cannot load the inventory"
              actions={<button onClick={() => void app.refreshHosts()}>Retry</button>}
            >
              {app.hostsError}
            </StateMessage>
          ) : shown.length === 0 ? (
            <StateMessage title={query ? 'No host matches' : 'No hosts yet'}>
              {query ? 'Clear the search, or add the host.' : 'Add a host or import your ~/.ssh/config.'}
            </StateMessage>
          ) : (
            <table className="grid" data-testid="hosts-table">
              <thead>
                <tr>
                  <th>name</th>
                  <th>address</th>
                  <th>user · auth · privilege</th>
                  <th>tags</th>
                  <th>capabilities</th>
                  <th>connection</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {shown.map((h) => (
                  <HostRow
                    key={h.name}
                    host={h}
                    probing={!!probing[h.name]}
                    onProbe={() => void probe(h.name)}
                    onEdit={() => setEditing(h)}
                    onReset={() => void resetConnection(h.name)}
                    onRemove={() => void remove(h.name)}
                  />
                ))}
              </tbody>
            </table>
          )}
        </div>
        {current && currentFacts && <ProbeFactsPanel host={current} facts={currentFacts} />}
      </div>
      {importing && (
        <SshImportDialog
          preview={importing.preview}
          existing={new Set(app.hosts.map((h) => h.name))}
          onImport={importPicked}
          onCancel={() => setImporting(undefined)}
        />
      )}
      {editing && (
        <HostForm
          original={editing === 'new' ? undefined : editing}
          hosts={app.hosts}
          onCancel={() => setEditing(undefined)}
          onSave={save}
        />
      )}
    </div>
  );
}

function ProbeFactsPanel({ host, facts }: { host: Host; facts: ProbeFacts }) {
  return (
    <div className="section" style={{ borderTop: '1px solid var(--line)' }}>
      <h3>{host.name}: what the kernel can do</h3>
      <div className="mono" style={{ fontSize: 12 }}>
        {facts.kernel.release} · {facts.arch} · BTF{' '}
        {facts.btf.vmlinux ? `yes (+${facts.btf.modules} modules)` : 'no'} · auto → <b>{autoPicks(facts)}</b>{' '}
        · {facts.skbFunctions.traceable} of {facts.skbFunctions.btf} skb functions traceable ·{' '}
        {facts.tracepoints.length} tracepoints · {facts.dropReasons.length} drop reasons
      </div>
      <div className="row" style={{ flexWrap: 'wrap', marginTop: 4 }}>
        {Object.entries(facts.attach).map(([k, r]) => (
          <span key={k} className={`badge ${r.ok ? 'ok' : 'bad'}`} title={r.error ?? ''}>
            {r.ok ? '✔' : '✖'} {k}
            {!r.ok && r.error ? `: ${r.error}` : ''}
          </span>
        ))}
      </div>
      {facts.limits && <Limits limits={facts.limits} />}
    </div>
  );
}

const LIMIT_BADGE: Record<LimitSeverity, string> = { error: 'bad', warning: 'accent', info: '' };

/** The preflight's findings: what limits tracing on the host, what to do, and what on the host shows it. */
function Limits({ limits }: { limits: readonly LimitFinding[] }) {
  if (!limits.length) return <div className="muted">Nothing limits tracing on this host.</div>;
  return (
    <ul data-testid="limits" style={{ margin: '6px 0 0', paddingLeft: 18, fontSize: 12 }}>
      {limits.map((l, i) => (
        <li key={i} title={l.evidence.join('\n')}>
          <span className={`badge ${LIMIT_BADGE[l.severity]}`}>{l.severity}</span> {l.summary}
          <div className="muted">{l.advice}</div>
        </li>
      ))}
    </ul>
  );
}
