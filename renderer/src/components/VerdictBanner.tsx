import type { DropPoint, PacketVerdict } from '../../../main/api/explain';
import type { PacketPath } from '../../../main/api/trace';

const TONE: Record<PacketVerdict['kind'], string> = {
  delivered: 'ok',
  forwarded: 'ok',
  sent: 'ok',
  dropped: 'bad',
  'in-flight': 'warn',
  unknown: 'warn',
};

/**
 * What happened to the packet, in words (issue 9): the core's verdict, for a drop the function that decided it and
 * netfilter's hook/table/chain/rule, the diagnosis with its advice, and frees that are benign (never shown red).
 * Runs recorded before explain existed have none of it: their drop reason is shown as it was.
 */
export function VerdictBanner({ packet }: { packet: PacketPath }) {
  const v = packet.verdict;
  if (!v) return <LegacyDropBanner packet={packet} />;
  const tone = TONE[v.kind];
  return (
    <div
      className={`verdict-banner ${tone}`}
      data-testid={v.kind === 'dropped' ? 'drop-banner' : 'verdict-banner'}
      data-verdict={v.kind}
    >
      <div className="verdict-line">
        <span className={`badge ${tone}`}>{v.kind}</span> {v.summary}
      </div>
      {packet.drop && <DropLine drop={packet.drop} />}
      {packet.drop?.stack?.length ? <DropStack frames={packet.drop.stack} /> : null}
      {packet.diagnosis && (
        <div className="diagnosis" data-testid="diagnosis" data-rule={packet.diagnosis.rule}>
          <div className="diagnosis-summary">{packet.diagnosis.summary}</div>
          <ul className="advice">
            {packet.diagnosis.advice.map((a, i) => (
              <li key={i}>{a}</li>
            ))}
          </ul>
          {packet.diagnosis.missing?.length ? (
            <div className="muted">Would also need: {packet.diagnosis.missing.join('; ')}</div>
          ) : null}
        </div>
      )}
      {v.benign?.map((b) => (
        <div key={b.hop} className="benign muted" data-testid="benign-free">
          Benign: {b.function}
          {b.reason ? ` (${b.reason})` : ''} at hop {b.hop + 1} — {b.why}
        </div>
      ))}
    </div>
  );
}

function DropLine({ drop }: { drop: DropPoint }) {
  const nf = drop.netfilter;
  return (
    <div className="drop-line mono">
      dropped in {drop.function}
      {drop.location ? ` (${drop.location})` : ''} · {drop.subsystem}
      {drop.reason ? ` · ${drop.reason}` : drop.reason_note ? ` · ${drop.reason_note}` : ''}
      {nf && (
        <div>
          {nf.engine ?? 'netfilter'} hook {nf.hook}
          {nf.table ? ` · table ${nf.family ? `${nf.family} ` : ''}${nf.table}` : ''}
          {nf.chain ? ` · chain ${nf.chain}` : ''}
          {nf.handle !== undefined ? ` · handle ${nf.handle}` : ''}
          {nf.rule ? ` · rule ${nf.rule}` : ''}
        </div>
      )}
    </div>
  );
}

/** The kernel stack at the drop, from the dropping function up: folded, it is detail once the line above is read. */
function DropStack({ frames }: { frames: readonly string[] }) {
  return (
    <details className="drop-stack" data-testid="drop-stack">
      <summary>Kernel stack at the drop ({frames.length} frames, innermost first)</summary>
      <ol className="mono" tabIndex={0} aria-label="kernel stack frames">
        {frames.map((f, i) => (
          <li key={i}>{f}</li>
        ))}
      </ol>
    </details>
  );
}

function LegacyDropBanner({ packet }: { packet: PacketPath }) {
  if (!packet.drop_reason) return null;
  return (
    <div className="verdict-banner bad" data-testid="drop-banner" data-verdict="dropped">
      ✖ Dropped at {packet.hops.find((h) => h.drop_reason)?.function ?? packet.hops.at(-1)?.function}:{' '}
      {packet.drop_reason}
    </div>
  );
}
