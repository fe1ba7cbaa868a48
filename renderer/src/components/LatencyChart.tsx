import type { PacketPath } from '../../../main/api/trace';
import { formatNs } from '../model/format';

/**
 * Per-hop latency: one bar per hop, height = Δt from the previous hop on a log scale (ns and ms in one view).
 * Plain HTML boxes rather than a stretched SVG, so labels keep their shape at any width.
 */
export function LatencyChart(props: {
  packet: PacketPath;
  selectedHop?: number;
  onSelectHop?: (i: number) => void;
}) {
  const hops = props.packet.hops;
  if (hops.length < 2)
    return (
      <div className="dim" style={{ padding: 8 }}>
        One hop: nothing to chart.
      </div>
    );
  const dts = hops.map((h, i) => (i === 0 ? 0 : Math.max(0, h.ts_ns - (hops[i - 1]?.ts_ns ?? h.ts_ns))));
  const max = Math.max(...dts, 1);
  const maxAt = dts.indexOf(max);
  const height = (v: number) => (v <= 0 ? 0 : Math.max(2, (Math.log10(1 + v) / Math.log10(1 + max)) * 100));
  return (
    <div className="chart" aria-label="per-hop latency" data-testid="latency-chart">
      <div className="chart-labels">
        <span>
          total {formatNs((hops.at(-1)?.ts_ns ?? 0) - (hops[0]?.ts_ns ?? 0))} over {hops.length} hops · log
          scale
        </span>
        <span>
          slowest step {formatNs(max)} into <span className="mono">{hops[maxAt]?.function}</span>
        </span>
      </div>
      <div className="chart-bars">
        {dts.map((dt, i) => (
          <div
            key={i}
            className={`chart-bar${hops[i]?.drop_reason ? ' drop' : ''}${props.selectedHop === i ? ' selected' : ''}`}
            style={{ height: `${height(dt)}%` }}
            title={`${i + 1}. ${hops[i]?.function}: +${formatNs(dt)}`}
            onMouseDown={() => props.onSelectHop?.(i)}
          />
        ))}
      </div>
    </div>
  );
}
