import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { HostContext } from '../../../main/api/explain';
import type { ProfileInfo, ProbeSetValidation } from '../../../main/api/probeset';
import {
  AttachModeSchema,
  DEFAULT_SNAPLEN,
  type AttachMode,
  type TraceSpecInput,
} from '../../../main/api/trace';
import type { TransportStatus } from '../api/transport';
import { useApp } from '../app/context';
import { useTextPrompt } from '../components/TextPrompt';
import { ProbeEditor } from '../editor/ProbeEditor';
import { LiveRun } from '../model/live-run';
import { localSource } from '../model/packet-source';
import { wallClockOf, type WallClock } from '../model/wall-clock';
import { FilterBox } from './FilterBox';
import { GroupPackets, GroupRunStatus } from './GroupRunPanel';
import { HostPicker } from './HostPicker';
import { sessionDocument } from './session-doc';
import { useTraceGroup } from './use-trace-group';
import './flows.css';
import { PathExplorer } from './PathExplorer';
import { RunStatus, type FlagCounts } from './RunStatus';
import { parseLimits } from './trace-limits';
import { NO_SCOPE, parseScope, type ScopeText } from '../model/trace-scope-form';
import { TraceScope } from './TraceScope';
import { useTraceRun, type TraceEnd } from './use-trace-run';

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
  /** Copy each packet's first bytes (for the pcapng export); a trace on several hosts always does. */
  const [captureBytes, setCaptureBytes] = useState(false);
  const [scopeText, setScopeText] = useState<ScopeText>(NO_SCOPE);
  const [filterBlocked, setFilterBlocked] = useState<string | undefined>();
  const [connection, setConnection] = useState<TransportStatus>({ state: 'connecting' });
  const [, setTick] = useState(0);
  const live = useRef(new LiveRun());
  const wall = useRef<WallClock | undefined>(undefined);
  const hostContext = useRef<HostContext | undefined>(undefined);
  const runRef = useRef<string | undefined>(undefined);
  /** The run this view asked for and the packets that arrived before the core's answer. */
  const pending = useRef<{ id: string; live: LiveRun } | undefined>(undefined);
  const filterInput = useRef<HTMLInputElement>(null);
  const host = app.selectedHost;
  const facts = app.probes.get(host);
  const [promptEl, ask] = useTextPrompt();
  // Several hosts: the same trace on `host` and these together (trace.startGroup); which kind ran last is shown.
  const [moreHosts, setMoreHosts] = useState<string[]>([]);
  const group = useTraceGroup(client);
  const [lastKind, setLastKind] = useState<'one' | 'group'>('one');
  const groupHosts = [host, ...moreHosts.filter((h) => h !== host)];

  useEffect(() => {
    client.call('probeSet.profiles', {}).then((r) => setProfiles(r.profiles), reportError);
  }, [client, reportError]);
  useEffect(() => client.transport.onStatus(setConnection), [client]);

  const run = useTraceRun(client, {
    onStarting: (id) => (pending.current = { id, live: new LiveRun() }),
    onStart: (id) => {
      runRef.current = id;
      live.current = pending.current?.id === id ? pending.current.live : new LiveRun();
      pending.current = undefined;
      wall.current = undefined;
      hostContext.current = undefined;
      setTick((t) => t + 1);
    },
    onEnd: (e: TraceEnd) => {
      if (e.error) reportError(Object.assign(new Error(e.error.message), e.error));
      if (e.run) live.current.apply(e.run.packets);
      // the loader's clock reading comes with the ended run: wall-clock times from then on
      if (e.run) wall.current = wallClockOf({ ...e.run, firstTsNs: live.current.t0 ?? 0 });
      hostContext.current = e.run?.context;
      setTick((t) => t + 1);
    },
  });
  const { state: runState, start: startRun, stop: stopRun } = run;
  const runId = runState.kind === 'running' || runState.kind === 'ended' ? runState.runId : undefined;
  const running = runState.kind === 'running' || group.state.kind === 'running';
  const starting = runState.kind === 'starting' || group.state.kind === 'starting';
  const ended = runState.kind === 'ended' ? runState.end : undefined;
  const progress = runState.kind === 'running' || runState.kind === 'ended' ? runState.progress : undefined;

  // Packets of our run only; batches re-render at most once per frame.
  useEffect(() => {
    let frame = 0;
    const offs = [
      client.on('trace.packets', (p) => {
        if (p.runId === pending.current?.id) pending.current.live.apply(p.packets); // beat trace.start's answer
        if (p.runId !== runRef.current) return;
        live.current.apply(p.packets);
        frame ||= requestAnimationFrame(() => {
          frame = 0;
          setTick((t) => t + 1);
        });
      }),
    ];
    return () => {
      cancelAnimationFrame(frame);
      offs.forEach((off) => off());
    };
  }, [client, reportError]);

  const profile = profiles.find((p) => p.name === probeSel);
  const parsedLimits = parseLimits(maxPackets, duration);
  const limitErrors = 'errors' in parsedLimits ? parsedLimits.errors : {};
  const scope = parseScope(scopeText);
  const probeErrors = probeSel === 'custom' ? (validation?.errors.length ?? 0) : 0;
  // Why Start is off: the first thing the user has to fix, shown next to the button.
  const blocked = [
    !host && 'pick a host',
    connection.state === 'closed' && 'no connection to pktpath',
    filterBlocked,
    probeErrors > 0 && `the probe set has ${probeErrors} error(s)`,
    (limitErrors.packets || limitErrors.durationS) && 'a limit is not a number',
    'errors' in scope && 'a scope field is not valid',
  ].find((why): why is string => typeof why === 'string' && why !== '');

  const start = useCallback(async () => {
    if (blocked || !('limits' in parsedLimits) || 'errors' in scope) return;
    const spec: TraceSpecInput = {
      host,
      filter,
      mode,
      limits: parsedLimits.limits,
      meta: scope.meta,
      tc: scope.tc,
      ...(captureBytes ? { capture: { snaplen: DEFAULT_SNAPLEN } } : {}),
      probes:
        probeSel === 'custom'
          ? { kind: 'text', text: probeText }
          : { kind: 'profile', name: probeSel as 'default' },
    };
    if (groupHosts.length < 2) {
      setLastKind('one');
      return startRun(spec);
    }
    const { host: _one, ...shared } = spec;
    // captured header bytes are what joins one packet's sightings on different hosts (as the CLI does)
    setLastKind('group');
    await group.start({ ...shared, hosts: groupHosts, capture: { snaplen: DEFAULT_SNAPLEN } });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- groupHosts is derived from host and moreHosts
  }, [
    blocked,
    parsedLimits,
    scope,
    captureBytes,
    host,
    moreHosts,
    filter,
    mode,
    probeSel,
    probeText,
    startRun,
    group.start,
  ]);

  const stop = useCallback(async () => {
    const failed = await (group.state.kind === 'running' ? group.stop() : stopRun());
    if (failed) app.notify(`Stop failed: ${failed}`, 'error');
  }, [stopRun, app, group]);

  /** Saves every host's recorded run in one session and opens its flows. */
  const saveGroup = async () => {
    if (group.state.kind !== 'ended') return;
    const runIds = group.state.group.saveableRunIds;
    const title = await ask('Session title', `${filter || 'all packets'} on ${groupHosts.join(', ')}`);
    if (!title || !runIds.length) return;
    try {
      const s = await client.call('sessions.save', { title, runIds });
      app.notify(`Saved session “${s.title}” (${s.runs} runs, ${s.packets} packets)`);
      app.openDoc(sessionDocument(client, await client.call('sessions.get', { id: s.id })), 'flows');
    } catch (e) {
      app.reportError(e);
    }
  };

  const saveSession = async () => {
    if (!ended?.saveable || !runId) return;
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
    () => localSource(liveKey, liveRun.packets, liveVersion, { t0: liveRun.t0, wall: wall.current }),
    [liveKey, liveRun, liveVersion],
  );

  // Counted once the run has ended (a running list changes every frame; the list rows carry the marks meanwhile).
  const flags = useMemo<FlagCounts | undefined>(() => {
    if (!ended) return undefined;
    const c = { cut: 0, partial: 0 };
    for (const p of liveRun.packets) {
      if (p.cut) c.cut++;
      if (p.partial) c.partial++;
    }
    return c;
  }, [ended, liveRun, liveVersion]); // eslint-disable-line react-hooks/exhaustive-deps -- liveVersion: packets grew

  const openInPathView = () => {
    app.openDoc(
      {
        title: `${filter || 'all packets'} on ${host}`,
        runs: [
          {
            id: liveKey,
            host,
            filter,
            lost: ended?.lost ?? progress?.lost ?? 0,
            events: liveRun.events,
            ended: ended?.reason.message,
            source,
            context: hostContext.current,
          },
        ],
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
              disabled={!!blocked || starting}
              title={blocked ? `Cannot start: ${blocked}` : 'Start (Ctrl+Enter)'}
            >
              {starting ? 'Starting…' : '▶ Start'}
            </button>
          )}
        </div>
        {!running && blocked && (
          <div className="field-hint start-blocked" data-testid="start-blocked">
            Start is off: {blocked}
          </div>
        )}
        <div className="pane-body">
          <div className="section col">
            <HostPicker
              hosts={app.hosts}
              host={host}
              onHost={app.setSelectedHost}
              more={moreHosts}
              onMore={setMoreHosts}
              disabled={running || starting}
              onProbe={() => void app.probe(host, true)}
            />
            <div className="dim" style={{ fontSize: 11, marginLeft: 68 }}>
              {facts
                ? `${facts.kernel.release} · auto → ${facts.auto} · ${facts.functions.length} traceable skb functions`
                : 'not probed yet: completion and markers need a probe'}
            </div>
            <FilterBox
              filter={filter}
              onChange={setFilter}
              host={host}
              inputRef={filterInput}
              onBlocked={setFilterBlocked}
            />
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
                {AttachModeSchema.options.map((m) => (
                  <option key={m}>{m}</option>
                ))}
              </select>
              <span className="muted">limits</span>
              <input
                aria-label="packet limit"
                value={maxPackets}
                onChange={(e) => setMaxPackets(e.target.value)}
                className={limitErrors.packets ? 'invalid' : ''}
                aria-invalid={!!limitErrors.packets}
                inputMode="numeric"
                style={{ width: 60 }}
              />
              <span className="dim">pkts</span>
              <input
                aria-label="duration limit"
                value={duration}
                onChange={(e) => setDuration(e.target.value)}
                className={limitErrors.durationS ? 'invalid' : ''}
                aria-invalid={!!limitErrors.durationS}
                inputMode="decimal"
                style={{ width: 50 }}
              />
              <span className="dim">s</span>
            </label>
            {(limitErrors.packets || limitErrors.durationS) && (
              <div className="field-error" data-testid="limit-error" style={{ marginLeft: 68 }}>
                {[limitErrors.packets, limitErrors.durationS].filter(Boolean).join(' · ')}
              </div>
            )}
            <label className="row" title="Packet bytes kept with the run, for Sessions → pcapng">
              <span style={{ width: 60 }} className="muted">
                bytes
              </span>
              <input
                type="checkbox"
                checked={captureBytes || groupHosts.length > 1}
                disabled={groupHosts.length > 1}
                onChange={(e) => setCaptureBytes(e.target.checked)}
                aria-label="keep the bytes of each packet"
              />
              <span className="dim">
                {groupHosts.length > 1
                  ? `first ${DEFAULT_SNAPLEN} of each packet: flows across hosts are matched on them`
                  : `keep the first ${DEFAULT_SNAPLEN} B of each packet (pcapng)`}
              </span>
            </label>
            <TraceScope
              value={scopeText}
              errors={'errors' in scope ? scope.errors : {}}
              onChange={setScopeText}
            />
          </div>
          <div className="section">
            <h3>Progress</h3>
            {lastKind === 'group' || group.state.kind === 'starting' ? (
              <>
                <GroupRunStatus state={group.state} />
                {group.state.kind === 'ended' && group.state.group.saveableRunIds.length > 0 && (
                  <div className="row" style={{ marginTop: 8 }}>
                    <button className="primary" onClick={() => void saveGroup()}>
                      Save session and show flows…
                    </button>
                  </div>
                )}
              </>
            ) : (
              <>
                <RunStatus
                  state={runState}
                  packets={live.current.total}
                  events={live.current.events}
                  flags={flags}
                  connection={connection}
                />
                {ended?.saveable && (
                  <div className="row" style={{ marginTop: 8 }}>
                    <button className="primary" onClick={() => void saveSession()} title="Save as a session">
                      Save session…
                    </button>
                    <button onClick={openInPathView}>Open in Path view</button>
                  </div>
                )}
              </>
            )}
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
        </div>
      </div>
      <div className="pane grow">
        {lastKind === 'group' ? (
          <GroupPackets state={group.state} version={group.version} live={running} filter={filter} />
        ) : (
          <PathExplorer
            key={liveKey}
            source={source}
            live={running}
            emptyHint={
              running
                ? connection.state === 'closed'
                  ? 'The connection to pktpath is lost: packets cannot arrive until it is back.'
                  : `Tracing “${filter}” on ${host}: generate matching traffic.`
                : ended
                  ? `No packet traced. Ended: ${ended.reason.message}.`
                  : 'Pick a host, type a filter and press Start (Ctrl+Enter).'
            }
          />
        )}
      </div>
    </div>
  );
}
