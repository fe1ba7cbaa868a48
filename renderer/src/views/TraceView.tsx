import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EventOf } from '../../../main/api/contract';
import type { ProfileInfo, ProbeSetValidation } from '../../../main/api/probeset';
import type { AttachMode, TraceSpecInput } from '../../../main/api/trace';
import { useApp } from '../app/context';
import { useTextPrompt } from '../components/TextPrompt';
import { ProbeEditor } from '../editor/ProbeEditor';
import { formatCount } from '../model/format';
import { LiveRun } from '../model/live-run';
import { localSource } from '../model/packet-source';
import { checkPcapFilter } from '../model/pcap-filter-check';
import { FilterBox } from './FilterBox';
import { PathExplorer } from './PathExplorer';

type Progress = EventOf<'trace.progress'>;

/**
 * Set up and run a trace: host, pcap filter (checked as you type), probe set (a profile or the Monaco editor),
 * attach mode, limits; then live progress and the packets as they arrive.
 */
export function TraceView(props: { theme: 'dark' | 'light'; active: boolean }) {
  const app = useApp();
  const { client, reportError } = app;
  const [filter, setFilter] = useState('icmp');
  const [profiles, setProfiles] = useState<ProfileInfo[]>([]);
  const [probeSel, setProbeSel] = useState<string>('default');
  const [probeText, setProbeText] = useState('');
  const [validation, setValidation] = useState<ProbeSetValidation | undefined>();
  const [mode, setMode] = useState<AttachMode>('auto');
  const [maxPackets, setMaxPackets] = useState('100');
  const [duration, setDuration] = useState('30');
  const [runId, setRunId] = useState<string | undefined>();
  const [progress, setProgress] = useState<Progress | undefined>();
  const [ended, setEnded] = useState<EventOf<'trace.end'> | undefined>();
  const [starting, setStarting] = useState(false);
  const [, setTick] = useState(0);
  const live = useRef(new LiveRun());
  const runRef = useRef<string | undefined>(undefined);
  const filterInput = useRef<HTMLInputElement>(null);
  const host = app.selectedHost;
  const facts = app.probes.get(host);
  const filterProblem = checkPcapFilter(filter);
  const [promptEl, ask] = useTextPrompt();

  useEffect(() => {
    client.call('probeSet.profiles', {}).then((r) => setProfiles(r.profiles), reportError);
  }, [client, reportError]);

  // Events of our run only; packet batches re-render at most once per frame.
  useEffect(() => {
    let frame = 0;
    const offs = [
      client.on('trace.progress', (p) => p.runId === runRef.current && setProgress(p)),
      client.on('trace.packets', (p) => {
        if (p.runId !== runRef.current) return;
        live.current.apply(p.packets);
        frame ||= requestAnimationFrame(() => {
          frame = 0;
          setTick((t) => t + 1);
        });
      }),
      client.on('trace.end', (e) => {
        if (e.runId !== runRef.current) return;
        setEnded(e);
        if (e.error) reportError(Object.assign(new Error(e.error.message), e.error));
        if (e.run) live.current.apply(e.run.packets);
        setTick((t) => t + 1);
      }),
    ];
    return () => {
      cancelAnimationFrame(frame);
      offs.forEach((off) => off());
    };
  }, [client, reportError]);

  const profile = profiles.find((p) => p.name === probeSel);
  const running = !!runId && !ended;

  const start = useCallback(async () => {
    if (filterProblem || running || starting) return;
    const limits: TraceSpecInput['limits'] = {};
    if (Number(maxPackets) > 0) limits.packets = Number(maxPackets);
    if (Number(duration) > 0) limits.durationS = Number(duration);
    const spec: TraceSpecInput = {
      host,
      filter,
      mode,
      limits,
      probes:
        probeSel === 'custom'
          ? { kind: 'text', text: probeText }
          : { kind: 'profile', name: probeSel as 'default' },
    };
    setStarting(true);
    live.current = new LiveRun();
    setEnded(undefined);
    setProgress(undefined);
    try {
      const r = await client.call('trace.start', spec);
      runRef.current = r.runId;
      setRunId(r.runId);
    } catch (e) {
      app.reportError(e);
    } finally {
      setStarting(false);
    }
  }, [
    filterProblem,
    running,
    starting,
    maxPackets,
    duration,
    host,
    filter,
    mode,
    probeSel,
    probeText,
    client,
    app,
  ]);

  const stop = useCallback(async () => {
    if (!runId || ended) return;
    try {
      await client.call('trace.stop', { runId });
    } catch (e) {
      app.reportError(e);
    }
  }, [runId, ended, client, app]);

  const saveSession = async () => {
    if (!runId) return;
    const title = await ask('Session title', `${filter || 'all packets'} on ${host}`);
    if (!title) return;
    try {
      const s = await client.call('sessions.save', { title, runIds: [runId] });
      app.notify(`Saved session “${s.title}” (${s.packets} packets)`);
    } catch (e) {
      app.reportError(e);
    }
  };

  const liveKey = runId ?? 'live';
  const liveVersion = live.current.version;
  const liveRun = live.current;
  const source = useMemo(
    () => localSource(liveKey, liveRun.packets, liveVersion),
    [liveKey, liveRun, liveVersion],
  );

  const openInPathView = () => {
    app.openDoc(
      {
        title: `${filter || 'all packets'} on ${host}`,
        runs: [{ id: liveKey, host, filter, lost: progress?.lost ?? 0, source }],
      },
      'path',
    );
  };

  // Ctrl+Enter starts, Escape (outside inputs) stops; only while this view is showing.
  useEffect(() => {
    if (!props.active) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void (running ? stop() : start());
      } else if (e.key === 'Escape' && running) void stop();
      else if (e.key === 'f' && e.altKey) filterInput.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [props.active, running, start, stop]);

  const onValidation = useCallback((v: ProbeSetValidation | undefined) => setValidation(v), []);
  const editorText = probeSel === 'custom' ? probeText : (profile?.text ?? '');
  const hostOptions = useMemo(() => app.hosts.map((h) => h.name), [app.hosts]);

  return (
    <div className="view grow">
      {promptEl}
      <div className="pane" style={{ width: 440, flex: 'none' }}>
        <div className="pane-head">
          <h2>Trace</h2>
          <span className="spacer" />
          {running ? (
            <button className="danger" onClick={() => void stop()} title="Stop (Esc)">
              ■ Stop
            </button>
          ) : (
            <button
              className="primary"
              onClick={() => void start()}
              disabled={!!filterProblem || starting || !host}
              title="Start (Ctrl+Enter)"
            >
              ▶ Start
            </button>
          )}
        </div>
        <div className="pane-body">
          <div className="section col">
            <label className="row">
              <span style={{ width: 60 }} className="muted">
                host
              </span>
              <select
                className="grow"
                value={host}
                onChange={(e) => app.setSelectedHost(e.target.value)}
                aria-label="host"
              >
                {hostOptions.map((n) => (
                  <option key={n}>{n}</option>
                ))}
              </select>
              <button onClick={() => void app.probe(host, true)} title="Run the loader's probe on this host">
                Probe
              </button>
            </label>
            <div className="dim" style={{ fontSize: 11, marginLeft: 68 }}>
              {facts
                ? `${facts.kernel.release} · auto → ${facts.auto} · ${facts.functions.length} traceable skb functions`
                : 'not probed yet: completion and markers need a probe'}
            </div>
            <FilterBox filter={filter} onChange={setFilter} host={host} inputRef={filterInput} />
            <label className="row">
              <span style={{ width: 60 }} className="muted">
                probes
              </span>
              <select
                className="grow"
                aria-label="probe profile"
                value={probeSel}
                onChange={(e) => {
                  if (e.target.value === 'custom' && probeSel !== 'custom')
                    setProbeText(profile?.text.trim() ? profile.text : probeText);
                  setProbeSel(e.target.value);
                }}
              >
                {profiles.map((p) => (
                  <option key={p.name} value={p.name}>
                    {p.name} — {p.description}
                  </option>
                ))}
                <option value="custom">custom probe set…</option>
              </select>
            </label>
            <label className="row">
              <span style={{ width: 60 }} className="muted">
                attach
              </span>
              <select
                value={mode}
                onChange={(e) => setMode(e.target.value as AttachMode)}
                aria-label="attach mode"
              >
                {['auto', 'kprobe-multi', 'fentry', 'kprobe', 'tracepoint'].map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
              <span className="muted">limits</span>
              <input
                aria-label="packet limit"
                value={maxPackets}
                onChange={(e) => setMaxPackets(e.target.value)}
                style={{ width: 60 }}
              />
              <span className="dim">pkts</span>
              <input
                aria-label="duration limit"
                value={duration}
                onChange={(e) => setDuration(e.target.value)}
                style={{ width: 50 }}
              />
              <span className="dim">s</span>
            </label>
          </div>
          <div className="section">
            <h3>Probe set {probeSel === 'custom' ? '(edit freely)' : `(${probeSel}; edit to customise)`}</h3>
            {profile?.dynamic ? (
              <div className="muted">
                {profile.description}: every skb function the host reports ({facts?.functions.length ?? '?'}).
              </div>
            ) : (
              <ProbeEditor
                client={client}
                value={editorText}
                onChange={(t) => {
                  if (t === editorText) return;
                  setProbeSel('custom');
                  setProbeText(t);
                }}
                host={host}
                facts={facts}
                theme={props.theme}
                onValidation={onValidation}
              />
            )}
            <div className="field-hint" data-testid="probe-validation">
              {validation
                ? `${validation.entries.length} functions` +
                  (validation.errors.length ? ` · ${validation.errors.length} error(s)` : '') +
                  (validation.unknownOnHost?.length
                    ? ` · ${validation.unknownOnHost.length} not traceable on ${host}`
                    : '')
                : ''}
              {' · '}Ctrl+Space completes, hover shows the skb argument
            </div>
          </div>
          <div className="section">
            <h3>Progress</h3>
            <RunProgress
              progress={progress}
              ended={ended}
              starting={starting}
              packets={ended?.recorded?.packets ?? live.current.total}
              events={live.current.events}
            />
            {ended && (
              <div className="row" style={{ marginTop: 8 }}>
                <button className="primary" onClick={() => void saveSession()} title="Save as a session">
                  Save session…
                </button>
                <button onClick={openInPathView}>Open in Path view</button>
              </div>
            )}
          </div>
        </div>
      </div>
      <div className="pane grow">
        <PathExplorer
          key={liveKey}
          source={source}
          live={running}
          emptyHint={
            running
              ? `Tracing “${filter}” on ${host}: generate matching traffic.`
              : 'Pick a host, type a filter and press Start (Ctrl+Enter).'
          }
        />
      </div>
    </div>
  );
}

function RunProgress(props: {
  progress: Progress | undefined;
  ended: EventOf<'trace.end'> | undefined;
  starting: boolean;
  packets: number;
  events: number;
}) {
  const p = props.progress;
  const phase = props.ended
    ? props.ended.error
      ? 'failed'
      : 'done'
    : (p?.phase ?? (props.starting ? 'starting' : 'idle'));
  return (
    <div className="col" data-testid="progress">
      <div className="progress">
        <span
          className={`phase ${phase === 'failed' ? 'bad' : phase === 'done' ? 'ok' : phase === 'tracing' ? 'warn' : ''}`}
          data-testid="phase"
        >
          {phase}
        </span>
        {p?.total !== undefined && (
          <span className="counter">
            attached <b>{p.attached ?? 0}</b>/{p.total}
          </span>
        )}
        <span className="counter">
          packets <b data-testid="live-packets">{formatCount(props.packets)}</b>
        </span>
        <span className="counter">
          events <b>{formatCount(props.events)}</b>
        </span>
        <span className="counter">
          lost <b className={p?.lost ? 'bad' : ''}>{formatCount(props.ended?.run?.lost ?? p?.lost ?? 0)}</b>
        </span>
      </div>
      {p?.message && <div className="muted">{p.message}</div>}
      {props.ended?.error && <div className="bad">{props.ended.error.message}</div>}
      {p?.failures?.length ? (
        <details>
          <summary className="warn">{p.failures.length} function(s) could not be attached</summary>
          {p.failures.map((f) => (
            <div key={f.function} className="mono dim" style={{ fontSize: 11 }}>
              {f.function}: {f.reason}
            </div>
          ))}
        </details>
      ) : null}
    </div>
  );
}
