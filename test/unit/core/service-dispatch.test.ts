import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { ApiClient } from '../../../renderer/src/api/client.js';
import { dispatchEnvelope } from '../../../main/api/handler.js';
import { methods, type EventName, type EventOf } from '../../../main/api/contract.js';
import { MAX_TRANSFER_BYTES } from '../../../main/api/transfer.js';
import { createCore, type CoreService } from '../../../main/core/service/create-core.js';

// The core's method routing through the same entry point every transport uses (dispatchEnvelope), on a real data
// dir: requests validated, responses validated, error codes kept.
let home: string;
let core: CoreService;

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'pktpath-core-'));
  core = await createCore({ home, knownHostsFiles: [] });
});
afterEach(async () => {
  await core.close();
  rmSync(home, { recursive: true, force: true });
});

const web1 = { name: 'web1', address: '10.0.0.5', user: 'ops', auth: { kind: 'agent' as const } };

describe('createCore: hosts', () => {
  it('lists the built-in local host first, then added hosts, and persists them', async () => {
    const added = await core.call('hosts.add', web1);
    expect(added).toMatchObject({ name: 'web1', port: 22, privilege: 'sudo', kind: 'ssh' });
    const { hosts } = await core.call('hosts.list', {});
    expect(hosts.map((h) => h.name)).toEqual(['local', 'web1']);
    const again = await createCore({ home, knownHostsFiles: [] });
    expect((await again.call('hosts.get', { name: 'web1' })).address).toBe('10.0.0.5');
    await again.close();
  });

  it('updates, refuses to remove a jump host in use, then removes', async () => {
    await core.call('hosts.add', web1);
    await core.call('hosts.add', { name: 'db1', address: '10.0.0.6', jump: ['web1'] });
    expect((await core.call('hosts.update', { name: 'web1', patch: { port: 2222 } })).port).toBe(2222);
    await expect(core.call('hosts.remove', { name: 'web1' })).rejects.toMatchObject({ code: 'conflict' });
    await core.call('hosts.remove', { name: 'db1' });
    await core.call('hosts.remove', { name: 'web1' });
    expect((await core.call('hosts.list', {})).hosts).toHaveLength(1);
  });

  it('imports ~/.ssh/config style text', async () => {
    const text =
      'Host bastion\n  HostName 192.0.2.1\n  User jump\nHost inner\n  HostName 10.1.1.1\n  ProxyJump bastion\n';
    const r = await core.call('hosts.importSshConfig', { text });
    expect(r.imported.map((h) => [h.name, h.jump])).toEqual([
      ['bastion', []],
      ['inner', ['bastion']],
    ]);
  });
});

describe('validated once at the trust boundary (issue 12)', () => {
  it('a listener narrows an event’s payload by its name, without a cast', () => {
    const off = core.onEvent((event, payload) => {
      if (event === 'trace.end') expectTypeOf(payload).toEqualTypeOf<EventOf<'trace.end'>>();
      else if (event === 'hostKey.prompt') expectTypeOf(payload.promptId).toBeString();
    });
    off();
  });

  it('a page request is parsed once on its way in and its response once on its way out', async () => {
    // the renderer's client over a transport that hands the envelope to dispatchEnvelope as the server does
    const client = new ApiClient({
      kind: 'browser',
      send: (env) => dispatchEnvelope(core, JSON.parse(JSON.stringify(env))),
      onEvents: (l) => core.onEvent((event, payload) => l([{ event, payload }])),
      onStatus: () => () => undefined,
    });
    await core.call('hosts.add', web1);
    // schemas no other code parses: hosts.get's request, hosts.list's response
    const request = vi.spyOn(methods['hosts.get'].request, 'safeParse');
    const response = vi.spyOn(methods['hosts.list'].response, 'safeParse');
    expect((await client.call('hosts.get', { name: 'web1' })).address).toBe('10.0.0.5');
    expect((await client.call('hosts.list', {})).hosts).toHaveLength(2);
    expect(request).toHaveBeenCalledTimes(1);
    expect(response).toHaveBeenCalledTimes(1);
    // what the core refuses still comes back as the contract's error, with its one-line message
    await expect(client.call('hosts.add', { ...web1, name: 'bad name!' })).rejects.toMatchObject({
      code: 'invalid-request',
      message: expect.stringMatching(/^invalid hosts\.add request: name: /),
    });
    vi.restoreAllMocks();
  });
});

