import type { ContextChange, ContextDiff as ContextDiffData } from '../../../main/api/compare';

/** One change in words: `sysctl net.ipv4.ip_forward: 1 → 0`, or the line only one side has. */
function changeText(c: ContextChange): { what: string; side?: 'a' | 'b' } {
  if (c.a !== null && c.b !== null) return { what: `${c.kind} ${c.key}: ${c.a} → ${c.b}` };
  return c.a === null
    ? { what: `${c.kind} only in B: ${c.key}`, side: 'b' }
    : { what: `${c.kind} only in A: ${c.key}`, side: 'a' };
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
      <div className="muted" data-testid="context-diff">
        Host context not compared: a run has none (traced with --no-context, or before pktpath captured it).
      </div>
    );
  if (!diff.changes.length)
    return (
      <div className="muted" data-testid="context-diff">
        Host context: no differences in routes, rules, sysctls, firewall rules, links or listeners.
      </div>
    );
  return (
    <details open className="section" data-testid="context-diff">
      <summary>
        <b>Host context differs</b>{' '}
        <span className="muted">
          ({props.labelA ?? 'A'} → {props.labelB ?? 'B'}, {diff.changes.length}
          {diff.truncated ? '+' : ''} changes)
        </span>
      </summary>
      <ul className="mono">
        {diff.changes.map((c, i) => {
          const t = changeText(c);
          return (
            <li key={i} className={t.side === 'a' ? 'bad' : t.side === 'b' ? 'ok' : undefined}>
              <span className="muted">netns {c.netns}:</span> {t.what}
            </li>
          );
        })}
      </ul>
    </details>
  );
}
