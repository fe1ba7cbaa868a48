// The preload: the only bridge between the page and main. It exposes named functions (one per contract method),
// never ipcRenderer or a channel name. CommonJS and self-contained because sandboxed preloads can require only
// 'electron'; test/unit/app/api-surface.test.ts keeps METHODS equal to the contract and snapshots the surface.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS is what a sandboxed preload runs
import electron = require('electron');

const { contextBridge, ipcRenderer } = electron;

const CHANNELS = {
  call: 'pktpath:call',
  events: 'pktpath:events',
  subscribe: 'pktpath:subscribe',
  saveFile: 'pktpath:save-file',
  openFile: 'pktpath:open-file',
} as const;

const METHODS = [
  'hosts.list',
  'hosts.get',
  'hosts.add',
  'hosts.update',
  'hosts.remove',
  'hosts.importSshConfig',
  'hosts.disconnect',
  'hosts.testConnection',
  'probe.run',
  'filter.check',
  'probeSet.validate',
  'probeSet.profiles',
  'trace.start',
  'trace.stop',
  'trace.status',
  'trace.startGroup',
  'trace.stopGroup',
  'sessions.list',
  'sessions.get',
  'sessions.packets',
  'sessions.timeline',
  'sessions.packet',
  'sessions.flows',
  'sessions.report',
  'sessions.save',
  'sessions.rename',
  'sessions.annotate',
  'sessions.delete',
  'sessions.export',
  'sessions.import',
  'compare.paths',
  'compare.runs',
  'hostKey.decide',
  'secret.provide',
] as const;

let nextId = 1;
const methods: Record<string, (request: unknown) => Promise<unknown>> = {};
for (const method of METHODS)
  methods[method] = (request: unknown) =>
    ipcRenderer.invoke(CHANNELS.call, { id: nextId++, method, request });

type Batch = { event: string; payload: unknown }[];
const listeners = new Set<(events: Batch) => void>();
ipcRenderer.on(CHANNELS.events, (_e, events: Batch) => {
  for (const l of listeners) l(events);
});

contextBridge.exposeInMainWorld('pktpath', {
  transport: 'electron',
  methods,
  onEvents(listener: (events: Batch) => void) {
    if (listeners.size === 0) ipcRenderer.send(CHANNELS.subscribe);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  },
  // Native dialogs run in main: the page hands over bytes and a suggested name, or gets a file's bytes back.
  saveFile: (file: unknown) => ipcRenderer.invoke(CHANNELS.saveFile, file),
  openFile: (kind: unknown) => ipcRenderer.invoke(CHANNELS.openFile, kind),
});