describe('no server-side paths (issue 8)', () => {
  it('an upload over its cap is too-large; a slightly smaller one reaches the core', async () => {
    for (const extra of [1, 3]) {
      // +3 fails the schema's base64 length; +1 has the same base64 length as the cap and fails in the core
      const over = Buffer.alloc(MAX_TRANSFER_BYTES + extra).toString('base64');
      const r = await dispatchEnvelope(core, { id: 1, method: 'sessions.import', request: { data: over } });
      expect(r).toMatchObject({ ok: false, error: { code: 'too-large' } });
      if (!r.ok) expect(r.error.message).toMatch(/larger than the 10 MiB a window can transfer; use the CLI/);
    }
    const under = Buffer.alloc(MAX_TRANSFER_BYTES).toString('base64');
    const u = await dispatchEnvelope(core, { id: 2, method: 'sessions.import', request: { data: under } });
    expect(u).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    if (!u.ok) expect(u.error.message).toMatch(/^cannot import the uploaded file: /);
  });

  it('uploaded ssh_config text: Include lines are listed as skipped, never read', async () => {
    const inc = join(home, 'included.conf');
    writeFileSync(inc, 'Host hidden\n  HostName 192.0.2.50\n');
    const r = await core.call('hosts.importSshConfig', {
      text: `Include ${inc}\n  include=${inc}\nHost shown\n  HostName 192.0.2.51\n`,
    });
    expect(r.imported.map((h) => h.name)).toEqual(['shown']);
    expect(r.skipped.map((s) => s.name)).toEqual([`Include ${inc}`, `Include ${inc}`]);
  });
});

describe('dispatchEnvelope over the core', () => {
  it('answers a valid request with ok and the validated response', async () => {
    const r = await dispatchEnvelope(core, { id: 1, method: 'probeSet.profiles', request: {} });
    expect(r.ok).toBe(true);
    if (r.ok) expect((r.response as { profiles: { name: string }[] }).profiles[0]?.name).toBe('default');
  });

  it('refuses an unknown method with invalid-request naming it', async () => {
    const r = await dispatchEnvelope(core, { id: 2, method: 'hosts.explode', request: {} });
    expect(r).toEqual({
      id: 2,
      ok: false,
      error: { code: 'invalid-request', message: 'unknown method "hosts.explode"' },
    });
  });

  it('turns a bad request into one line naming every bad field', async () => {
    const r = await dispatchEnvelope(core, {
      id: 3,
      method: 'hosts.add',
      request: { name: '-bad name', address: '', port: 70000 },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('invalid-request');
    expect(r.error.message).not.toContain('\n');
    expect(r.error.message).toMatch(/^invalid hosts\.add request: name: .*address: .*port: /);
  });

  it('refuses a malformed envelope', async () => {
    const r = await dispatchEnvelope(core, { method: 'hosts.list' });
    expect(r).toMatchObject({ id: -1, ok: false, error: { code: 'invalid-request' } });
  });

  it('keeps the core error codes: not-found, conflict', async () => {
    const missing = await dispatchEnvelope(core, { id: 4, method: 'hosts.get', request: { name: 'nope' } });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    await core.call('hosts.add', web1);
    const dup = await dispatchEnvelope(core, { id: 5, method: 'hosts.add', request: web1 });
    expect(dup).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: 'a host named web1 exists already' },
    });
    const local = await dispatchEnvelope(core, { id: 6, method: 'hosts.remove', request: { name: 'local' } });
    expect(local).toMatchObject({ ok: false, error: { code: 'conflict' } });
  });

  it('reports a corrupt inventory as corrupt-file and keeps the file aside', async () => {
    writeFileSync(join(home, 'hosts.json'), '{"version":1,"hosts":[{"name":');
    const r = await dispatchEnvelope(core, { id: 7, method: 'hosts.list', request: {} });
    expect(r).toMatchObject({ ok: false, error: { code: 'corrupt-file' } });
    if (!r.ok) expect(String(r.error.details?.movedTo)).toContain('hosts.json.corrupt-');
  });
});

