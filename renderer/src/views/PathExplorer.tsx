import { memo, useCallback, useEffect, useState } from 'react';
import type { PacketPath } from '../../../main/api/trace';
import { PacketDetail } from '../components/PacketDetail';
import { Splitter, useSplit } from '../components/Splitter';
import { StateMessage } from '../components/StateMessage';
import { formatCount } from '../model/format';
import { type PacketSource, type VariantInfo } from '../model/packet-source';
import { PacketFlags } from './PacketFlags';
import { PacketList } from './PacketList';
import { RunTimeline } from './RunTimeline';
import { DEFAULT_QUERY, type ListQuery, type TimeRange } from '../model/list-query';

/**
 * Packets on the left (virtualized, paged from the source as they scroll into view), the selected packet's path on
 * the right (loaded on selection): hops in order with subsystem, Δt bars, interface/netns changes, the 5-tuple, a
 * drop banner, the per-hop latency chart, and the run's variants.
 */
export function PathExplorer(props: {
  source: PacketSource;
  live?: boolean;
  emptyHint: string;
  /** "Compare with…" on the open packet (saved runs only). */
  onCompare?: (packet: number) => void;
  /** The packet to open with (selected in the list once it loads). */
  initialPacket?: number | undefined;
}) {
  const { source } = props;
  const [listSize, setListSize] = useSplit('path-list', 44, 18, 70);
  const [selectedId, setSelectedId] = useState<number | undefined>();
  const [variantFilter, setVariantFilter] = useState<number | undefined>();
  const packet = useSelectedPacket(source, selectedId);
  const pickVariant = useCallback((i: number) => setVariantFilter(i), []);
  const clearVariant = useCallback(() => setVariantFilter(undefined), []);
  // the timeline's A–B range filters the list; the list's own query decides what the timeline counts
  const [range, setRange] = useState<TimeRange | undefined>();
  const [listQuery, setListQuery] = useState<ListQuery>(DEFAULT_QUERY);

  if (!source.total)
    return (
      <StateMessage title={props.live ? 'Waiting for packets' : 'No packets'}>{props.emptyHint}</StateMessage>
    );

  return (
    <div className="col grow" style={{ height: '100%', gap: 0, minWidth: 0, minHeight: 0 }}>
      <RunTimeline source={source} query={listQuery} onRange={setRange} />
      <div className="row grow" style={{ alignItems: 'stretch', minHeight: 0, gap: 0, minWidth: 0 }}>
        <div className="pane" style={{ width: `${listSize}%`, flex: 'none' }}>
          <PacketList
            source={source}
            live={props.live}
            variant={variantFilter}
            onClearVariant={clearVariant}
            onSelectPacket={setSelectedId}
            range={range}
            onQuery={setListQuery}
            initialPacket={props.initialPacket}
          />
          <Variants
            variants={source.variants}
            variantCount={source.variantCount}
            active={variantFilter}
            onPick={pickVariant}
          />
        </div>
        <Splitter label="packet list width" size={listSize} min={18} max={70} onSize={setListSize} />
        <div className="pane grow">
          {packet.path ? (
            <PacketDetail
              packet={packet.path}
              key={packet.path.id}
              load={source.packet}
              {...(props.onCompare ? { onCompare: props.onCompare } : {})}
              flags={<PacketFlagBanner cut={packet.path.cut} partial={packet.path.partial} />}
            />
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
    </div>
  );
}

/** The selected packet's hops, fetched when the selection (or a live packet) changes; the last one stays shown meanwhile. */
function useSelectedPacket(source: PacketSource, id: number | undefined) {
  const [state, setState] = useState<{ path?: PacketPath; error?: string }>({});
  useEffect(() => {
    // (unchanged when nothing was open: a live source changes every batch, and a new {} would re-render the view)
    if (id === undefined) return setState((s) => (s.path || s.error ? {} : s));
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
        <VariantRow key={i} v={v} i={i} active={props.active === i} onPick={props.onPick} />
      ))}
    </div>
  );
});

// Memoized by its variant: a live batch changes the counts of a few variants, not the text of every row.
interface VariantRowProps {
  v: VariantInfo;
  i: number;
  active: boolean;
  onPick: (i: number) => void;
}
const VariantRow = memo(function VariantRow(props: VariantRowProps) {
  const { v, i } = props;
  return (
    <button
      className={`variant-row mono${props.active ? ' active' : ''}`}
      aria-pressed={props.active}
      onClick={() => props.onPick(i)}
      title={v.functions.join(' → ')}
    >
      <span className="variant-count">{formatCount(v.count)}×</span>
      <span className={v.dropped ? 'bad' : ''}>
        {v.functions.length === 1
          ? `1 hop: ${v.functions[0]}`
          : `${v.functions.length} hops: ${v.functions[0]} → … → ${v.functions.at(-1)}`}
        {v.dropped ? ` · ${formatCount(v.dropped)} dropped` : ''}
      </span>
    </button>
  );
}, sameVariantRow);

function sameVariantRow(a: VariantRowProps, b: VariantRowProps): boolean {
  return (
    a.i === b.i &&
    a.active === b.active &&
    a.onPick === b.onPick &&
    a.v.count === b.v.count &&
    a.v.dropped === b.v.dropped &&
    (a.v.functions === b.v.functions || a.v.functions.join('\n') === b.v.functions.join('\n'))
  );
}

function PacketFlagBanner(props: { cut?: boolean | undefined; partial?: boolean | undefined }) {
  if (!props.cut && !props.partial) return null;
  return (
    <div className="banner warn packet-flag-banner" data-testid="packet-flag-banner">
      <PacketFlags cut={props.cut} partial={props.partial} />
      {props.partial
        ? 'Partial: first seen mid-way (an skb from before the trace), its start is missing. '
        : ''}
      {props.cut ? 'Cut: still in flight when the trace ended, its end is missing.' : ''}
    </div>
  );
}
