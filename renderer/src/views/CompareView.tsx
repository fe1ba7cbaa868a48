import { useCallback, useEffect, useState } from 'react';
import type { PathComparison, RunComparison } from '../../../main/api/compare';
import type { PacketSummary } from '../../../main/api/packets';
import type { Session, SessionSummary } from '../../../main/api/sessions';
import type { ApiClient } from '../api/client';
import { useApp } from '../app/context';
import { AlignedDiff } from '../components/AlignedDiff';
import { StateMessage } from '../components/StateMessage';
import { formatCount } from '../model/format';

interface Side {
  session: string;
  run: string;
  /** '' = the run's most frequent path (runs mode compares variants). */
  packet: string;
}

/** Compare two packets (aligned paths) or two runs (their path variants), from any sessions and hosts. */
export function CompareView(props: { active: boolean }) {
  const app = useApp();
  const { client } = app;
  const [sessions, setSessions] = useState<SessionSummary[]>([]);
  const [loaded, setLoaded] = useState<Record<string, Session>>({});
  const [a, setA] = useState<Side>({ session: '', run: '', packet: '' });
  const [b, setB] = useState<Side>({ session: '', run: '', packet: '' });
  const [mode, setMode] = useState<'paths' | 'runs'>('paths');
  const [result, setResult] = useState<
    { kind: 'paths'; cmp: PathComparison } | { kind: 'runs'; cmp: RunComparison } | undefined
  >();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (!props.active) return;
    client
      .call('sessions.list', {})
      .then((r) => setSessions(r.sessions.filter((s) => !s.problem)), app.reportError); // unreadable ones cannot be compared
  }, [props.active, client, app.reportError]);

  const load = useCallback(
    async (id: string) => {
      if (!id || loaded[id]) return;
      const s = await client.call('sessions.get', { id });
      setLoaded((l) => ({ ...l, [id]: s }));
    },
    [client, loaded],
  );
  useEffect(() => {
    void load(a.session).catch(app.reportError);
    void load(b.session).catch(app.reportError);
  }, [a.session, b.session, load, app.reportError]);

  const ref = (s: Side) => ({
    session: s.session,
    ...(s.run ? { run: s.run } : {}),
    ...(mode === 'paths' && s.packet !== '' ? { packet: Number(s.packet) } : {}),
  });
  const ready = a.session && b.session;
  const compare = async () => {
    if (!ready) return;
    setBusy(true);
    setError(undefined);
    try {
      if (mode === 'paths')
        setResult({ kind: 'paths', cmp: await client.call('compare.paths', { a: ref(a), b: ref(b) }) });
      else setResult({ kind: 'runs', cmp: await client.call('compare.runs', { a: ref(a), b: ref(b) }) });
    } catch (e) {
      setError((e as Error).message);
      setResult(undefined);
    } finally {
      setBusy(false);
    }
  };
  const label = (s: Side) => {
    const sess = loaded[s.session];
    const run = sess?.runs.find((r) => r.id === s.run) ?? sess?.runs[0];
    return `${sess?.title ?? s.session}${run ? ` · ${run.host}` : ''}${mode === 'paths' && s.packet !== '' ? ` · #${s.packet}` : ''}`;
  };

  return (
    <div className="col grow" style={{ gap: 0, minHeight: 0 }}>
      <div className="pane-head" style={{ flexWrap: 'wrap' }}>
        <h2>Compare</h2>
        <select
          value={mode}
          onChange={(e) => setMode(e.target.value as 'paths' | 'runs')}
          aria-label="compare mode"
        >
          <option value="paths">two packets</option>
          <option value="runs">two runs (variants)</option>
        </select>
        <SidePicker
          client={client}
          name="A"
          side={a}
          setSide={setA}
          sessions={sessions}
          session={loaded[a.session]}
          withPacket={mode === 'paths'}
        />
        <SidePicker
          client={client}
          name="B"
          side={b}
          setSide={setB}
          sessions={sessions}
          session={loaded[b.session]}
          withPacket={mode === 'paths'}
        />
        <button className="primary" onClick={() => void compare()} disabled={!ready || busy}>
          Compare
        </button>
      </div>
      <div className="row grow" style={{ minHeight: 0, alignItems: 'stretch' }}>
        {error ? (
          <StateMessage kind="error" title="Cannot compare">
            {error}
          </StateMessage>
        ) : !sessions.length ? (
          <StateMessage
            title="Nothing to compare yet"
            actions={<button onClick={() => app.setView('trace')}>New trace (Alt+2)</button>}
          >
            Save two traces as sessions (same host or two hosts), then pick them here.
          </StateMessage>
        ) : !result ? (
          <StateMessage title={busy ? 'Comparing' : 'Pick A and B'} kind={busy ? 'loading' : 'empty'}>
            Choose a session (and optionally a run and packet) for each side, then Compare. Without a packet,
            the run&apos;s most frequent path is used.
          </StateMessage>
        ) : result.kind === 'paths' ? (
          <AlignedDiff
            cmp={result.cmp}
            labelA={`A: ${label(a)}`}
            labelB={`B: ${label(b)}`}
            keys={props.active}
          />
        ) : (
          <RunsResult cmp={result.cmp} labelA={label(a)} labelB={label(b)} keys={props.active} />
        )}
      </div>
    </div>
  );
}