describe('createCore: probe sets, sessions, compare, prompts', () => {
  it('validates probe-set text with line and column', async () => {
    const r = await core.call('probeSet.validate', { text: 'ip_rcv\nip_output arg=9\n' });
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([
      { line: 2, column: 15, message: 'arg= takes the skb argument position 1-5, not "9"' },
    ]);
  });

  it('saving an unknown run is not-found; sessions list starts empty', async () => {
    expect((await core.call('sessions.list', {})).sessions).toEqual([]);
    await expect(core.call('sessions.save', { title: 't', runIds: ['run-x'] })).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('imports a session file and compares two of its packets', async () => {
    const hop = (f: string, t: number) => ({ function: f, ts_ns: t, ifindex: 1, netns: 1, len: 84 });
    const run = {
      id: 'r1',
      host: 'local',
      spec: { host: 'local' },
      mode: 'tracepoint',
      startedAt: '2026-01-01T00:00:00.000Z',
      packets: [
        { id: 1, hops: [hop('a', 0), hop('b', 10), hop('c', 20)], drop_reason: null },
        { id: 2, hops: [hop('a', 0), hop('x', 5), hop('c', 30)], drop_reason: 'NETFILTER_DROP' },
      ],
    };
    const data = Buffer.from(
      JSON.stringify({
        format: 'pktpath-session',
        version: 1,
        id: 'imp',
        title: 'Imported',
        createdAt: '2026-01-01T00:00:00.000Z',
        updatedAt: '2026-01-01T00:00:00.000Z',
        runs: [run],
      }),
    ).toString('base64');
    const s = await core.call('sessions.import', { data });
    expect(s).toMatchObject({ id: 'imp', runs: 1, packets: 2 });
    const c = await core.call('compare.paths', {
      a: { session: 'imp', run: '1', packet: 1 },
      b: { session: 'imp', run: 'r1', packet: 2 },
    });
    expect(c.first_divergence).toEqual({ a_index: 1, b_index: 1, a_function: 'b', b_function: 'x' });
    await expect(
      core.call('compare.paths', { a: { session: 'imp', packet: 9 }, b: { session: 'imp' } }),
    ).rejects.toMatchObject({ code: 'not-found', message: 'run r1 of session imp has no packet 9' });
  });

  it('answers prompts by id; an unknown prompt id is not-found', async () => {
    await expect(core.call('hostKey.decide', { promptId: 'zz', decision: 'reject' })).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(core.call('secret.provide', { promptId: 'zz', value: null })).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('delivers events to subscribers until they unsubscribe, validated', async () => {
    const seen: EventName[] = [];
    const off = core.onEvent((...[e]) => void seen.push(e));
    // a trace on a host that does not exist fails the request itself, before any event
    await expect(core.call('trace.start', { host: 'ghost' })).rejects.toMatchObject({ code: 'not-found' });
    await expect(
      core.call('trace.start', { host: 'local', probes: { kind: 'text', text: 'ip_rcv bogus' } }),
    ).rejects.toMatchObject({
      code: 'invalid-request',
      message: 'probe set:1:8: unknown option "bogus" (expected arg=N, final, stack or ret)',
    });
    off();
    expect(seen).toEqual([]);
  });

  it('refuses calls after close', async () => {
    await core.close();
    await expect(core.call('hosts.list', {})).rejects.toMatchObject({ code: 'internal' });
  });
});
