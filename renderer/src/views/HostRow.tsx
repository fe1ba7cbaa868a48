import type { Host } from '../../../main/api/hosts';
import type { ProbeFacts } from '../../../main/api/trace';
import { useApp } from '../app/context';

/** One host of the inventory: how to reach it, what its kernel can do, its last connection test, and its actions
 * (test, probe; for remote hosts reset the pooled connection, edit, remove). */
export function HostRow(props: {
  host: Host;
  probing: boolean;
  onProbe: () => void;
  onEdit: () => void;
  onReset: () => void;
  onRemove: () => void;
}) {
  const app = useApp();
  const h = props.host;
  const t = app.connectionTests.get(h.name);
  return (
    <tr
      data-host={h.name}
      className={h.name === app.selectedHost ? 'selected' : ''}
      onMouseDown={() => app.setSelectedHost(h.name)}
      onDoubleClick={props.onEdit}
    >
      <td>
        <b>{h.name}</b>
      </td>
      <td className="mono">
        {h.kind === 'local' ? 'this machine' : `${h.address}:${h.port}`}
        {h.jump.length ? <span className="dim"> via {h.jump.join(' → ')}</span> : null}
      </td>
      <td className="muted">
        {h.kind === 'local' ? '—' : `${h.user ?? '(you)'} · ${h.auth.kind}`} · {h.privilege}
      </td>
      <td>
        {h.tags.map((tag) => (
          <span key={tag} className="badge tag">
            {tag}
          </span>
        ))}
      </td>
      <td className="td-wraps">
        <Capabilities
          facts={app.probes.get(h.name)}
          probing={props.probing}
          error={app.probeErrors.get(h.name)}
        />
      </td>
      <td className="td-wraps" data-testid={`conn-${h.name}`}>
        {t === 'running' ? (
          <span className="muted">testing…</span>
        ) : t ? (
          t.ok ? (
            <span className="ok">
              ✔ {Math.round(t.latencyMs)} ms · {t.user} ·{' '}
              {/* a release is one word: it never breaks at its hyphens */}
              <span style={{ whiteSpace: 'nowrap' }}>{t.kernelRelease}</span> {t.arch}
              {t.privileged === false ? <span className="bad"> · not root</span> : ''}
            </span>
          ) : (
            <span className="bad" title={t.error?.message}>
              ✖ {t.error?.code}
            </span>
          )
        ) : (
          <span className="dim">not tested</span>
        )}
      </td>
      <td>
        <div className="row">
          <button onClick={() => void app.testConnection(h.name)}>Test</button>
          <button onClick={props.onProbe} disabled={props.probing}>
            Probe
          </button>
          {h.kind !== 'local' && (
            <>
              <button
                onClick={props.onReset}
                title={`Close the pooled SSH connection to ${h.name}: the next test, probe or trace connects afresh`}
              >
                Reset
              </button>
              <button onClick={props.onEdit}>Edit</button>
              <button className="danger" onClick={props.onRemove}>
                Remove
              </button>
            </>
          )}
        </div>
      </td>
    </tr>
  );
}

function Capabilities(props: { facts: ProbeFacts | undefined; probing: boolean; error: string | undefined }) {
  const { facts, probing, error } = props;
  if (probing) return <span className="muted">probing…</span>;
  // the last probe failed: why, where the host is listed (older facts, if any, are from before)
  if (error)
    return (
      <span className="bad cell-wrap" data-testid="probe-error" title={error}>
        ✖ probe failed: {error}
      </span>
    );
  if (!facts) return <span className="dim">not probed</span>;
  const ok = Object.entries(facts.attach)
    .filter(([, r]) => r.ok)
    .map(([k]) => k);
  return (
    <span data-testid="capabilities">
      <span className="badge">{facts.kernel.release}</span>
      <span className="badge">{facts.arch}</span>
      <span className={`badge ${facts.btf.vmlinux ? 'ok' : 'bad'}`}>
        {facts.btf.vmlinux ? 'BTF' : 'no BTF'}
      </span>
      {ok.map((k) => (
        <span
          key={k}
          className={`badge ${k === facts.auto ? 'accent' : 'ok'}`}
          title={k === facts.auto ? 'auto picks this' : ''}
        >
          {k}
        </span>
      ))}
    </span>
  );
}
