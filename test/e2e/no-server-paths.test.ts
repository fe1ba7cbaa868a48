import { labContext } from '../support/lab-context.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { MAX_TRANSFER_BYTES } from '../../main/api/transfer.js';
import { exec, localShell } from '../lab/exec.js';
import { createPair, destroy, ping } from '../lab/netns.js';
import { ARTIFACTS, CHROMIUM, openApp } from '../support/browser.js';

// No API method takes a path on the machine pktpath runs on (issue 8): `pktpath serve`, started as a user would,
// answers exports with bytes and imports from bytes; the CLI keeps its FILE arguments. The session comes from a
// real trace (with packet bytes) of this kernel through the CLI binary.
const { state, labIt } = labContext();
const itServe = labIt({ needs: { root: true, tools: ['ip', 'ping', 'tshark'] } });
const itBrowser = labIt({ needs: { root: true, tools: ['ip', 'ping', CHROMIUM] } });

const scratch = mkdtempSync(join(tmpdir(), 'pktpath-nopaths-'));
const home = join(scratch, 'pktpath-home');
const userHome = join(scratch, 'user-home');
const env = { ...process.env, HOME: userHome, PKTPATH_HOME: home, SSH_AUTH_SOCK: '' };
/** A file outside ~/.ssh that an uploaded config names in an Include. */
const outside = join(scratch, 'outside.conf');
const SESSION = 'nopaths-xfer';

let serve: ChildProcess | undefined;
let base = '';
let token = '';

/** `pktpath ARGS` through the installed entry point (dist). */
const pktpath = (args: string[], timeoutMs = 60_000) =>
  exec(process.execPath, ['bin/pktpath.mjs', ...args], { env, timeoutMs });

/** Starts `pktpath serve` as its own process and reads the URL it prints. */
async function startServe(): Promise<void> {
  const child = spawn(process.execPath, ['bin/pktpath.mjs', 'serve'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  serve = child;
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)$/m.exec(out);
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`pktpath serve exited ${code}`)));
  });
  const u = new URL(url);
  base = `${u.protocol}//${u.host}`;
  token = new URLSearchParams(u.hash.slice(1)).get('token')!;
}

type Reply<T> = { ok: true; response: T } | { ok: false; error: { code: string; message: string } };

