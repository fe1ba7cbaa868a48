import { useEffect, useState } from 'react';
import type { Divergence } from '../../../main/api/compare';
import type { FleetGroup } from '../../../main/api/flows';
import { useApp } from '../app/context';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const nameOf = (i: number) => `path ${LETTERS[i] ?? i + 1}`;

function pathLine(g: FleetGroup): string {
  const f = g.functions;
  const end = g.drop_reason ? `dropped ${g.drop_reason}` : (g.verdict ?? '');
  const hops = f.length <= 3 ? f.join(' → ') : `${f[0]} → … → ${f.at(-1)}`;
  return `${f.length} hops: ${hops}${end ? ` (${end})` : ''}`;
}

/**
 * The hosts grouped by the path their packets took (the core's fleet groups: each run's dominant path variant):
 * "2 hosts took path A, 1 took path B", and for each other path its first divergence from path A (`compare.paths`
 * between the groups' first packets); "Compare" opens the two in the Compare view.
 */
export function FleetSummary(props: { sessionId: string; fleet: readonly FleetGroup[] }) {
  const app = useApp();
  const { client } = app;
  const { fleet, sessionId } = props;
  const [divergence, setDivergence] = useState<(Divergence | null | string | undefined)[]>([]);
  useEffect(() => {
    const a = fleet[0]?.runs[0];
    if (!a) return;
    let stale = false;
    setDivergence([]);
    fleet.slice(1).forEach((g, i) => {
      const b = g.runs[0];
      if (!b) return;
      const ref = (r: typeof a) => ({ session: sessionId, run: r.run, packet: r.packet });
      client.call('compare.paths', { a: ref(a), b: ref(b) }).then(
        (c) => !stale && setDivergence((d) => Object.assign([...d], { [i + 1]: c.first_divergence })),
        (e: unknown) =>
          !stale && setDivergence((d) => Object.assign([...d], { [i + 1]: (e as Error).message })),
      );
    });
    return () => {
      stale = true;
    };
  }, [client, fleet, sessionId]);
  if (!fleet.length) return null;
  const sentence = fleet
    .map(
      (g, i) =>
        `${g.runs.length}${i === 0 ? (g.runs.length === 1 ? ' host' : ' hosts') : ''} took ${nameOf(i)}`,
    )
    .join(', ');
  const a = fleet[0]?.runs[0];
  return (
    <section className="section fleet" aria-label="hosts by path" data-testid="fleet">
      <h3>Hosts by path</h3>
      <div className="fleet-sentence" data-testid="fleet-sentence">
        {sentence}
      </div>
      <ul className="fleet-groups">
        {fleet.map((g, i) => {
          const d = divergence[i];
          const b = g.runs[0];
          return (
            <li key={i}>
              <b>{nameOf(i)}</b> <span className="mono">{pathLine(g)}</span>
              <div className="muted">{g.runs.map((r) => `${r.host} (${r.count} packets)`).join(', ')}</div>
              {i > 0 && (
                <div className="row wrap">
                  <span data-testid="fleet-divergence">
                    {typeof d === 'string'
                      ? `cannot compare: ${d}`
                      : d === undefined
                        ? 'comparing with path A…'
                        : d === null
                          ? 'no divergence from path A'
                          : `first divergence from path A at hop ${d.a_index + 1}: ${d.a_function ?? '(ended)'} vs ${d.b_function ?? '(ended)'}`}
                  </span>
                  {a && b && (
                    <button
                      onClick={() =>
                        app.compareWith({
                          session: sessionId,
                          run: a.run,
                          packet: a.packet,
                          b: { session: sessionId, run: b.run, packet: b.packet },
                        })
                      }
                    >
                      Compare with path A
                    </button>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
