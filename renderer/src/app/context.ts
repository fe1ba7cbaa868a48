import { createContext, useContext } from 'react';
import type { HostContext } from '../../../main/api/explain';
import type { ConnectionTest, Host } from '../../../main/api/hosts';
import type { ProbeFacts } from '../../../main/api/trace';
import type { ApiClient } from '../api/client';
import type { PacketSource } from '../model/packet-source';

export type ViewId = 'hosts' | 'trace' | 'path' | 'sessions' | 'compare' | 'flows';

/** A set of runs the Path view shows: the live/last trace, or a saved session. */
export interface PathDocument {
  title: string;
  sessionId?: string;
  runs: DocRun[];
  /** The run and packet the Path view opens at (a segment clicked in the Flows view). */
  focus?: { run: string; packet: number };
}
export interface DocRun {
  id: string;
  host: string;
  filter: string;
  lost: number;
  /** Events (hops) recorded, next to `lost`. */
  events?: number;
  /** Why the run ended, in one line (the core's TraceEndReason). */
  ended?: string | undefined;
  /** The run's packets: paged from the core for a saved session, in memory for the last trace. */
  source: PacketSource;
  /** The host's network at the run's start and end (absent: traced with --no-context, or not ended yet). */
  context?: HostContext | undefined;
}

/** A packet the Compare view opens with as side A ("Compare with…" in the Path view). */
export interface ComparePreset {
  session: string;
  run: string;
  packet: number;
  /** Side B too (a fleet group compared with another). */
  b?: { session: string; run: string; packet: number };
}

export interface AppState {
  client: ApiClient;
  hosts: Host[];
  hostsError: string | undefined;
  refreshHosts(): Promise<void>;
  probes: ReadonlyMap<string, ProbeFacts>;
  probe(host: string, refresh?: boolean): Promise<ProbeFacts | undefined>;
  /** Why a host's last probe failed (cleared by one that works): kept beside the host, not only in a toast. */
  probeErrors: ReadonlyMap<string, string>;
  /** Each host's last connection test (or that one runs), kept while pktpath's page lives. */
  connectionTests: ReadonlyMap<string, ConnectionTest | 'running'>;
  testConnection(host: string): Promise<void>;
  selectedHost: string;
  setSelectedHost(name: string): void;
  doc: PathDocument | undefined;
  openDoc(doc: PathDocument, view?: ViewId): void;
  setView(view: ViewId): void;
  comparePreset: ComparePreset | undefined;
  /** Opens the Compare view with this packet as A. */
  compareWith(preset: ComparePreset): void;
  notify(message: string, kind?: 'info' | 'error'): void;
  /** Shows an error the way its code deserves (a changed host key gets the red dialog). */
  reportError(e: unknown): void;
}

export const AppContext = createContext<AppState | undefined>(undefined);

export function useApp(): AppState {
  const s = useContext(AppContext);
  if (!s) throw new Error('useApp outside <AppContext>');
  return s;
}
