import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { events, methods } from '../../../main/api/contract.js';

// The API surface the page can reach. A new contract method must also be added to the preload (or the page cannot
// call it in the desktop app), and any change to what the page sees shows up here as a snapshot diff.

/** Runs the real preload (transpiled as tsc would) with a recording contextBridge and ipcRenderer. */
function loadPreload() {
  const src = readFileSync(new URL('../../../main/electron/preload.cts', import.meta.url), 'utf8');
  const js = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const exposed: Record<string, unknown> = {};
  const invoked: { channel: string; args: unknown[] }[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return Promise.resolve();
      },
      on: () => undefined,
      send: () => undefined,
    },
  };
  const required: string[] = [];
  const require = (m: string) => {
    required.push(m);
    if (m !== 'electron') throw new Error(`a sandboxed preload cannot require ${m}`);
    return electron;
  };
  runInNewContext(js, { require, exports: {}, module: { exports: {} } });
  return { exposed, invoked, required };
}

describe('API surface exposed to the page', () => {
  const { exposed, invoked, required } = loadPreload();
  const api = exposed.pktpath as { methods: Record<string, (r: unknown) => Promise<unknown>> } & Record<
    string,
    unknown
  >;

  it('the preload requires only electron and exposes only window.pktpath', () => {
    expect(required).toEqual(['electron']);
    expect(Object.keys(exposed)).toEqual(['pktpath']);
  });

  it('exposes one named function per contract method, and nothing that reaches IPC directly', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "methods",
        "onEvents",
        "openFile",
        "saveFile",
        "transport",
      ]
    `);
    expect(Object.keys(api.methods).sort()).toEqual(Object.keys(methods).sort());
    expect(JSON.stringify(Object.keys(api))).not.toMatch(/ipc|invoke|send|channel/i);
  });

  it('each method function sends its own method name; the page cannot choose the channel or the method', async () => {
    await api.methods['hosts.list']!({});
    await api.methods['trace.start']!({ host: 'x' });
    expect(invoked.map((i) => i.channel)).toEqual(['pktpath:call', 'pktpath:call']);
    expect(invoked.map((i) => (i.args[0] as { method: string }).method)).toEqual([
      'hosts.list',
      'trace.start',
    ]);
  });

  it('file dialogs go to main on their own channels: the page passes bytes or a kind, never a channel or path', async () => {
    invoked.length = 0;
    const save = api.saveFile as (f: unknown) => Promise<unknown>;
    const open = api.openFile as (k: unknown) => Promise<unknown>;
    await save({ name: 'a.pktpath', data: 'AAAA' });
    await open('session');
    expect(invoked).toEqual([
      { channel: 'pktpath:save-file', args: [{ name: 'a.pktpath', data: 'AAAA' }] },
      { channel: 'pktpath:open-file', args: ['session'] },
    ]);
  });

  it('the contract the renderer client is typed and validated against (methods and events)', () => {
    expect({ methods: Object.keys(methods), events: Object.keys(events) }).toMatchInlineSnapshot(`
      {
        "events": [
          "trace.progress",
          "trace.packets",
          "trace.end",
          "hostKey.prompt",
          "secret.prompt",
        ],
        "methods": [
          "hosts.list",
          "hosts.get",
          "hosts.add",
          "hosts.update",
          "hosts.remove",
          "hosts.importSshConfig",
          "hosts.disconnect",
          "hosts.testConnection",
          "probe.run",
          "filter.check",
          "probeSet.validate",
          "probeSet.profiles",
          "trace.start",
          "trace.stop",
          "trace.status",
          "trace.startGroup",
          "trace.stopGroup",
          "sessions.list",
          "sessions.get",
          "sessions.packets",
          "sessions.timeline",
          "sessions.packet",
          "sessions.flows",
          "sessions.report",
          "sessions.save",
          "sessions.rename",
          "sessions.annotate",
          "sessions.delete",
          "sessions.export",
          "sessions.import",
          "compare.paths",
          "compare.runs",
          "hostKey.decide",
          "secret.provide",
        ],
      }
    `);
  });
});
