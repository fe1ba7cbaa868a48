import { useMemo, useState } from 'react';
import type { PacketPath } from '../../../main/api/trace';
import { LatencyChart } from '../components/LatencyChart';
import { StateMessage } from '../components/StateMessage';
import { VirtualList } from '../components/VirtualList';
import { formatCount, formatNs, formatTuple } from '../model/format';
import { hopDeltas, summarize } from '../model/packet-summary';
import { pathVariants } from '../model/path-variants';
import { subsystemOf } from '../model/subsystem';

const ROW = 22;

/**
 * Packets on the left (virtualized), the selected packet's path on the right: hops in order with subsystem, Δt
 * bars, interface/netns changes, the 5-tuple, a drop banner, the per-hop latency chart, and the run's variants.
 */
export function PathExplorer(props: {
  packets: readonly PacketPath[];
  version: number;
  live?: boolean;
  emptyHint: string;
}) {
  const { packets, version } = props;
  const [selected, setSelected] = useState<number | undefined>();
  const [variantFilter, setVariantFilter] = useState<number | undefined>();
  // Variants are recomputed only when the set of packets changes, not per render.
  const variants = useMemo(() => (packets.length ? pathVariants(packets) : []), [packets, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const visible = useMemo(() => {
    if (variantFilter === undefined) return packets;
    const ids = new Set(variants[variantFilter]?.packetIds ?? []);
    return packets.filter((p) => ids.has(p.id));
  }, [packets, variants, variantFilter, version]); // eslint-disable-line react-hooks/exhaustive-deps
  const t0 = packets[0]?.hops[0]?.ts_ns ?? 0;
  const packet = selected !== undefined ? visible[selected] : undefined;

  if (!packets.length)
    return (
      <StateMessage title={props.live ? 'Waiting for packets' : 'No packets'}>{props.emptyHint}</StateMessage>
    );

  return (
    <div className="row grow" style={{ alignItems: 'stretch', height: '100%', gap: 0 }}>
      <div className="pane" style={{ width: '44%' }}>
        <div className="pane-head">
          <h2>Packets</h2>
          <span className="counter" data-testid="packet-count">
            {formatCount(visible.length)}
            {variantFilter !== undefined ? ` of ${formatCount(packets.length)}` : ''}
          </span>
          <span className="spacer" />
          {variantFilter !== undefined && (
            <button onClick={() => setVariantFilter(undefined)}>All variants</button>
          )}
        </div>
        <div className="vlist-head mono">
          <span style={{ width: 64 }}>#</span>
          <span style={{ width: 96 }}>time</span>
          <span style={{ width: 42 }}>hops</span>
          <span style={{ width: 80 }}>duration</span>
          <span className="grow">5-tuple / end</span>
        </div>
        <VirtualList
          label="packets"
          count={visible.length}
          rowHeight={ROW}
          selected={selected}
          onSelect={setSelected}
          follow={props.live}
          rowClassName={(i) => (visible[i]?.drop_reason ? 'dropped' : '')}
          renderRow={(i) => {
            const p = visible[i];
            if (!p) return null;
            const s = summarize(p);
            return (
              <>
                <span style={{ width: 64 }}>{s.id}</span>
                <span style={{ width: 96 }}>{formatNs(s.startNs - t0)}</span>
                <span style={{ width: 42 }}>{s.hops}</span>
                <span style={{ width: 80 }}>{formatNs(s.durationNs)}</span>
                <span className="grow">
                  {s.tuple ? formatTuple(s.tuple) : ''}{' '}
                  {s.dropReason ? `✖ ${s.dropReason}` : `→ ${s.lastFunction}`}
                </span>
              </>
            );
          }}
        />
        <Variants
          variants={variants}
          active={variantFilter}
          onPick={(i) => {
            setVariantFilter(i);
            setSelected(0);
          }}
        />
      </div>
      <div className="pane grow">
        {packet ? (
          <PacketDetail packet={packet} key={packet.id} />
        ) : (
          <StateMessage title="Select a packet">
            Click a row or use ↑/↓ (j/k) in the list to see its path.
          </StateMessage>
        )}
      </div>
    </div>
  );
}

function Variants(props: {
  variants: ReturnType<typeof pathVariants>;
  active?: number;
  onPick: (i: number) => void;
}) {
  return (
    <div
      className="section"
      style={{ maxHeight: 170, overflow: 'auto', borderTop: '1px solid var(--line)' }}
      data-testid="variants"
    >
      <h3>Path variants ({props.variants.length})</h3>
      {props.variants.slice(0, 50).map((v, i) => (
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
}

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

function PacketDetail({ packet }: { packet: PacketPath }) {
  const [hopSel, setHopSel] = useState<number | undefined>();
  const deltas = hopDeltas(packet);
  const maxDt = Math.max(1, ...deltas);
  const tuple = packet.hops.find((h) => h.tuple)?.tuple;
  const total = (packet.hops.at(-1)?.ts_ns ?? 0) - (packet.hops[0]?.ts_ns ?? 0);
  return (
    <div className="col" style={{ height: '100%', gap: 0 }} data-testid="packet-detail">
      <div className="pane-head">
        <h2>Packet {packet.id}</h2>
        <span className="mono">{tuple ? formatTuple(tuple) : 'no 5-tuple seen'}</span>
        <span className="spacer" />
        <span className="muted">
          {packet.hops.length} {packet.hops.length === 1 ? 'hop' : 'hops'} · {formatNs(total)}
        </span>
      </div>
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
        <table className="grid" data-testid="hops">
          <thead>
            <tr>
              <th style={{ width: 34 }}>#</th>
              <th>function</th>
              <th style={{ width: 100 }}>subsystem</th>
              <th style={{ width: 80 }}>Δt</th>
              <th style={{ width: 140 }} />
              <th style={{ width: 130 }}>ifindex · netns</th>
              <th style={{ width: 50 }}>len</th>
              <th style={{ width: 36 }}>cpu</th>
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
                  <td>
                    <span className="subsys" style={{ background: SUBSYS_COLORS[sub.id] ?? '#888' }} />
                    {sub.label}
                  </td>
                  <td className="mono">{i === 0 ? '' : `+${formatNs(deltas[i])}`}</td>
                  <td style={{ width: 140 }}>
                    <div style={{ width: 130 }}>
                      <div
                        className="dt-bar"
                        style={{
                          width: i === 0 ? 0 : Math.max(1, Math.round(((deltas[i] ?? 0) / maxDt) * 130)),
                        }}
                      />
                    </div>
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
}
