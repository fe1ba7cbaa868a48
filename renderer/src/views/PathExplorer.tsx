import { memo, useCallback, useEffect, useState } from 'react';
import type { PacketPath } from '../../../main/api/trace';
import { LatencyChart } from '../components/LatencyChart';
import { StateMessage } from '../components/StateMessage';
import { formatCount, formatNs, formatTuple } from '../model/format';
import { hopDeltas, type PacketSource, type VariantInfo } from '../model/packet-source';
import { subsystemOf } from '../model/subsystem';
import { PacketFlags } from './PacketFlags';
import { PacketList } from './PacketList';

/**
 * Packets on the left (virtualized, paged from the source as they scroll into view), the selected packet's path on
 * the right (loaded on selection): hops in order with subsystem, Δt bars, interface/netns changes, the 5-tuple, a
 * drop banner, the per-hop latency chart, and the run's variants.
 */
export function PathExplorer(props: { source: PacketSource; live?: boolean; emptyHint: string }) {
  const { source } = props;
  const [selectedId, setSelectedId] = useState<number | undefined>();
  const [variantFilter, setVariantFilter] = useState<number | undefined>();
  const packet = useSelectedPacket(source, selectedId);
  const pickVariant = useCallback((i: number) => setVariantFilter(i), []);
  const clearVariant = useCallback(() => setVariantFilter(undefined), []);

  if (!source.total)
    return (
      <StateMessage title={props.live ? 'Waiting for packets' : 'No packets'}>{props.emptyHint}</StateMessage>
    );

  return (
    <div className="row grow" style={{ alignItems: 'stretch', height: '100%', gap: 0, minWidth: 0 }}>
      <div className="pane" style={{ width: '44%', flex: 'none' }}>
        <PacketList
          source={source}
          live={props.live}
          variant={variantFilter}
          onClearVariant={clearVariant}
          onSelectPacket={setSelectedId}
        />
        <Variants
          variants={source.variants}
          variantCount={source.variantCount}
          active={variantFilter}
          onPick={pickVariant}
        />
      </div>
      <div className="pane grow">
        {packet.path ? (
          <PacketDetail packet={packet.path} key={packet.path.id} />
        ) : selectedId !== undefined ? (
          <StateMessage
            kind={packet.error ? 'error' : 'loading'}
            title={packet.error ? 'Cannot load the packet' : 'Loading the packet'}
          >
            {packet.error}
          </StateMessage>
        ) : (
          <StateMessage title="Select a packet">
            Click a row or use ↑/↓ (j/k) in the list to see its path.
          </StateMessage>
        )}
      </div>
    </div>
  );
}

/** The selected packet's hops, fetched when the selection (or a live packet) changes; the last one stays shown meanwhile. */
function useSelectedPacket(source: PacketSource, id: number | undefined) {
  const [state, setState] = useState<{ path?: PacketPath; error?: string }>({});
  useEffect(() => {
    if (id === undefined) return setState({});
    let stale = false;
    source.packet(id).then(
      (path) => !stale && setState({ path }),
      (e: unknown) => !stale && setState({ error: (e as Error).message }),
    );
    return () => {
      stale = true;
    };
  }, [source, id]);
  return id !== undefined && state.path?.id === id ? state : { ...state, path: undefined };
}

// Memoized: pages arriving while the list scrolls re-render the explorer, not the variants or the open packet.
const Variants = memo(function Variants(props: {
  variants: readonly VariantInfo[];
  variantCount: number;
  active?: number;
  onPick: (i: number) => void;
}) {
  return (
    <div
      className="section"
      style={{ maxHeight: 170, overflow: 'auto', borderTop: '1px solid var(--line)' }}
      data-testid="variants"
    >
      <h3>
        Path variants ({formatCount(props.variantCount)}
        {props.variantCount > props.variants.length ? `, ${props.variants.length} most frequent shown` : ''})
      </h3>
      {props.variants.map((v, i) => (
        <div
          key={i}
          className={`row mono${props.active === i ? ' ok' : ''}`}
          style={{ cursor: 'pointer', fontSize: 11 }}
          onClick={() => props.onPick(i)}
          title={v.functions.join(' → ')}
        >
          <span style={{ width: 56, textAlign: 'right' }}>{formatCount(v.count)}×</span>
          <span
            className={v.dropped ? 'bad' : ''}
            style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
          >
            {v.functions.length === 1
              ? `1 hop: ${v.functions[0]}`
              : `${v.functions.length} hops: ${v.functions[0]} → … → ${v.functions.at(-1)}`}
          </span>
        </div>
      ))}
    </div>
  );
});

const SUBSYS_COLORS: Record<string, string> = {
  rx: '#4c9aff',
  xmit: '#36b3a8',
  driver: '#8a8fe8',
  ipv4: '#7fc96b',
  ipv6: '#a0d468',
  routing: '#e0a83a',
  netfilter: '#e66fb4',
  tc: '#b48ead',
  bridge: '#d08770',
  tunnel: '#88c0d0',
  tcp: '#ebcb8b',
  udp: '#e5c07b',
  icmp: '#c3e88d',
  neigh: '#f78c6c',
  socket: '#82aaff',
  skb: '#9aa1ad',
  free: '#6b7280',
  other: '#6b7280',
};

