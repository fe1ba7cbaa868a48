import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ConnectionTest, Host } from '../../../main/api/hosts';
import type { ProbeFacts } from '../../../main/api/trace';
import { ApiCallError, type ApiClient } from '../api/client';
import type { TransportStatus } from '../api/transport';
import { HostKeyMismatchDialog, PromptDialogs } from '../components/PromptDialogs';
import { CompareView } from '../views/CompareView';
import { FlowsView } from '../views/FlowsView';
import { HostsView } from '../views/HostsView';
import { PathView } from '../views/PathView';
import { SessionsView } from '../views/SessionsView';
import { TraceView } from '../views/TraceView';
import { ConnectionBanner } from './ConnectionBanner';
import { AppContext, type AppState, type ComparePreset, type PathDocument, type ViewId } from './context';
import { ShortcutHelp, useGlobalShortcuts } from './shortcuts';

const VIEWS: { id: ViewId; label: string }[] = [
  { id: 'hosts', label: 'Hosts' },
  { id: 'trace', label: 'Trace' },
  { id: 'path', label: 'Path' },
  { id: 'sessions', label: 'Sessions' },
  { id: 'compare', label: 'Compare' },
  { id: 'flows', label: 'Flows' },
];

type Theme = 'dark' | 'light';

/** The shell of the UI: tabs, status bar, global shortcuts, prompts, and the state the views share. */
export function App({ client }: { client: ApiClient }) {
  const [view, setView] = useState<ViewId>('trace');
  const [theme, setTheme] = useState<Theme>(
    () =>
      (localStorage.getItem('pktpath-theme') as Theme | null) ??
      (matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark'),
  );
  const [hosts, setHosts] = useState<Host[]>([]);
  const [hostsError, setHostsError] = useState<string | undefined>();
  const [probes, setProbes] = useState<ReadonlyMap<string, ProbeFacts>>(new Map());
  const [probeErrors, setProbeErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const [connectionTests, setConnectionTests] = useState<ReadonlyMap<string, ConnectionTest | 'running'>>(
    new Map(),
  );
  const [selectedHost, setSelectedHost] = useState('local');
  const [doc, setDoc] = useState<PathDocument | undefined>();
  const [toast, setToast] = useState<{ message: string; kind: 'info' | 'error' } | undefined>();
  const [mismatch, setMismatch] = useState<ApiCallError | undefined>();
  const [status, setStatus] = useState<TransportStatus>({ state: 'connecting' });
  const [help, setHelp] = useState(false);
  const [comparePreset, setComparePreset] = useState<ComparePreset | undefined>();

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('pktpath-theme', theme);
  }, [theme]);
  useEffect(() => client.transport.onStatus(setStatus), [client]);
  useEffect(() => {
    if (!toast) return;
    const t = setTimeout(() => setToast(undefined), toast.kind === 'error' ? 9000 : 4000);
    return () => clearTimeout(t);
  }, [toast]);

  const notify = useCallback(
    (message: string, kind: 'info' | 'error' = 'info') => setToast({ message, kind }),
    [],
  );
  const reportError = useCallback((e: unknown) => {
    const err = e as { code?: string; message?: string; details?: Record<string, unknown> };
    if (err?.code === 'host-key-mismatch')
      setMismatch(new ApiCallError('host-key-mismatch', err.message ?? '', err.details));
    else
      setToast({
        message:
          err?.code && err.code !== 'transport' ? `${err.code}: ${err.message}` : String(err?.message ?? e),
        kind: 'error',
      });
  }, []);
  const refreshHosts = useCallback(async () => {
    try {
      const r = await client.call('hosts.list', {});
      setHosts(r.hosts);
      setHostsError(undefined);
    } catch (e) {
      setHostsError((e as Error).message);
    }
  }, [client]);
  useEffect(() => {
    void refreshHosts();
  }, [refreshHosts]);

  const probe = useCallback(
    async (host: string, refresh = false) => {
      try {
        const facts = await client.call('probe.run', { host, refresh });
        setProbes((m) => new Map(m).set(host, facts));
        setProbeErrors((m) => without(m, host));
        return facts;
      } catch (e) {
        const err = e as { code?: string; message?: string };
        setProbeErrors((m) => new Map(m).set(host, err.code ? `${err.code}: ${err.message}` : String(e)));
        reportError(e);
        return undefined;
      }
    },
    [client, reportError],
  );
  const testConnection = useCallback(
    async (host: string) => {
      setConnectionTests((m) => new Map(m).set(host, 'running'));
      try {
        const r = await client.call('hosts.testConnection', { name: host });
        setConnectionTests((m) => new Map(m).set(host, r));
        if (r.error) reportError(Object.assign(new Error(r.error.message), r.error));
      } catch (e) {
        setConnectionTests((m) => without(m, host));
        reportError(e);
      }
    },
    [client, reportError],
  );

  const openDoc = useCallback((d: PathDocument, v?: ViewId) => {
    setDoc(d);
    if (v) setView(v);
  }, []);

  const compareWith = useCallback((preset: ComparePreset) => {
    setComparePreset(preset);
    setView('compare');
  }, []);

  const state: AppState = useMemo(
    () => ({
      client,
      hosts,
      hostsError,
      refreshHosts,
      probes,
      probe,
      probeErrors,
      connectionTests,
      testConnection,
      selectedHost,
      setSelectedHost,
      doc,
      openDoc,
      setView,
      notify,
      reportError,
      comparePreset,
      compareWith,
    }),
    [
      client,
      hosts,
      hostsError,
      refreshHosts,
      probes,
      probe,
      probeErrors,
      connectionTests,
      testConnection,
      selectedHost,
      doc,
      openDoc,
      notify,
      reportError,
      comparePreset,
      compareWith,
    ],
  );

  useGlobalShortcuts({
    views: VIEWS.map((v) => v.id),
    setView,
    toggleTheme: () => setTheme((t) => (t === 'dark' ? 'light' : 'dark')),
    toggleHelp: () => setHelp((h) => !h),
  });

  return (
    <AppContext.Provider value={state}>
      <div className="app">
        <nav className="topbar" aria-label="views">
          <span className="brand">pktpath</span>
          {VIEWS.map((v, i) => (
            <button
              key={v.id}
              className={`tab${view === v.id ? ' active' : ''}`}
              onClick={() => setView(v.id)}
              data-view={v.id}
              aria-current={view === v.id}
            >
              {v.label}
              <kbd>Alt+{i + 1}</kbd>
            </button>
          ))}
          <span className="spacer" />
          <button
            onClick={() => setTheme((t) => (t === 'dark' ? 'light' : 'dark'))}
            title="Toggle theme (Alt+T)"
          >
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
          <button onClick={() => setHelp(true)} title="Keyboard shortcuts (?)">
            ?
          </button>
        </nav>
        <ConnectionBanner status={status} />
        <main className="view" style={{ minHeight: 0 }}>
          <Pane show={view === 'hosts'}>
            <HostsView />
          </Pane>
          <Pane show={view === 'trace'}>
            <TraceView theme={theme} active={view === 'trace'} />
          </Pane>
          <Pane show={view === 'path'}>
            <PathView />
          </Pane>
          <Pane show={view === 'sessions'}>
            <SessionsView active={view === 'sessions'} />
          </Pane>
          <Pane show={view === 'compare'}>
            <CompareView active={view === 'compare'} />
          </Pane>
          <Pane show={view === 'flows'}>
            <FlowsView />
          </Pane>
        </main>
        <footer className="statusbar">
          <span
            data-testid="connection"
            className={status.state === 'closed' ? 'bad' : status.state === 'open' ? 'ok' : 'warn'}
          >
            ●{' '}
            {status.state === 'closed'
              ? status.reason
              : status.state === 'open'
                ? `connected (${client.transport.kind === 'electron' ? 'desktop' : 'browser mode'})`
                : 'connecting…'}
          </span>
          <span>host: {selectedHost}</span>
          <span>{hosts.length} hosts</span>
          {doc && <span>open: {doc.title}</span>}
          <span className="spacer" />
          <span>
            <kbd>?</kbd> shortcuts
          </span>
        </footer>
      </div>
      {toast && (
        <div
          className={`toast ${toast.kind}`}
          role={toast.kind === 'error' ? 'alert' : 'status'}
          data-testid="toast"
          onClick={() => setToast(undefined)}
        >
          {toast.message}
        </div>
      )}
      {mismatch && (
        <HostKeyMismatchDialog
          message={mismatch.message}
          details={mismatch.details}
          onClose={() => setMismatch(undefined)}
        />
      )}
      {help && <ShortcutHelp onClose={() => setHelp(false)} />}
      <PromptDialogs client={client} onError={reportError} />
    </AppContext.Provider>
  );
}

/** Views stay mounted (a running trace, the editor and scroll positions survive switching tabs). */
function Pane(props: { show: boolean; children: React.ReactNode }) {
  return (
    <div
      className="row grow"
      style={{ display: props.show ? 'flex' : 'none', alignItems: 'stretch', minHeight: 0, minWidth: 0 }}
    >
      {props.children}
    </div>
  );
}

/** The map without `key` (the same map when it has none, so React sees no change). */
function without<V>(m: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!m.has(key)) return m;
  const next = new Map(m);
  next.delete(key);
  return next;
}
