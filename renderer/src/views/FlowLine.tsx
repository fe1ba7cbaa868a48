import { Fragment, memo, useEffect, useState } from 'react';
import type { Flow, FlowFate, FlowSegment } from '../../../main/api/flows';
import type { PacketPath } from '../../../main/api/trace';
import { formatNs } from '../model/format';

const FATE_TEXT: Record<FlowFate, string> = {
  dropped: '✗ dropped',
  lost: '✗ never arrived',
  unseen: '? not traced there',
  left: '→ left the traced hosts',
  delivered: '✓ delivered',
  ended: '· path ended',
};
const FATE_TONE: Record<FlowFate, string> = {
  dropped: 'bad',
  lost: 'bad',
  unseen: 'warn',
  left: 'muted',
  delivered: 'ok',
  ended: 'muted',
};
const VERDICT_TONE: Record<string, string> = { dropped: 'bad', delivered: 'ok', 'in-flight': 'warn' };

export const fateOf = (f: Flow): FlowFate => f.fate ?? 'ended';

/** The wire between two hosts: the gap on one clock, with the flow's offset uncertainty where it is this pair's. */
function Wire(props: { seg: FlowSegment; uncertainty: number | null | undefined }) {
  const u = props.uncertainty;
  return (
    <span
      className="flow-wire"
      title={`Time from leaving the previous host to the first probe here, on one clock (the wire plus what no probe sees); ${props.seg.host}'s clock is ${formatNs(props.seg.clock_offset_ns)} from the first host's`}
    >
      <span className="flow-wire-line" aria-hidden="true" />
      <span className="flow-wire-text">
        wire +{formatNs(props.seg.gap_ns)}
        {u !== undefined ? ` ± ${u === null ? '?' : formatNs(u)}` : ''}
      </span>
      <span className="flow-wire-line" aria-hidden="true" />
    </span>
  );
}

/**
 * One stitched flow as one line across hosts: each host's packet (a button opening it in the Path view), the
 * wire between hosts with its gap, the fate at the end, the headline — in red when the packet never arrived — and
 * the clock offset, what joined the segments and what NAT changed. Unfolded, each host's hops in order.
 */
export const FlowLine = memo(function FlowLine(props: {
  n: number;
  flow: Flow;
  onOpen: (s: FlowSegment) => void;
  loadPacket: (s: FlowSegment) => Promise<PacketPath>;
}) {
  const { flow: f } = props;
  const fate = fateOf(f);
  const [open, setOpen] = useState(false);
  const pairU = f.segments.length === 2 ? f.uncertainty_ns : undefined;
  return (
    <li className={`flow fate-${fate}`} data-testid="flow" data-fate={fate}>
      <div className="flow-line">
        <button
          className="flow-n"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
          title="Show every host's hops"
        >
          {open ? '▾' : '▸'} #{props.n}
        </button>
        {f.segments.map((s, i) => (
          <Fragment key={`${s.host}:${s.packet_id}`}>
            {i > 0 && <Wire seg={s} uncertainty={pairU} />}
            <button
              className="flow-seg"
              onClick={() => props.onOpen(s)}
              title={`Open packet ${s.packet_id} of ${s.host} in the Path view`}
              data-testid="flow-segment"
            >
              <span className="flow-host">{s.host}</span>
              <span className="dim">#{s.packet_id}</span>
              <span className={VERDICT_TONE[s.verdict ?? ''] ?? 'muted'}>{s.verdict ?? 'no verdict'}</span>
              <span className="dim">{formatNs(s.last_ts_ns - s.first_ts_ns)}</span>
            </button>
          </Fragment>
        ))}
        {(fate === 'lost' || fate === 'unseen') && (
          <span className="flow-wire lost">
            <span className="flow-wire-line" aria-hidden="true" />
            <span className="flow-wire-text">wire ✗</span>
          </span>
        )}
        <span className={`flow-fate ${FATE_TONE[fate]}`} data-testid="flow-fate">
          {FATE_TEXT[fate]}
        </span>
      </div>
      <div className={`flow-headline${fate === 'lost' ? ' bad' : ''}`} data-testid="flow-headline">
        {f.headline}
      </div>
      <div className="flow-facts">
        {f.segments.length > 1 && (
          <span>
            clock {formatNs(f.clock_offset_ns)} ±{' '}
            {f.uncertainty_ns === null ? '?' : formatNs(f.uncertainty_ns)}
          </span>
        )}
        {f.matched_on && <span>matched on {f.matched_on}</span>}
        {f.changed_fields.length > 0 && (
          <span className="warn" data-testid="flow-nat">
            NAT changed {f.changed_fields.join(', ')}
          </span>
        )}
      </div>
      {open && <FlowHops flow={f} load={props.loadPacket} onOpen={props.onOpen} />}
    </li>
  );
});

/** Each host's hops of the flow in order, host boundaries and wires between them (loaded when unfolded). */
function FlowHops(props: {
  flow: Flow;
  load: (s: FlowSegment) => Promise<PacketPath>;
  onOpen: (s: FlowSegment) => void;
}) {
  const [paths, setPaths] = useState<(PacketPath | string | undefined)[]>([]);
  const { flow, load } = props;
  useEffect(() => {
    let stale = false;
    flow.segments.forEach((s, i) =>
      load(s).then(
        (p) => !stale && setPaths((old) => Object.assign([...old], { [i]: p })),
        (e: unknown) => !stale && setPaths((old) => Object.assign([...old], { [i]: (e as Error).message })),
      ),
    );
    return () => {
      stale = true;
    };
  }, [flow, load]);
  return (
    <div className="flow-hops" data-testid="flow-hops">
      {flow.segments.map((s, i) => {
        const p = paths[i];
        return (
          <Fragment key={`${s.host}:${s.packet_id}`}>
            {i > 0 && <span className="flow-hop-wire">⟶ wire +{formatNs(s.gap_ns)} ⟶</span>}
            <div className="flow-host-box">
              <button
                className="flow-host-name"
                onClick={() => props.onOpen(s)}
                title="Open in the Path view"
              >
                {s.host} #{s.packet_id}
              </button>
              {typeof p === 'string' ? (
                <span className="bad">{p}</span>
              ) : p ? (
                <ol className="flow-hop-list mono">
                  {p.hops.map((h, j) => (
                    <li
                      key={j}
                      className={h.drop_reason ? 'bad' : ''}
                      title={`${h.ifname ?? ''} ${h.netns_name ?? ''}`}
                    >
                      {h.function}
                      {h.ifname && (j === 0 || p.hops[j - 1]?.ifname !== h.ifname) ? (
                        <span className="dim"> @{h.ifname}</span>
                      ) : null}
                    </li>
                  ))}
                </ol>
              ) : (
                <span className="dim">loading…</span>
              )}
            </div>
          </Fragment>
        );
      })}
    </div>
  );
}
