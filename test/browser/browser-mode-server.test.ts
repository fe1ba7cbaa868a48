import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCore, type CoreService } from '../../main/core/service/create-core.js';
import { startBrowserMode, type BrowserMode } from '../../main/server/index.js';
import { defaultRendererDir } from '../../main/transport/renderer-bundle.js';

// Browser mode's server against the real core (fresh data dir): the token and Host/Origin guards, the envelope
// errors, static files with their CSP, and calls over the WebSocket.
let core: CoreService;
let server: BrowserMode;
let home: string;

beforeAll(async () => {
  expect(existsSync(join(defaultRendererDir(), 'index.html')), 'renderer not built: run npm run build').toBe(
    true,
  );
  home = mkdtempSync(join(tmpdir(), 'pktpath-serve-'));
  core = await createCore({ home, knownHostsFiles: [] });
  server = await startBrowserMode({ handler: core });
});
afterAll(async () => {
  await server?.close();
  await core?.close();
  rmSync(home, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        headers: { host: `127.0.0.1:${server.port}`, ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
const api = (body: string, headers: Record<string, string> = { 'x-pktpath-token': server.token }) =>
  http('POST', '/api', { 'content-type': 'application/json', ...headers }, body);

describe('browser mode server', () => {
  it('prints a loopback URL whose fragment carries a 256-bit token', () => {
    expect(server.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#token=[A-Za-z0-9_-]{43}$`),
    );
  });

  it('serves the renderer with a CSP that allows no remote or inline script', async () => {
    const r = await http('GET', '/', {});
    expect(r.status).toBe(200);
    expect(r.body).toContain('<div id="root">');
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|https?:)/);
    expect((await http('GET', '/../../package.json', {})).status).toBe(404);
  });

  it('answers a call with the right token', async () => {
    const r = await api(JSON.stringify({ id: 1, method: 'hosts.list', request: {} }));
    expect(r.status).toBe(200);
    const env = JSON.parse(r.body) as { ok: boolean; response: { hosts: { name: string }[] } };
    expect(env.ok).toBe(true);
    expect(env.response.hosts[0]!.name).toBe('local');
  });

  it('refuses a missing or wrong token', async () => {
    const call = JSON.stringify({ id: 1, method: 'hosts.list', request: {} });
    expect((await api(call, {})).status).toBe(401);
    expect((await api(call, { 'x-pktpath-token': server.token.slice(0, -1) + 'x' })).status).toBe(401);
    expect((await api(call, { 'x-pktpath-token': '' })).status).toBe(401);
  });

  it('refuses foreign Host and Origin headers (DNS rebinding)', async () => {
    const call = JSON.stringify({ id: 1, method: 'hosts.list', request: {} });
    const token = { 'x-pktpath-token': server.token };
    expect((await api(call, { ...token, host: `evil.example:${server.port}` })).status).toBe(403);
    expect((await api(call, { ...token, origin: 'http://evil.example' })).status).toBe(403);
    expect((await http('GET', '/', { host: 'evil.example' })).status).toBe(403);
    expect((await api(call, { ...token, origin: `http://localhost:${server.port}` })).status).toBe(200);
  });

  it('turns bad envelopes and requests into one-line invalid-request errors', async () => {
    for (const body of [
      '{not json',
      JSON.stringify({ nope: 1 }),
      JSON.stringify({ id: 2, method: 'no.such', request: {} }),
    ]) {
      const env = JSON.parse((await api(body)).body) as {
        ok: boolean;
        error: { code: string; message: string };
      };
      expect(env.ok).toBe(false);
      expect(env.error.code).toBe('invalid-request');
      expect(env.error.message).not.toContain('\n');
    }
    const bad = JSON.parse(
      (await api(JSON.stringify({ id: 3, method: 'hosts.add', request: { name: '-x' } }))).body,
    ) as {
      error: { code: string; message: string };
    };
    expect(bad.error.code).toBe('invalid-request');
    expect(bad.error.message).toMatch(/^invalid hosts\.add request: name: /);
  });

  it('WebSocket: refuses without the token or from a foreign origin, answers calls with it', async () => {
    const base = `ws://127.0.0.1:${server.port}/ws`;
    const refused = (url: string, origin?: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url, origin ? { origin } : {});
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => resolve(-1));
        ws.on('open', () => resolve(101));
      });
    expect(await refused(base)).toBe(403);
    expect(await refused(`${base}?token=wrong`)).toBe(403);
    expect(await refused(`${base}?token=${server.token}`, 'http://evil.example')).toBe(403);

    const ws = new WebSocket(`${base}?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<{ kind: string; id: number; ok: boolean; response: { profiles: unknown[] } }>(
      (r) => ws.once('message', (d) => r(JSON.parse(d.toString()))),
    );
    ws.send(JSON.stringify({ id: 7, method: 'probeSet.profiles', request: {} }));
    const frame = await reply;
    expect(frame).toMatchObject({ kind: 'response', id: 7, ok: true });
    expect(frame.response.profiles.length).toBeGreaterThan(5);
    ws.close();
  });
});
