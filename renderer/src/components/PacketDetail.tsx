import { memo, useEffect, useState } from 'react';
import type { PacketPath } from '../../../main/api/trace';
import { formatNs, formatTuple } from '../model/format';
import { HopTable } from './HopTable';
import { LatencyChart } from './LatencyChart';
import { VerdictBanner } from './VerdictBanner';

/**
 * One packet's path: header (5-tuple, hops, time, "Compare with…"), cut/partial flags, the verdict and diagnosis,
 * the per-hop latency chart, the grouped hop table, and the packet's clones (`children`) under it.
 */
export const PacketDetail = memo(function PacketDetail(props: {
  packet: PacketPath;
  /** Loads another packet of the run (the clones). */
  load: (id: number) => Promise<PacketPath>;
  onCompare?: (packet: number) => void;
  flags?: React.ReactNode;
}) {
  const { packet } = props;
  const [hopSel, setHopSel] = useState<number | undefined>();
  const tuple = packet.hops.find((h) => h.tuple)?.tuple;
  const total = (packet.hops.at(-1)?.ts_ns ?? 0) - (packet.hops[0]?.ts_ns ?? 0);
  return (
    <div className="col packet-detail" style={{ height: '100%', gap: 0 }} data-testid="packet-detail">
      <div className="pane-head">
        <h2>Packet {packet.id}</h2>
        <span className="mono packet-tuple">{tuple ? formatTuple(tuple) : 'no 5-tuple seen'}</span>
        {packet.parent !== undefined && (
          <span className="badge" data-testid="clone-of">
            clone of #{packet.parent}
          </span>
        )}
        <span className="spacer" />
        <span className="muted">
          {packet.hops.length} {packet.hops.length === 1 ? 'hop' : 'hops'} · {formatNs(total)}
        </span>
        {props.onCompare && (
          <button onClick={() => props.onCompare?.(packet.id)} title="Compare this packet with another">
            Compare with…
          </button>
        )}
      </div>
      {props.flags}
      <VerdictBanner packet={packet} />
      <div className="section">
        <LatencyChart packet={packet} selectedHop={hopSel} onSelectHop={setHopSel} />
      </div>
      <HopTable packet={packet} selected={hopSel} onSelect={setHopSel} />
      {packet.children?.length ? <Clones ids={packet.children} load={props.load} /> : null}
    </div>
  );
});

/** The packet's clones/copies (tracepoint-only runs give each its own id), listed under it with their verdicts. */
function Clones(props: { ids: readonly number[]; load: (id: number) => Promise<PacketPath> }) {
  const [clones, setClones] = useState<Record<number, PacketPath | string>>({});
  const [open, setOpen] = useState<number | undefined>();
  const { ids, load } = props;
  useEffect(() => {
    let stale = false;
    for (const id of ids)
      load(id).then(
        (p) => !stale && setClones((c) => ({ ...c, [id]: p })),
        (e: unknown) => !stale && setClones((c) => ({ ...c, [id]: (e as Error).message })),
      );
    return () => {
      stale = true;
    };
  }, [ids, load]);
  return (
    <div className="section clones" data-testid="clones">
      <h3>Clones of this packet ({ids.length})</h3>
      {ids.map((id) => {
        const c = clones[id];
        return (
          <div key={id}>
            <button
              className="link-row"
              aria-expanded={open === id}
              onClick={() => setOpen(open === id ? undefined : id)}
            >
              {open === id ? '▾' : '▸'} #{id}{' '}
              {typeof c === 'string'
                ? `cannot load: ${c}`
                : c
                  ? `· ${c.hops.length} hops · ${c.verdict?.summary ?? (c.drop_reason ? `✖ ${c.drop_reason}` : `→ ${c.hops.at(-1)?.function ?? ''}`)}`
                  : '…'}
            </button>
            {open === id && typeof c === 'object' && <HopTable packet={c} onSelect={() => undefined} />}
          </div>
        );
      })}
    </div>
  );
}
