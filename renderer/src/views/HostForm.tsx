import { useState } from 'react';
import type { ReactNode } from 'react';
import type { Host, HostInput } from '../../../main/api/hosts';
import { ApiCallError } from '../api/client';
import { hostFormErrors, type HostFormField } from '../model/host-form-check';

/**
 * Add or edit a host. Checked as you type (model/host-form-check.ts: the contract's HostSchema and the inventory),
 * each field's problem in words under it once the field was touched, so the core never sees a bad one.
 */
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
  /** Fields the user typed in (an untouched empty form is not shouted at); all of them after a submit. */
  const [touched, setTouched] = useState<ReadonlySet<HostFormField>>(new Set());
  const touch = (f: HostFormField) => !touched.has(f) && setTouched(new Set([...touched, f]));

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
  const errors = hostFormErrors(input, props.hosts, o);
  const problem = Object.values(errors).find(Boolean);
  /** A field's message and its invalid marking, once touched. */
  const shown = (f: HostFormField) => (touched.has(f) ? errors[f] : undefined);
  const invalid = (f: HostFormField) => ({
    'aria-invalid': !!shown(f),
    'aria-describedby': `h-${f}-msg`,
    className: shown(f) ? 'invalid' : undefined,
  });
  const message = (f: HostFormField): ReactNode =>
    shown(f) ? (
      <div className="field-error form-msg" id={`h-${f}-msg`} data-field={f}>
        {shown(f)}
      </div>
    ) : null;

  const submit = async () => {
    setTouched(new Set(['name', 'address', 'port', 'identity', 'jump', 'tags']));
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
            onChange={(e) => (setName(e.target.value), touch('name'))}
            placeholder="web-1"
            {...invalid('name')}
          />
          {message('name')}
          <label htmlFor="h-address">address</label>
          <input
            id="h-address"
            value={address}
            onChange={(e) => (setAddress(e.target.value), touch('address'))}
            placeholder="10.0.0.5 or host.example"
            {...invalid('address')}
          />
          {message('address')}
          <label htmlFor="h-port">port</label>
          <input
            id="h-port"
            value={port}
            onChange={(e) => (setPort(e.target.value), touch('port'))}
            style={{ width: 90 }}
            inputMode="numeric"
            {...invalid('port')}
          />
          {message('port')}
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
                onChange={(e) => (setIdentity(e.target.value), touch('identity'))}
                {...invalid('identity')}
                className={`mono${shown('identity') ? ' invalid' : ''}`}
              />
              {message('identity')}
            </>
          )}
          <label htmlFor="h-jump">jump hosts</label>
          <input
            id="h-jump"
            value={jump}
            onChange={(e) => (setJump(e.target.value), touch('jump'))}
            {...invalid('jump')}
            placeholder={
              props.hosts
                .filter((h) => h.kind === 'ssh')
                .map((h) => h.name)
                .slice(0, 3)
                .join(', ') || 'bastion'
            }
          />
          {message('jump')}
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
            onChange={(e) => (setTags(e.target.value), touch('tags'))}
            placeholder="prod, edge"
            {...invalid('tags')}
          />
          {message('tags')}
          <label htmlFor="h-notes">notes</label>
          <textarea id="h-notes" value={notes} rows={3} onChange={(e) => setNotes(e.target.value)} />
        </div>
        <div className="field-error" data-testid="host-form-error" role="status">
          {saveError ?? ''}
        </div>
        <div className="row" style={{ justifyContent: 'flex-end' }}>
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {o ? 'Save' : 'Add host'}
          </button>
        </div>
      </div>
    </form>
  );
}
