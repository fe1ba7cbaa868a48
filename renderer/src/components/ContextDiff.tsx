import type { ContextChange, ContextDiff as ContextDiffData } from '../../../main/api/compare';

/** One change in words: `sysctl net.ipv4.ip_forward: 1 → 0`, or the line only one side has (tinted as Compare's
 * only-in rows: neutral, since red means a drop). */
function Change({ c }: { c: ContextChange }) {
  if (c.a !== null && c.b !== null)
    return (
      <>
        {c.kind} {c.key}: <span className="cmp-key changed">{c.a}</span> →{' '}
        <span className="cmp-key changed">{c.b}</span>
      </>
    );
  return (
    <>
      {c.kind}{' '}
      <span className={`cmp-key ${c.a === null ? 'inserted' : 'missing'}`}>
        only in {c.a === null ? 'B' : 'A'}
      </span>
      : {c.key}
    </>
  );
}

/**
 * How two runs' host contexts differ (compare's `context_diff`), to sit next to the first path divergence: the
 * route, rule or sysctl that differs between a good and a bad host is often the answer. Self-contained.
 */
export function ContextDiff(props: { diff: ContextDiffData | undefined; labelA?: string; labelB?: string }) {
  const { diff } = props;
  if (!diff) return null;
  if (!diff.available)
    return (
      <div className="muted context-diff" data-testid="context-diff">
        Host context not compared: a run has none (traced with --no-context, or before pktpath captured it).
      </div>
    );
  if (!diff.changes.length)
    return (
      <div className="muted context-diff" data-testid="context-diff">
        Host context: no differences in routes, rules, sysctls, firewall rules, links or listeners.
      </div>
    );
  return (
    <details open className="context-diff" data-testid="context-diff">
      <summary>
        <b>Host context differs</b>{' '}
        <span className="muted">
          ({props.labelA ?? 'A'} → {props.labelB ?? 'B'}, {diff.changes.length}
          {diff.truncated ? '+' : ''} changes)
        </span>
      </summary>
      <ul className="mono">
        {diff.changes.map((c, i) => (
          <li key={i}>
            <span className="muted">netns {c.netns}:</span> <Change c={c} />
          </li>
        ))}
      </ul>
    </details>
  );
}