const PacketDetail = memo(function PacketDetail({ packet }: { packet: PacketPath }) {
  const [hopSel, setHopSel] = useState<number | undefined>();
  const deltas = hopDeltas(packet);
  const maxDt = Math.max(1, ...deltas);
  const tuple = packet.hops.find((h) => h.tuple)?.tuple;
  const total = (packet.hops.at(-1)?.ts_ns ?? 0) - (packet.hops[0]?.ts_ns ?? 0);
  return (
    <div className="col packet-detail" style={{ height: '100%', gap: 0 }} data-testid="packet-detail">
      <div className="pane-head">
        <h2>Packet {packet.id}</h2>
        <span className="mono">{tuple ? formatTuple(tuple) : 'no 5-tuple seen'}</span>
        <span className="spacer" />
        <span className="muted">
          {packet.hops.length} {packet.hops.length === 1 ? 'hop' : 'hops'} · {formatNs(total)}
        </span>
      </div>
      {(packet.cut || packet.partial) && (
        <div className="banner warn packet-flag-banner" data-testid="packet-flag-banner">
          <PacketFlags cut={packet.cut} partial={packet.partial} />
          {packet.partial
            ? 'Partial: first seen mid-way (an skb from before the trace), its start is missing. '
            : ''}
          {packet.cut ? 'Cut: still in flight when the trace ended, its end is missing.' : ''}
        </div>
      )}
      {packet.drop_reason && (
        <div className="drop-banner" role="alert" data-testid="drop-banner">
          ✖ Dropped at {packet.hops.find((h) => h.drop_reason)?.function ?? packet.hops.at(-1)?.function}:{' '}
          {packet.drop_reason}
        </div>
      )}
      <div className="section">
        <LatencyChart packet={packet} selectedHop={hopSel} onSelectHop={setHopSel} />
      </div>
      <div className="pane-body">
        {/* Fixed layout: the function column takes what is left and ellipsizes, so the right-hand columns stay in
            view in a narrow pane (the Trace view's third pane); narrower still, the Δt bars and subsystem names go. */}
        <table className="grid hops-table" data-testid="hops">
          <colgroup>
            <col style={{ width: 34 }} />
            <col />
            <col className="c-subsys" />
            <col style={{ width: 76 }} />
            <col className="c-bar" />
            <col style={{ width: 126 }} />
            <col style={{ width: 46 }} />
            <col style={{ width: 38 }} />
          </colgroup>
          <thead>
            <tr>
              <th>#</th>
              <th>function</th>
              <th className="c-subsys">
                <span>subsystem</span>
              </th>
              <th>Δt</th>
              <th className="c-bar" />
              <th>ifindex · netns</th>
              <th>len</th>
              <th>cpu</th>
            </tr>
          </thead>
          <tbody>
            {packet.hops.map((h, i) => {
              const prev = packet.hops[i - 1];
              const changed = prev && (prev.ifindex !== h.ifindex || prev.netns !== h.netns);
              const sub = subsystemOf(h.function);
              return [
                changed ? (
                  <tr key={`c${i}`} className="hop-change">
                    <td colSpan={8}>
                      {prev.netns !== h.netns ? `netns ${prev.netns} → ${h.netns}` : ''}
                      {prev.netns !== h.netns && prev.ifindex !== h.ifindex ? ' · ' : ''}
                      {prev.ifindex !== h.ifindex ? `ifindex ${prev.ifindex} → ${h.ifindex}` : ''}
                    </td>
                  </tr>
                ) : null,
                <tr
                  key={i}
                  className={`hop-row${hopSel === i ? ' selected' : ''}${h.drop_reason ? ' dropped' : ''}`}
                  onMouseDown={() => setHopSel(i)}
                >
                  <td className="dim">{i + 1}</td>
                  <td className="fn" title={h.function}>
                    {h.function}
                    {h.drop_reason ? ` ✖ ${h.drop_reason}` : ''}
                  </td>
                  <td className="c-subsys" title={sub.label}>
                    <span className="subsys" style={{ background: SUBSYS_COLORS[sub.id] ?? '#888' }} />
                    <span className="subsys-label">{sub.label}</span>
                  </td>
                  <td className="mono">{i === 0 ? '' : `+${formatNs(deltas[i])}`}</td>
                  <td className="c-bar">
                    <div
                      className="dt-bar"
                      style={{
                        width: i === 0 ? 0 : `${Math.max(1, ((deltas[i] ?? 0) / maxDt) * 100)}%`,
                      }}
                    />
                  </td>
                  <td className="mono">
                    {h.ifindex} · {h.netns}
                  </td>
                  <td className="mono">{h.len}</td>
                  <td className="mono">{h.cpu ?? ''}</td>
                </tr>,
              ];
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
});
