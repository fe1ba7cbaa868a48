import { useState, type ReactNode } from 'react';
import type { HostContext, HostContextSnapshot, NetnsContext } from '../../../main/api/explain';
import { counterDeltas } from '../../../main/api/counter-deltas';

/**
 * A run's host context (issue 9): per namespace, what the host's network looked like at the trace's start or end —
 * links, routes, rules, neighbours, sysctls, firewall rules, listeners — and the kernel counters that moved
 * during the run. Self-contained: give it the run's `context` (SessionRun.context, Run.context).
 */
export function HostContextPanel(props: { context: HostContext | undefined }) {
  const { context } = props;
  const [which, setWhich] = useState<'start' | 'end'>(context?.start ? 'start' : 'end');
  const [nsIndex, setNsIndex] = useState(0);
  if (!context || (!context.start && !context.end))
    return (
      <div className="muted" data-testid="host-context-none">
        No host context for this run: traced with --no-context, or before pktpath captured it.
      </div>
    );
  const snap = (which === 'end' ? context.end : context.start) ?? context.start ?? context.end;
  if (!snap) return null;
  const ns = snap.namespaces[Math.min(nsIndex, snap.namespaces.length - 1)];
  const moved = ns ? counterDeltas(context).find((d) => d.netns === ns.netns) : undefined;
  return (
    <div className="col" data-testid="host-context">
      <div className="row" style={{ flexWrap: 'wrap' }}>
        <b>Host context</b>
        <select
          value={which}
          onChange={(e) => setWhich(e.target.value as 'start' | 'end')}
          aria-label="snapshot"
        >
          {context.start && <option value="start">at start ({context.start.at})</option>}
          {context.end && <option value="end">at end ({context.end.at})</option>}
        </select>
        <select value={nsIndex} onChange={(e) => setNsIndex(Number(e.target.value))} aria-label="namespace">
          {snap.namespaces.map((n, i) => (
            <option key={n.netns} value={i} title={`netns ${n.netns}`}>
              {n.name}
            </option>
          ))}
        </select>
      </div>
      <SnapshotNotes snap={snap} />
      {ns ? (
        <NetnsSections ns={ns} moved={moved?.deltas} />
      ) : (
        <div className="muted">No namespace was read.</div>
      )}
    </div>
  );
}

function SnapshotNotes({ snap }: { snap: HostContextSnapshot }) {
  if (!snap.truncated && !snap.error) return null;
  return (
    <div className="banner warn" data-testid="host-context-note">
      {snap.truncated ? 'Incomplete: the capture hit a bound. ' : ''}
      {snap.error ?? ''}
    </div>
  );
}

/** A collapsible section that says how many items it holds; empty ones stay closed. */
function Section(props: { title: string; count: number; children: ReactNode; open?: boolean }) {
  return (
    <details open={props.open && props.count > 0} className="section">
      <summary>
        {props.title} <span className="muted">({props.count})</span>
      </summary>
      {props.children}
    </details>
  );
}

const Lines = ({ lines }: { lines: readonly string[] }) => <pre className="mono">{lines.join('\n')}</pre>;

function NetnsSections({ ns, moved }: { ns: NetnsContext; moved: Record<string, number> | undefined }) {
  const sysctls = Object.entries(ns.sysctls);
  const counters = Object.entries(moved ?? {});
  return (
    <div className="col" data-testid="host-context-netns">
      <div className="muted">
        netns <span className="mono">{ns.name}</span> ({ns.netns})
      </div>
      {ns.errors.length > 0 && <div className="banner bad">Not read: {ns.errors.join('; ')}</div>}
      <Section title="Links" count={ns.links.length} open>
        <table className="mono">
          <tbody>
            {ns.links.map((l) => (
              <tr key={l.ifindex}>
                <td>{l.ifindex}</td>
                <td>{l.ifname}</td>
                <td>{l.kind}</td>
                <td>{l.state}</td>
                <td>mtu {l.mtu ?? '?'}</td>
                <td>
                  {[l.master && `master ${l.master}`, l.link && `peer ${l.link}`].filter(Boolean).join(' ')}
                </td>
                <td>{l.addresses.join(' ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Routes" count={ns.routes.length}>
        <Lines lines={ns.routes} />
      </Section>
      <Section title="Rules" count={ns.rules.length}>
        <Lines lines={ns.rules} />
      </Section>
      <Section title="Neighbours" count={ns.neighbours.length}>
        <Lines lines={ns.neighbours} />
      </Section>
      <Section title="Sysctls" count={sysctls.length}>
        <Lines lines={sysctls.map(([k, v]) => `${k} = ${v}`)} />
      </Section>
      <Section title="nftables" count={ns.nftables?.trim() ? ns.nftables.split('\n').length : 0}>
        <pre className="mono">{ns.nftables}</pre>
      </Section>
      <Section title="iptables" count={ns.iptables?.trim() ? ns.iptables.split('\n').length : 0}>
        <pre className="mono">{ns.iptables}</pre>
      </Section>
      <Section
        title="tc"
        count={ns.tc?.trim() ? ns.tc.split('\n').filter((l) => /^(qdisc|filter) /.test(l)).length : 0}
      >
        <pre className="mono">{ns.tc}</pre>
      </Section>
      <Section title="Listeners" count={ns.listeners.length}>
        <Lines lines={ns.listeners} />
      </Section>
      <Section title="Counters that moved during the run" count={counters.length} open>
        <Lines lines={counters.map(([k, v]) => `${k} ${v > 0 ? '+' : ''}${v}`)} />
      </Section>
    </div>
  );
}
