import { useCallback, useEffect, useState } from 'react';
import type { PathComparison, PathVariant, RunComparison } from '../../../main/api/compare';
import type { PacketSummary } from '../../../main/api/packets';
import type { Session, SessionSummary } from '../../../main/api/sessions';
import type { ApiClient } from '../api/client';
import { useApp } from '../app/context';
import { AlignedDiff } from '../components/AlignedDiff';
import { ContextDiff } from '../components/ContextDiff';
import { StateMessage } from '../components/StateMessage';
import { formatCount, formatDate, formatTuple } from '../model/format';

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
  const preset = app.comparePreset;
  // "Compare with…" in the Path view: that packet becomes A.
  useEffect(() => {
    if (!preset) return;
    setMode('paths');
    setA({ session: preset.session, run: preset.run, packet: String(preset.packet) });
    if (preset.b) setB({ session: preset.b.session, run: preset.b.run, packet: String(preset.b.packet) });
    setResult(undefined);
  }, [preset]);

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
            beside={<ContextDiff diff={result.cmp.context_diff} labelA={label(a)} labelB={label(b)} />}
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
            {sessionLabel(s, props.sessions)}
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
        <PacketPicker
          name={props.name}
          packets={packets}
          value={side.packet}
          onPick={(packet) => setSide({ ...side, packet })}
        />
      )}
    </span>
  );
}

/** A session's name in a picker: its title, and when another session has the same title, when and which it is. */
function sessionLabel(s: SessionSummary, all: readonly SessionSummary[]): string {
  const twins = all.filter((x) => x.title === s.title).length > 1;
  return twins ? `${s.title} · ${formatDate(s.updatedAt)} · ${s.id}` : s.title;
}

const packetLabel = (p: PacketSummary) =>
  `#${p.id} · ${p.tuple ? formatTuple(p.tuple) : 'no 5-tuple'} · ${p.hops} hops${p.drop_reason ? ` · ✖ ${p.drop_reason}` : ''}`;

/** The packets of a run to pick from, narrowed by what is typed (number, 5-tuple, hops, drop reason). */
function PacketPicker(props: {
  name: string;
  packets: readonly PacketSummary[];
  value: string;
  onPick: (packet: string) => void;
}) {
  const [q, setQ] = useState('');
  // Typed text as it reads in the list ("10.243.1.2 → 10.242", "NETFILTER", "#12"), spaces collapsed.
  const want = q.trim().toLowerCase().replace(/\s+/g, ' ');
  const shown = props.packets.filter(
    (p) => packetLabel(p).toLowerCase().includes(want) || String(p.id) === props.value,
  );
  return (
    <>
      <input
        type="search"
        aria-label={`search packets ${props.name}`}
        placeholder="find packet…"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        style={{ width: 110 }}
      />
      <select
        aria-label={`packet ${props.name}`}
        value={props.value}
        onChange={(e) => props.onPick(e.target.value)}
        style={{ maxWidth: 300 }}
      >
        <option value="">most frequent path</option>
        {shown.map((p) => (
          <option key={p.id} value={p.id}>
            {packetLabel(p)}
          </option>
        ))}
      </select>
    </>
  );
}

function RunsResult(props: { cmp: RunComparison; labelA: string; labelB: string; keys: boolean }) {
  const { cmp } = props;
  const sharedA = new Set(cmp.shared.map((s) => s.a));
  const sharedB = new Set(cmp.shared.map((s) => s.b));
  return (
    <div className="col grow" style={{ gap: 0, minHeight: 0 }}>
      <div className="row run-variants" data-testid="run-variants">
        {[
          { name: `A: ${props.labelA}`, vs: cmp.a_variants, shared: sharedA },
          { name: `B: ${props.labelB}`, vs: cmp.b_variants, shared: sharedB },
        ].map((side) => (
          <div key={side.name} className="section grow" tabIndex={0} aria-label={`${side.name} variants`}>
            <h3>
              {side.name} — {side.vs.length} variants
            </h3>
            {side.vs.map((v, i) => (
              <VariantLine key={i} v={v} shared={side.shared.has(i)} />
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
          beside={<ContextDiff diff={cmp.context_diff} labelA={props.labelA} labelB={props.labelB} />}
        />
      ) : (
        <StateMessage title="A run has no packets">Nothing to align.</StateMessage>
      )}
    </div>
  );
}

/** A whole variant: every function (never cut after a few), its outcome, and whether the other run has it. */
function VariantLine({ v, shared }: { v: PathVariant; shared: boolean }) {
  const outcome = v.verdict ?? (v.drop_reason ? 'dropped' : undefined);
  return (
    <div className="variant-line mono" data-shared={shared} data-outcome={v.drop_reason ?? v.verdict ?? ''}>
      <div>
        <b>{formatCount(v.count)}×</b> {v.functions.length} hops ·{' '}
        <span className={shared ? 'muted' : 'warn'}>{shared ? 'in both' : 'only here'}</span>
        {outcome ? (
          <span className={outcome === 'dropped' ? 'bad' : 'ok'}>
            {' '}
            · {outcome}
            {v.drop_reason ? ` ${v.drop_reason}` : ''}
          </span>
        ) : null}
        {v.partial ? <span className="muted"> · partial</span> : null}
      </div>
      <div className="variant-functions">{v.functions.join(' → ')}</div>
    </div>
  );
}