/** One call to serve's `POST /api`, as any token holder could make it. */
async function call<T = Record<string, unknown>>(method: string, request: unknown): Promise<Reply<T>> {
  const r = await fetch(`${base}/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-pktpath-token': token },
    body: JSON.stringify({ id: 1, method, request }),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as Reply<T>;
}

function ok<T>(r: Reply<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.response;
}

/** Traces pings on the built-in local host with packet bytes and saves the session. */
async function traceSession(): Promise<void> {
  const topo = await createPair(localShell);
  try {
    const args = ['trace', 'local', '--mode', 'tracepoint', '--filter', `icmp and host ${topo.serverAddr}`];
    const tracing = pktpath(
      [...args, '--count', '4', '--duration', '40', '--capture', '96', '--save', SESSION],
      100_000,
    );
    let done = false;
    void tracing.then(() => (done = true));
    // until the trace has its packets, bounded by time: attaching and the host context capture take seconds on a
    // busy CI machine, and pings sent before the attach are never seen
    const t0 = Date.now();
    while (!done && Date.now() - t0 < 45_000) await ping(topo, 1, 0.2);
    const r = await tracing;
    if (r.code !== 0) throw new Error(`trace failed: ${r.stderr}`);
    const n = Number(/^local: (\d+) packets/m.exec(r.stdout)?.[1] ?? 0);
    if (n < 2) throw new Error(`the trace recorded ${n} packets: ${r.stdout.slice(0, 500)} ${r.stderr}`);
  } finally {
    await destroy(topo);
  }
}

beforeAll(async () => {
  if (!state || process.getuid?.() !== 0) return;
  mkdirSync(join(userHome, '.ssh'), { recursive: true });
  writeFileSync(join(userHome, '.bashrc'), '# the user’s own shell start-up\n');
  writeFileSync(outside, 'Host from-include\n  HostName 192.0.2.99\n');
  writeFileSync(
    join(userHome, '.ssh', 'config'),
    `Include ${outside}\nHost cfg-own\n  HostName 192.0.2.10\n  User ops\n`,
  );
  await traceSession();
  await startServe();
}, 180_000);

afterAll(() => {
  serve?.kill('SIGTERM');
  rmSync(scratch, { recursive: true, force: true });
});

describe('pktpath serve takes no server-side paths', () => {
  itServe('refuses the old path-taking requests and writes or reads nothing', async () => {
    const bashrc = join(userHome, '.bashrc');
    const before = readFileSync(bashrc, 'utf8');
    const write = await call('sessions.export', { id: SESSION, file: bashrc, format: 'markdown' });
    expect(write).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    if (!write.ok)
      expect(write.error.message).toBe('invalid sessions.export request: Unrecognized key: "file"');
    expect(readFileSync(bashrc, 'utf8')).toBe(before);

    // The old import's error quoted the first bytes of whatever file it was pointed at.
    const secret = join(scratch, 'secret.txt');
    writeFileSync(secret, 'SECRET-7f3a not a session\n');
    for (const [method, request] of [
      ['sessions.import', { file: secret }],
      ['hosts.importSshConfig', { file: secret }],
    ] as const) {
      const r = await call(method, request);
      expect(r).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
      expect(JSON.stringify(r)).not.toContain('SECRET-7f3a');
    }
  });

  itServe('exports a session as bytes and imports those bytes back, whole', async () => {
    const exported = ok(
      await call<{ name: string; mediaType: string; bytes: number; data: string }>('sessions.export', {
        id: SESSION,
      }),
    );
    const bytes = Buffer.from(exported.data, 'base64');
    expect(exported).toMatchObject({ name: `${SESSION}.pktpath`, bytes: bytes.length });
    expect(bytes.subarray(0, 17).toString()).toBe('pktpath-bundle 1\n');

    const imported = ok(
      await call<{ id: string }>('sessions.import', { data: exported.data, name: 'x.pktpath' }),
    );
    expect(imported.id).toMatch(new RegExp(`^${SESSION}-[0-9a-f]{6}$`));
    const [a, b] = await Promise.all(
      [SESSION, imported.id].map(async (id) => {
        const s = ok(await call<{ runs: { packets: number }[] }>('sessions.get', { id }));
        const page = ok(await call<{ packets: { id: number }[] }>('sessions.packets', { id, limit: 2000 }));
        const paths = [];
        for (const p of page.packets) paths.push(ok(await call('sessions.packet', { id, packet: p.id })));
        return { runs: s.runs, paths };
      }),
    );
    expect(a!.paths.length).toBeGreaterThanOrEqual(2);
    expect(b).toEqual(a);

    const md = ok(
      await call<{ data: string; name: string }>('sessions.export', { id: SESSION, format: 'markdown' }),
    );
    expect(md.name).toBe(`${SESSION}.md`);
    expect(Buffer.from(md.data, 'base64').toString()).toMatch(
      new RegExp(`^# .*\\n[^]*${SESSION}[^]*## Run 1: local`),
    );

    const pcap = ok(
      await call<{ data: string; name: string }>('sessions.export', { id: SESSION, format: 'pcapng' }),
    );
    const file = join(scratch, pcap.name);
    writeFileSync(file, Buffer.from(pcap.data, 'base64'));
    const frames = await exec('tshark', ['-r', file, '-T', 'fields', '-e', 'icmp.type']);
    expect(frames.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);
  });

  itServe('an upload over the cap is too-large, in one line that names the CLI', async () => {
    const data = Buffer.alloc(MAX_TRANSFER_BYTES + 3, 0x41).toString('base64');
    const r = await call('sessions.import', { data });
    expect(r).toMatchObject({ ok: false, error: { code: 'too-large' } });
    if (!r.ok) expect(r.error.message).toMatch(/larger than the 10 MiB .*pktpath sessions export\|import/);
    const garbage = await call('sessions.import', { data: Buffer.from('not a session').toString('base64') });
    expect(garbage).toMatchObject({ ok: false, error: { code: 'invalid-request' } });
  });

  itServe(
    'ssh_config: uploaded text never follows Include; no text means the user’s own ~/.ssh/config',
    async () => {
      const text = `Include ${outside}\nHost up-a\n  HostName 192.0.2.11\n`;
      const up = ok(
        await call<{ imported: { name: string; notes: string }[]; skipped: unknown[] }>(
          'hosts.importSshConfig',
          {
            text,
            name: 'laptop_config',
          },
        ),
      );
      expect(up.imported.map((h) => [h.name, h.notes])).toEqual([
        ['up-a', 'imported from laptop_config (Host up-a)'],
      ]);
      expect(up.skipped).toEqual([
        { name: `Include ${outside}`, reason: 'Include is not followed in uploaded text' },
      ]);

      const own = ok(await call<{ imported: { name: string }[] }>('hosts.importSshConfig', {}));
      expect(own.imported.map((h) => h.name).sort()).toEqual(['cfg-own', 'from-include']);
    },
  );
});