/** The packet picker's choices: the first packets of the run (summaries only). */
const PICKABLE = 2000;

function useRunPackets(client: ApiClient, session: string | undefined, run: string | undefined) {
  const [rows, setRows] = useState<{ key: string; packets: PacketSummary[] } | undefined>();
  const key = session && run ? `${session}:${run}` : '';
  useEffect(() => {
    if (!session || !run) return;
    let stale = false;
    client.call('sessions.packets', { id: session, run, limit: PICKABLE }).then(
      (page) => !stale && setRows({ key: `${session}:${run}`, packets: page.packets }),
      () => undefined, // the picker stays empty; Compare reports the real problem
    );
    return () => {
      stale = true;
    };
  }, [client, session, run]);
  return rows?.key === key ? rows.packets : [];
}

function SidePicker(props: {
  client: ApiClient;
  name: string;
  side: Side;
  setSide: (s: Side) => void;
  sessions: SessionSummary[];
  session: Session | undefined;
  withPacket: boolean;
}) {
  const { side, setSide, session } = props;
  const run = session?.runs.find((r) => r.id === side.run) ?? session?.runs[0];
  const packets = useRunPackets(props.client, props.withPacket ? session?.id : undefined, run?.id);
  return (
    <span className="row" data-testid={`side-${props.name}`}>
      <b>{props.name}</b>
      <select
        aria-label={`session ${props.name}`}
        value={side.session}
        onChange={(e) => setSide({ session: e.target.value, run: '', packet: '' })}
      >
        <option value="">session…</option>
        {props.sessions.map((s) => (
          <option key={s.id} value={s.id}>
            {s.title}
          </option>
        ))}
      </select>
      {session && session.runs.length > 1 && (
        <select
          aria-label={`run ${props.name}`}
          value={side.run}
          onChange={(e) => setSide({ ...side, run: e.target.value, packet: '' })}
        >
          {session.runs.map((r, i) => (
            <option key={r.id} value={r.id}>
              run {i + 1} · {r.host}
            </option>
          ))}
        </select>
      )}
      {props.withPacket && run && (
        <select
          aria-label={`packet ${props.name}`}
          value={side.packet}
          onChange={(e) => setSide({ ...side, packet: e.target.value })}
          style={{ maxWidth: 220 }}
        >
          <option value="">most frequent path</option>
          {packets.map((p) => (
            <option key={p.id} value={p.id}>
              #{p.id} · {p.hops} hops{p.drop_reason ? ` · ✖ ${p.drop_reason}` : ''}
            </option>
          ))}
        </select>
      )}
    </span>
  );
}

function RunsResult(props: { cmp: RunComparison; labelA: string; labelB: string; keys: boolean }) {
  const { cmp } = props;
  const shared = new Map(cmp.shared.map((s) => [s.a, s.b]));
  const sharedB = new Set(cmp.shared.map((s) => s.b));
  return (
    <div className="col grow" style={{ gap: 0, minHeight: 0 }}>
      <div
        className="row"
        style={{
          alignItems: 'stretch',
          maxHeight: '40%',
          overflow: 'auto',
          borderBottom: '1px solid var(--line)',
        }}
        data-testid="run-variants"
      >
        {[
          { name: `A: ${props.labelA}`, vs: cmp.a_variants, isShared: (i: number) => shared.has(i) },
          { name: `B: ${props.labelB}`, vs: cmp.b_variants, isShared: (i: number) => sharedB.has(i) },
        ].map((side) => (
          <div key={side.name} className="section grow">
            <h3>
              {side.name} — {side.vs.length} variants
            </h3>
            {side.vs.map((v, i) => (
              <div
                key={i}
                className={`mono ${side.isShared(i) ? '' : 'warn'}`}
                style={{ fontSize: 11 }}
                title={v.functions.join(' → ')}
              >
                {formatCount(v.count)}× {v.functions.length} hops{' '}
                {side.isShared(i) ? '(in both)' : '(only here)'}: {v.functions.slice(0, 4).join(' → ')}
                {v.functions.length > 4 ? ' → …' : ''}
              </div>
            ))}
          </div>
        ))}
      </div>
      {cmp.dominant ? (
        <AlignedDiff
          cmp={cmp.dominant}
          labelA="A: most frequent path"
          labelB="B: most frequent path"
          keys={props.keys}
        />
      ) : (
        <StateMessage title="A run has no packets">Nothing to align.</StateMessage>
      )}
    </div>
  );
}
