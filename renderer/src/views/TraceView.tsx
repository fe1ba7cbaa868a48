import { useCallback, useEffect, useRef, useState } from 'react';
import type { ProfileInfo, ProbeSetValidation } from '../../../main/api/probeset';
import { autoPicks, DEFAULT_SNAPLEN } from '../../../main/api/trace';
import type { TransportStatus } from '../api/transport';
import { useApp } from '../app/context';
import { useTextPrompt } from '../components/TextPrompt';
import { localSource } from '../model/packet-source';
import { FilterBox } from './FilterBox';
import { GroupPackets } from './GroupRunPanel';
import { HostPicker } from './HostPicker';
import { useTraceGroup } from './use-trace-group';
import './flows.css';
import { LiveExplorer } from './LiveExplorer';
import { ProbeSetSection } from './ProbeSetSection';
import { TraceProgress } from './TraceProgress';
import { TraceFormFields } from './TraceFormFields';
import { useLivePackets } from './use-live-packets';
import { specOf, useTraceForm } from './use-trace-form';
import { useTraceRun } from './use-trace-run';

/**
 * Set up and run a trace: host, pcap filter (checked as you type), probe set (a profile or the Monaco editor),
 * attach mode, limits; then live progress and the packets as they arrive.
 */
export function TraceView(props: { theme: 'dark' | 'light'; active: boolean }) {
  const app = useApp();
  const { client, reportError } = app;
  const form = useTraceForm();
  const { filter } = form;
  const [profiles, setProfiles] = useState<ProfileInfo[]>([]);
  const [validation, setValidation] = useState<ProbeSetValidation | undefined>();
  const [filterBlocked, setFilterBlocked] = useState<string | undefined>();
  const [connection, setConnection] = useState<TransportStatus>({ state: 'connecting' });
  const packets = useLivePackets(client, reportError);
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

  const run = useTraceRun(client, packets.runEvents);
  const { state: runState, start: startRun, stop: stopRun } = run;
  const runId = runState.kind === 'running' || runState.kind === 'ended' ? runState.runId : undefined;
  const running = runState.kind === 'running' || group.state.kind === 'running';
  const starting = runState.kind === 'starting' || group.state.kind === 'starting';
  const ended = runState.kind === 'ended' ? runState.end : undefined;
  const progress = runState.kind === 'running' || runState.kind === 'ended' ? runState.progress : undefined;

  const profile = profiles.find((p) => p.name === form.probeSel);
  const { limitErrors, scope } = form;
  const probeErrors = form.probeSel === 'custom' ? (validation?.errors.length ?? 0) : 0;
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
    const spec = specOf(form, host);
    if (blocked || !spec) return;
    if (groupHosts.length < 2) {
      setLastKind('one');
      return startRun(spec);
    }
    const { host: _one, ...shared } = spec;
    // captured header bytes are what joins one packet's sightings on different hosts (as the CLI does)
    setLastKind('group');
    await group.start({ ...shared, hosts: groupHosts, capture: { snaplen: DEFAULT_SNAPLEN } });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- groupHosts is derived from host and moreHosts
  }, [blocked, form, host, moreHosts, startRun, group.start]);

  const stop = useCallback(async () => {
    const failed = await (group.state.kind === 'running' ? group.stop() : stopRun());
    if (failed) app.notify(`Stop failed: ${failed}`, 'error');
  }, [stopRun, app, group]);

  const liveKey = runId ?? 'live';
  const liveRun = packets.live;
  const wall = packets.wall;

  const openInPathView = () => {
    const { t0, variants, columns } = liveRun;
    const source = localSource(liveKey, liveRun.packets, liveRun.version, { t0, wall, variants, columns });
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
            context: packets.hostContext,
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
                ? `${facts.kernel.release} · auto → ${autoPicks(facts)} · ${facts.functions.length} traceable skb functions`
                : 'not probed yet: completion and markers need a probe'}
            </div>
            <FilterBox
              filter={filter}
              onChange={form.setFilter}
              host={host}
              inputRef={filterInput}
              onBlocked={setFilterBlocked}
            />
            <TraceFormFields form={form} profiles={profiles} hosts={groupHosts.length} />
          </div>
          <TraceProgress
            kind={lastKind}
            group={group}
            run={runState}
            live={liveRun}
            subscribe={packets.subscribe}
            connection={connection}
            title={`${filter || 'all packets'} on ${lastKind === 'group' ? groupHosts.join(', ') : host}`}
            ask={ask}
            onOpenPath={openInPathView}
          />
          <ProbeSetSection
            form={form}
            profile={profile}
            client={client}
            host={host}
            facts={facts}
            theme={props.theme}
            validation={validation}
            onValidation={onValidation}
          />
        </div>
      </div>
      <div className="pane grow">
        {lastKind === 'group' ? (
          <GroupPackets state={group.state} version={group.version} live={running} filter={filter} />
        ) : (
          <LiveExplorer
            key={liveKey}
            runKey={liveKey}
            live={liveRun}
            wall={wall}
            subscribe={packets.subscribe}
            running={running}
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