describe('the CLI keeps its FILE arguments', () => {
  itServe(
    'sessions export FILE / import FILE and hosts import-ssh-config FILE (Include followed)',
    async () => {
      const file = join(scratch, 'cli-export.pktpath');
      const exported = await pktpath(['sessions', 'export', SESSION, file, '--json']);
      expect(exported.code).toBe(0);
      expect(JSON.parse(exported.stdout)).toMatchObject({
        file,
        format: 'session',
        bytes: readFileSync(file).length,
      });
      const imported = await pktpath(['sessions', 'import', file]);
      expect(imported).toMatchObject({ code: 0, stderr: '' });
      expect(imported.stdout.trim()).toMatch(new RegExp(`^${SESSION}-[0-9a-f]{6}$`));

      const cfg = join(scratch, 'cli_config');
      writeFileSync(cfg, `Include ${join(scratch, 'cli-included.conf')}\n`);
      writeFileSync(join(scratch, 'cli-included.conf'), 'Host cli-inc\n  HostName 192.0.2.12\n');
      const hosts = await pktpath(['hosts', 'import-ssh-config', cfg, '--json']);
      expect(hosts.code).toBe(0);
      const r = JSON.parse(hosts.stdout) as { imported: { name: string; notes: string }[] };
      expect(r.imported.map((h) => [h.name, h.notes])).toEqual([
        ['cli-inc', `imported from ${cfg} (Host cli-inc)`],
      ]);
    },
  );
});

describe('the Sessions view downloads and uploads (Chromium against pktpath serve)', () => {
  let page: Page;
  let closeBrowser: (() => Promise<void>) | undefined;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!state || !serve) return;
    ({ page, close: closeBrowser } = await openApp(`${base}/#token=${token}`, {
      colorScheme: 'light',
      errors: pageErrors,
    }));
  }, 60_000);
  afterAll(() => closeBrowser?.());

  const shots = async (name: string) => {
    for (const theme of ['light', 'dark']) {
      if ((await page.locator('html').getAttribute('data-theme')) !== theme)
        await page.keyboard.press('Alt+t');
      for (const [w, h] of [
        [1440, 900],
        [1024, 700],
      ] as const) {
        await page.setViewportSize({ width: w, height: h });
        await page.screenshot({ path: join(ARTIFACTS, `sessions-${name}-${w}x${h}-${theme}.png`) });
      }
    }
    await page.setViewportSize({ width: 1440, height: 900 });
  };

  itBrowser('downloads a session file and uploads it back as a new session', async () => {
    await page.click('[data-view=sessions]');
    const row = page.locator(`tr[data-session="${SESSION}"]`);
    await row.waitFor();
    await row.click();
    await page.getByRole('button', { name: 'pcapng' }).waitFor(); // the run captured bytes
    await shots('export');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Session file', exact: true }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${SESSION}.pktpath`);
    const saved = join(scratch, 'browser-download.pktpath');
    await download.saveAs(saved);
    const cli = join(scratch, 'cli-same.pktpath');
    expect((await pktpath(['sessions', 'export', SESSION, cli])).code).toBe(0);
    expect(readFileSync(saved).equals(readFileSync(cli))).toBe(true);

    const before = await page.locator('tr[data-session]').count();
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Import session file…' }).click(),
    ]);
    await chooser.setFiles(saved);
    await expect.poll(() => page.getByTestId('toast').textContent()).toMatch(/^Imported “/);
    await expect.poll(() => page.locator('tr[data-session]').count()).toBe(before + 1);
    await shots('imported');
  });

  itBrowser('uploads an ssh_config in the Hosts view; its Include is listed as skipped', async () => {
    const cfg = join(scratch, 'browser_config');
    writeFileSync(cfg, `Include ${outside}\nHost up-browser\n  HostName 192.0.2.13\n`);
    await page.click('[data-view=hosts]');
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: 'Upload ssh_config…' }).click(),
    ]);
    await chooser.setFiles(cfg);
    // the preview first: the Include is listed as not imported, the host picked
    const dialog = page.getByRole('dialog', { name: 'Import hosts from ssh_config' });
    expect(await dialog.getByTestId('import-skipped').textContent()).toContain(
      `Include ${outside}: Include is not followed in uploaded text`,
    );
    await dialog.getByRole('button', { name: 'Import 1 host' }).click();
    await expect
      .poll(() => page.getByTestId('toast').textContent())
      .toBe(
        `Imported 1 host(s) from browser_config; skipped Include ${outside} (Include is not followed in uploaded text)`,
      );
    await page.locator('tr[data-host="up-browser"]').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
