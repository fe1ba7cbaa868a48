import { useState } from 'react';
import { HostSchema, type Host, type HostInput } from '../../../main/api/hosts';
import { formatIssues } from '../../../main/api/validate';
import { ApiCallError } from '../api/client';

/** Add or edit a host. Checked with the contract's HostSchema as you type, so the core never sees a bad one. */
export function HostForm(props: {
  original: Host | undefined;
  hosts: readonly Host[];
  onCancel: () => void;
  onSave: (h: HostInput, original: Host | undefined) => Promise<void>;
}) {
  const o = props.original;
  const [name, setName] = useState(o?.name ?? '');
  const [address, setAddress] = useState(o?.address ?? '');
  const [port, setPort] = useState(String(o?.port ?? 22));
  const [user, setUser] = useState(o?.user ?? '');
  const [auth, setAuth] = useState<Host['auth']['kind']>(o?.auth.kind ?? 'key');
  const [identity, setIdentity] = useState(
    o?.auth.kind === 'key' ? o.auth.identityFiles.join(', ') : '~/.ssh/id_ed25519',
  );
  const [jump, setJump] = useState(o?.jump.join(', ') ?? '');
  const [tags, setTags] = useState(o?.tags.join(', ') ?? '');
  const [privilege, setPrivilege] = useState<Host['privilege']>(o?.privilege ?? 'sudo');
  const [notes, setNotes] = useState(o?.notes ?? '');
  const [saveError, setSaveError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const list = (s: string) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  const input: HostInput = {
    name: name.trim(),
    address: address.trim(),
    port: Number(port),
    ...(user.trim() ? { user: user.trim() } : {}),
    auth: auth === 'key' ? { kind: 'key', identityFiles: list(identity) } : { kind: auth },
    jump: list(jump),
    tags: list(tags),
    privilege,
    notes,
  };
  const check = HostSchema.safeParse(input);
  const problem = check.success ? undefined : formatIssues('host', check.error.issues).replace(/^host: /, '');

  const submit = async () => {
    if (problem) return;
    setBusy(true);
    setSaveError(undefined);
    try {
      await props.onSave(input, o);
    } catch (e) {
      setSaveError(e instanceof ApiCallError ? `${e.code}: ${e.message}` : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="pane"
      style={{ width: 420, borderLeft: '1px solid var(--line)' }}
      aria-label={o ? `Edit ${o.name}` : 'Add host'}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onKeyDown={(e) => e.key === 'Escape' && props.onCancel()}
    >
      <div className="pane-head">
        <h2>{o ? `Edit ${o.name}` : 'Add host'}</h2>
      </div>
      <div className="pane-body section">
        <div className="form-grid">
          <label htmlFor="h-name">name</label>
          <input
            id="h-name"
            value={name}
            disabled={!!o}
            autoFocus
            onChange={(e) => setName(e.target.value)}
            placeholder="web-1"
          />
          <label htmlFor="h-address">address</label>
          <input
            id="h-address"
            value={address}
            onChange={(e) => setAddress(e.target.value)}
            placeholder="10.0.0.5 or host.example"
          />
          <label htmlFor="h-port">port</label>
          <input id="h-port" value={port} onChange={(e) => setPort(e.target.value)} style={{ width: 90 }} />
          <label htmlFor="h-user">user</label>
          <input
            id="h-user"
            value={user}
            onChange={(e) => setUser(e.target.value)}
            placeholder="(your local user name)"
          />
          <label htmlFor="h-auth">auth</label>
          <select id="h-auth" value={auth} onChange={(e) => setAuth(e.target.value as Host['auth']['kind'])}>
            <option value="key">key file</option>
            <option value="agent">ssh-agent</option>
            <option value="password">password</option>
            <option value="keyboard-interactive">keyboard-interactive</option>
          </select>
          {auth === 'key' && (
            <>
              <label htmlFor="h-identity">key files</label>
              <input
                id="h-identity"
                value={identity}
                onChange={(e) => setIdentity(e.target.value)}
                className="mono"
              />
            </>
          )}
          <label htmlFor="h-jump">jump hosts</label>
          <input
            id="h-jump"
            value={jump}
            onChange={(e) => setJump(e.target.value)}
            placeholder={
              props.hosts
                .filter((h) => h.kind === 'ssh')
                .map((h) => h.name)
                .slice(0, 3)
                .join(', ') || 'bastion'
            }
          />
          <label htmlFor="h-priv">privilege</label>
          <select
            id="h-priv"
            value={privilege}
            onChange={(e) => setPrivilege(e.target.value as Host['privilege'])}
          >
            <option value="root">root (log in as root)</option>
            <option value="sudo">sudo (no password)</option>
            <option value="sudo-password">sudo with password</option>
            <option value="doas">doas</option>
          </select>
          <label htmlFor="h-tags">tags</label>
          <input
            id="h-tags"
            value={tags}
            onChange={(e) => setTags(e.target.value)}
            placeholder="prod, edge"
          />
          <label htmlFor="h-notes">notes</label>
          <textarea id="h-notes" value={notes} rows={3} onChange={(e) => setNotes(e.target.value)} />
        </div>
        <div className="field-error" data-testid="host-form-error">
          {(name || address) && problem ? problem : (saveError ?? '')}
        </div>
        <div className="row" style={{ justifyContent: 'flex-end' }}>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!!problem || busy}>
            {o ? 'Save' : 'Add host'}
          </button>
        </div>
      </div>
    </form>
  );
}
