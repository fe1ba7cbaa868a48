import { useEffect, useState } from 'react';
import type { HostKeyDecision, HostKeyPrompt, SecretPrompt } from '../../../main/api/contract';
import type { ApiClient } from '../api/client';

/**
 * The core's questions, answered by the user: an unknown host key (fingerprint, accept once / remember / reject)
 * and a secret (password, passphrase, sudo password). Prompts queue; one dialog at a time.
 */
export function PromptDialogs(props: { client: ApiClient; onError: (e: unknown) => void }) {
  const { client, onError } = props;
  const [keys, setKeys] = useState<HostKeyPrompt[]>([]);
  const [secrets, setSecrets] = useState<SecretPrompt[]>([]);
  useEffect(() => {
    const a = client.on('hostKey.prompt', (p) => setKeys((q) => [...q, p]));
    const b = client.on('secret.prompt', (p) => setSecrets((q) => [...q, p]));
    return () => {
      a();
      b();
    };
  }, [client]);

  const key = keys[0];
  if (key) {
    const decide = (decision: HostKeyDecision) => {
      setKeys((q) => q.slice(1));
      client.call('hostKey.decide', { promptId: key.promptId, decision }).catch(onError);
    };
    return (
      <div className="dialog-backdrop">
        <div className="dialog" role="dialog" aria-label="Unknown host key" data-testid="host-key-dialog">
          <h2>Unknown host key for {key.host}</h2>
          <p className="muted">
            {key.viaJumpFor ? `This is jump host ${key.host} on the way to ${key.viaJumpFor}. ` : ''}
            {key.hostPattern} presented a {key.keyType} key that is in neither ~/.ssh/known_hosts nor
            pktpath&apos;s store. Compare the fingerprint with <span className="mono">ssh-keygen -lf</span> on
            the host before trusting it.
          </p>
          <div className="fp" data-testid="fingerprint">
            {key.fingerprint}
          </div>
          <div className="actions">
            <button className="danger" onClick={() => decide('reject')}>
              Reject
            </button>
            <span className="spacer" />
            <button onClick={() => decide('accept-once')}>Accept once</button>
            <button className="primary" autoFocus onClick={() => decide('accept-and-save')}>
              Accept and remember
            </button>
          </div>
        </div>
      </div>
    );
  }
  const secret = secrets[0];
  if (secret)
    return (
      <SecretDialog
        key={secret.promptId}
        prompt={secret}
        client={client}
        onError={onError}
        done={() => setSecrets((q) => q.slice(1))}
      />
    );
  return null;
}

const KIND_LABEL: Record<SecretPrompt['kind'], string> = {
  password: 'SSH password',
  passphrase: 'Key passphrase',
  'sudo-password': 'sudo password',
  'keyboard-interactive': 'SSH login',
};

function SecretDialog(props: {
  prompt: SecretPrompt;
  client: ApiClient;
  onError: (e: unknown) => void;
  done: () => void;
}) {
  const { prompt, client } = props;
  const [value, setValue] = useState('');
  const [remember, setRemember] = useState(false);
  const answer = async (v: string | null) => {
    props.done();
    try {
      const r = await client.call('secret.provide', {
        promptId: prompt.promptId,
        value: v,
        remember: v !== null && remember,
      });
      if (v !== null && remember && !r.remembered)
        props.onError(new Error(`not remembered: ${r.reason ?? 'no keyring'}`));
    } catch (e) {
      props.onError(e);
    }
  };
  return (
    <div className="dialog-backdrop">
      <form
        className="dialog"
        role="dialog"
        aria-label={KIND_LABEL[prompt.kind]}
        onSubmit={(e) => {
          e.preventDefault();
          void answer(value);
        }}
      >
        <h2>
          {KIND_LABEL[prompt.kind]} for {prompt.host}
        </h2>
        <p className="muted">{prompt.prompt}</p>
        <input
          type="password"
          autoFocus
          value={value}
          onChange={(e) => setValue(e.target.value)}
          style={{ width: '100%' }}
        />
        <div className="row" style={{ marginTop: 8 }}>
          {prompt.remember.available ? (
            <label className="row">
              <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />{' '}
              Remember (system keyring)
            </label>
          ) : (
            <span className="dim">Not stored: {prompt.remember.reason ?? 'this face keeps no secrets'}</span>
          )}
        </div>
        <div className="actions">
          <button type="button" onClick={() => void answer(null)}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Send
          </button>
        </div>
      </form>
    </div>
  );
}

/** A changed host key is never a question: it is refused, in red, with both fingerprints. */
export function HostKeyMismatchDialog(props: {
  message: string;
  details?: Record<string, unknown>;
  onClose: () => void;
}) {
  // HostKeyMismatchError's details (main/core/ssh/errors.ts): knownFingerprints, presentedFingerprint, knownAt.
  const d = props.details ?? {};
  const known = Array.isArray(d.knownFingerprints) ? d.knownFingerprints.map(String) : [];
  const expected = known.length ? known.join('\n') : undefined;
  const actual = typeof d.presentedFingerprint === 'string' ? d.presentedFingerprint : undefined;
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog danger"
        role="alertdialog"
        aria-label="Host key changed"
        data-testid="host-key-mismatch"
      >
        <h2>Host key changed — connection refused</h2>
        <p>{props.message}</p>
        {expected && (
          <>
            <div className="muted">Known key</div>
            <div className="fp">{expected}</div>
          </>
        )}
        {actual && (
          <>
            <div className="muted" style={{ marginTop: 6 }}>
              Presented key
            </div>
            <div className="fp bad">{actual}</div>
          </>
        )}
        <p className="muted">
          Someone may be intercepting the connection, or the host was reinstalled. If you know why it changed,
          remove the old entry from known_hosts and connect again.
        </p>
        <div className="actions">
          <button autoFocus onClick={props.onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
