import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { localShell, sh } from '../lab/exec.js';
import { createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { ARTIFACTS, CHROMIUM, openApp, paneFaults, SHOT_SIZES } from '../support/browser.js';
import { labContext } from '../support/lab-context.js';
import { descendantsOf, PKTPATH_BIN, startServe, type ServeProcess } from '../support/serve-process.js';

// The Trace view tells the truth about the run, through `pktpath serve` started from a shell and Debian's Chromium:
// the run state is the core's (a refused Start stays idle), Start is off while the form is wrong, why a run ended
// and how many events it lost are shown, cut packets are marked, and losing pktpath — stopped or restarted — is
// loud and never a hang. Traces run on this machine's kernel (`local`, raw tracepoints).
const { state, labIt } = labContext();
const itUi = labIt({ needs: { root: true, tools: [CHROMIUM, 'ip', 'ping', 'python3', 'ss', 'bash'] } });
const itBytes = labIt({ needs: { root: true, tools: [CHROMIUM, 'ping', 'tshark'] } });

const scratch = mkdtempSync(join(tmpdir(), 'pktpath-uitruth-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: join(scratch, 'home'),
  PKTPATH_HOME: join(scratch, 'data'),
  SSH_AUTH_SOCK: '',
};
const GONE_HOST = `gone-${process.pid}`;
let serve: ServeProcess | undefined;
let page: Page;
let closeBrowser: (() => Promise<void>) | undefined;
let topo: Topology | undefined;

const cli = (...args: string[]) =>
  execFileSync(process.execPath, [PKTPATH_BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });

beforeAll(async () => {
  if (!state || process.getuid?.() !== 0) return;
  mkdirSync(env.HOME!, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  cli('hosts', 'add', GONE_HOST, '--address', '127.0.0.1', '--port', '9'); // nothing listens: a check fails fast
  serve = await startServe({ tty: false, env });
  ({ page, close: closeBrowser } = await openApp(serve.url, { colorScheme: 'dark' }));
  await page.click('[data-view=trace]');
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  if (topo) await destroy(topo);
  rmSync(scratch, { recursive: true, force: true });
});

const startButton = () => page.getByRole('button', { name: '▶ Start' });
const phase = () => page.getByTestId('phase').textContent();

/** Screenshots of the Trace view as it is now: 1440x900 and 1024x700, light and dark. */
async function shots(name: string): Promise<void> {
  for (const theme of ['light', 'dark'])
    for (const [w, h] of [
      [1440, 900],
      [1024, 700],
    ] as const) {
      await page.evaluate('document.activeElement?.blur()'); // Alt+T is not for a focused input
      if ((await page.locator('html').getAttribute('data-theme')) !== theme)
        await page.keyboard.press('Alt+t');
      await page.setViewportSize({ width: w, height: h });
      await page.screenshot({ path: join(ARTIFACTS, `trace-${name}-${w}x${h}-${theme}.png`) });
    }
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Sets up a tracepoint trace of ICMP on `local` with the given limits. */
async function setUpTrace(filter: string, packets: string, seconds: string): Promise<void> {
  await page.getByLabel('host', { exact: true }).selectOption('local');
  await page.getByTestId('filter').fill(filter);
  await page.getByLabel('probe profile').selectOption('default');
  await page.getByLabel('attach mode').selectOption('tracepoint');
  await page.getByLabel('packet limit').fill(packets);
  await page.getByLabel('duration limit').fill(seconds);
}

async function waitForPhase(want: RegExp, timeoutMs: number): Promise<string | null> {
  await expect.poll(phase, { timeout: timeoutMs, interval: 200 }).toMatch(want);
  return phase();
}

describe('Trace view: the screen never lies', () => {
  itUi(
    'limits that are not plain numbers (1e, 5s) are refused in the form, not read as "no limit"',
    async () => {
      await setUpTrace('icmp', '1e', '30');
      await expect.poll(() => page.getByTestId('limit-error').textContent()).toContain('packet limit “1e”');
      expect(await startButton().isDisabled()).toBe(true);
      await page.getByLabel('packet limit').fill('100');
      await page.getByLabel('duration limit').fill('5s');
      await expect.poll(() => page.getByTestId('limit-error').textContent()).toContain('duration “5s”');
      expect(await page.getByTestId('start-blocked').textContent()).toContain('a limit is not a number');
      expect(await startButton().isDisabled()).toBe(true);
      await shots('limit-error');
      await page.getByLabel('duration limit').fill('2.5');
      await expect.poll(() => startButton().isDisabled()).toBe(false);
      expect(await page.getByTestId('limit-error').count()).toBe(0);
    },
  );

  itUi('Start is off while the probe-set editor shows errors', async () => {
    await setUpTrace('icmp', '100', '30');
    await page.getByLabel('probe profile').selectOption('custom');
    const editor = page.getByTestId('probe-editor');
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('ip_rcv_finish bogus=1');
    await expect
      .poll(() => page.getByTestId('probe-validation').textContent(), { timeout: 10_000 })
      .toMatch(/[1-9]\d* error/);
    await page.locator('.squiggly-error').first().waitFor();
    expect(await startButton().isDisabled()).toBe(true);
    expect(await page.getByTestId('start-blocked').textContent()).toMatch(/probe set has 1 error/);
    await page.keyboard.press('Control+Enter'); // the shortcut is off too
    expect(await phase()).toBe('idle');
    await shots('probe-errors');
    // all-skb has no text: neither the custom text's errors nor its function count may read as its own
    await page.getByLabel('probe profile').selectOption('all-skb');
    await expect.poll(() => page.getByTestId('probe-validation').count()).toBe(0);
    expect(await page.getByRole('heading', { name: /^Probe set/ }).textContent()).toBe('Probe set (all-skb)');
    await page.getByLabel('probe profile').selectOption('default');
    await expect.poll(() => startButton().isDisabled()).toBe(false);
  });

  itUi('Start is off while the host rejects the filter', async () => {
    // passes the local syntax check; only the host's libpcap knows a VLAN id's range
    await setUpTrace('vlan 5000', '100', '30');
    await expect
      .poll(() => page.getByTestId('filter-error').textContent(), { timeout: 15_000 })
      .toMatch(/^local: .*VLAN tag 5000 greater than maximum 4095/);
    expect(await startButton().isDisabled()).toBe(true);
    expect(await page.getByTestId('start-blocked').textContent()).toContain('local rejects the filter');
    await page.getByTestId('filter').fill('icmp');
    await expect.poll(() => startButton().isDisabled(), { timeout: 15_000 }).toBe(false);
  });

  itUi(
    'the host’s libpcap decides: what pktpath’s own check doubts but libpcap compiles starts',
    async () => {
      // each compiles with the loader's libpcap (a Cisco-style MAC, a short address, a direction primitive)
      for (const f of ['ether host 0011.2233.4455', 'host 10.1', 'inbound']) {
        await setUpTrace(f, '100', '30');
        await expect.poll(() => startButton().isDisabled(), { timeout: 15_000 }).toBe(false);
        expect(await page.getByTestId('filter-error').textContent(), f).toBe('');
      }
      // one both refuse: the host's word, with the local check's column as a hint
      await page.getByTestId('filter').fill('icmp and');
      await expect
        .poll(() => page.getByTestId('filter-error').textContent(), { timeout: 15_000 })
        .toBe(
          'local: can\'t parse filter expression: syntax error (column 6: "and" needs an expression after it)',
        );
      expect(await page.getByTestId('start-blocked').textContent()).toContain('local rejects the filter');
    },
  );

  itUi('a run says why it ended (duration elapsed)', async () => {
    await setUpTrace('icmp and host 192.0.2.99', '0', '1');
    await startButton().click();
    expect(await waitForPhase(/^(done|failed)$/, 60_000)).toBe('done');
    expect(await page.getByTestId('end-reason').textContent()).toBe('Ended: duration elapsed (1 s)');
    expect(await page.getByRole('button', { name: 'Save session…' }).isVisible()).toBe(true);
  });

  itUi(
    'a refused Start after a run: Start enabled, nothing running, the refusal shown, the last run kept',
    async () => {
      await page.getByLabel('host', { exact: true }).selectOption(GONE_HOST);
      cli('hosts', 'rm', GONE_HOST); // gone from the inventory behind the page's back: the core refuses
      await startButton().click();
      await page.getByTestId('start-error').waitFor({ timeout: 15_000 });
      expect(await page.getByTestId('start-error').textContent()).toContain(GONE_HOST);
      expect(await phase()).toBe('done'); // the run before, still there to be saved
      expect(await page.getByTestId('end-reason').textContent()).toBe('Ended: duration elapsed (1 s)');
      expect(await page.getByRole('button', { name: 'Save session…' }).isVisible()).toBe(true);
      expect(await page.getByRole('button', { name: '■ Stop' }).count()).toBe(0);
      expect(await startButton().isEnabled()).toBe(true);
      expect(await page.getByText('Waiting for packets').count()).toBe(0);
      expect(await page.getByText(/^Tracing “/).count()).toBe(0);
      await shots('start-refused');
    },
  );

  itBytes(
    '“bytes” keeps each packet’s first bytes: the saved session exports pcapng that tshark reads',
    async () => {
      await setUpTrace('icmp and host 127.0.0.1', '6', '4');
      const box = page.getByLabel('keep the bytes of each packet');
      await box.check();
      await shots('capture-bytes');
      await startButton().click();
      await expect.poll(phase, { timeout: 30_000 }).toMatch(/^(tracing|done)$/);
      const pinging = spawn('ping', ['-c', '3', '-i', '0.2', '127.0.0.1'], { stdio: 'ignore' });
      expect(await waitForPhase(/^(done|failed)$/, 60_000)).toBe('done');
      pinging.kill();
      await page.getByRole('button', { name: 'Save session…' }).click();
      const title = page.getByRole('textbox', { name: 'Session title' });
      await title.fill('bytes');
      await title.press('Enter');
      await expect.poll(() => page.getByTestId('toast').textContent()).toContain('Saved session “bytes”');
      await page.click('[data-view=sessions]');
      await page.locator('tr[data-session]', { hasText: 'bytes' }).click();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'pcapng' }).click(),
      ]);
      const file = join(scratch, 'bytes.pcapng');
      await download.saveAs(file);
      const types = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'icmp.type'], {
        encoding: 'utf8',
      });
      expect(types.trim().split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
      await page.click('[data-view=trace]');
      await box.uncheck(); // the later tests trace without bytes, as a user who never asked for them
    },
  );

  itUi(
    'a run that lost events says so, with what to do, and marks the packets it cut',
    async () => {
      topo = await createPair(localShell);
      await page.reload(); // the removed host left the page's list
      await page.getByText('connected (browser mode)').waitFor();
      await page.click('[data-view=trace]');
      const port = 40000 + Math.floor(Math.random() * 20000);
      await unreadUdpSocket(topo, port);
      await setUpTrace(`host ${topo.serverAddr}`, '0', '8');
      await startButton().click();
      await waitForPhase(/^tracing$/, 60_000);
      await sendUdp(topo, port); // queued to a socket nobody reads: still in flight when the run ends
      // A flood, and pktpath frozen meanwhile: the loader cannot write, the kernel's ring buffer fills, events
      // are lost and packets' ends go missing — what a busy host does to a slow reader.
      const flood = spawn(
        'ip',
        ['netns', 'exec', topo.client, 'ping', '-f', '-w', '4', '-q', topo.serverAddr],
        { stdio: 'ignore' },
      );
      const flooded = new Promise((r) => flood.on('close', r));
      await new Promise((r) => setTimeout(r, 800));
      process.kill(serve!.pid, 'SIGSTOP');
      await new Promise((r) => setTimeout(r, 3000));
      process.kill(serve!.pid, 'SIGCONT');
      await flooded;
      expect(await waitForPhase(/^(done|failed)$/, 60_000)).toBe('done');
      const banner = page.getByTestId('lost-banner');
      await banner.waitFor();
      expect(await banner.textContent()).toMatch(
        /[1-9][\d,]* events lost .*paths are incomplete.*narrow the filter/,
      );
      expect(await page.getByTestId('end-reason').textContent()).toBe('Ended: duration elapsed (8 s)');
      expect(await page.getByTestId('flag-counts').textContent()).toMatch(/[1-9][\d,]* still in flight/);
      // The datagram came first (after any ARP): the list's top shows its mark.
      await page.locator('.vlist-row:visible').first().click();
      await page.keyboard.press('Home');
      const cut = page.locator('.vlist-row:visible', { has: page.locator('[data-flag=cut]') }).last();
      await cut.waitFor();
      await cut.click();
      expect(await page.getByTestId('packet-flag-banner').textContent()).toContain(
        'Cut: still in flight when the trace ended',
      );
      await shots('lost-and-cut');
    },
    120_000,
  );

  itUi(
    'scope: a bad mark or TC point turns Start off with the reason; a netns and a TC observer reach the kernel',
    async () => {
      const t = topo!;
      await setUpTrace(`icmp and host ${t.serverAddr}`, '2', '30');
      await page.getByLabel('scope mark').fill('0x11/0xf0');
      await expect
        .poll(() => page.getByTestId('scope-error').textContent())
        .toContain('bits outside the mask');
      expect(await page.getByTestId('start-blocked').textContent()).toContain('a scope field is not valid');
      expect(await startButton().isDisabled()).toBe(true);
      await page.getByLabel('scope mark').fill('');
      await page.getByLabel('TC observers').fill('eth0:sideways');
      await expect
        .poll(() => page.getByTestId('scope-error').textContent())
        .toContain('TC point eth0:sideways');
      expect(await startButton().isDisabled()).toBe(true);
      await shots('scope-error');
      await page.getByLabel('TC observers').fill(`${t.serverIf}@${t.server}:ingress`);
      await page.getByLabel('scope netns').fill(t.server);
      await expect.poll(() => startButton().isDisabled()).toBe(false);
      await startButton().click();
      await waitForPhase(/^tracing$/, 60_000);
      for (let i = 0; i < 20 && (await phase()) === 'tracing'; i++) await ping(t, 1, 0.2);
      expect(await waitForPhase(/^(done|failed)$/, 60_000)).toBe('done');
      // the first packet is the request, followed from the server's veth: the TC observer's hop is on its path
      await page.locator('.vlist-row:visible').first().click();
      await page.keyboard.press('Home');
      const tcHop = page.locator('[data-mark=tc]').first();
      await tcHop.waitFor({ timeout: 10_000 });
      expect(await page.getByTitle(`TC observer tc/ingress/${t.serverIf}`).count()).toBeGreaterThan(0);
      await shots('scope-tc');
      // three panes at 1024 px: the list keeps to its pane, the hop table shows the function's name
      for (const [w, h] of SHOT_SIZES) {
        await page.setViewportSize({ width: w, height: h });
        await page.waitForTimeout(200);
        expect(await paneFaults(page), `${w}x${h}`).toEqual([]);
      }
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.getByLabel('TC observers').fill('');
      await page.getByLabel('scope netns').fill('');
    },
    120_000,
  );

  itUi(
    'the live timeline grows while the run traces, counts what the list holds, and a drag across it filters the list',
    async () => {
      const t = topo!;
      await setUpTrace(`icmp and host ${t.serverAddr}`, '0', '7');
      await startButton().click();
      await waitForPhase(/^tracing$/, 60_000);
      const pinging = spawn(
        'ip',
        ['netns', 'exec', t.client, 'ping', '-i', '0.2', '-w', '6', '-q', t.serverAddr],
        {
          stdio: 'ignore',
        },
      );
      const pinged = new Promise((r) => pinging.on('close', r));
      // every packet the legend counts, whatever its colour
      const legendTotal = async () => {
        const text = (await page.locator('[data-testid=timeline-legend]:visible').textContent()) ?? '';
        return [...text.matchAll(/([\d,]+) (?:delivered|dropped|unknown)/g)].reduce(
          (n, m) => n + Number(m[1]!.replace(/,/g, '')),
          0,
        );
      };
      await expect.poll(legendTotal, { timeout: 20_000 }).toBeGreaterThan(0);
      const early = await legendTotal();
      await expect.poll(legendTotal, { timeout: 20_000 }).toBeGreaterThan(early + 4); // it grows as packets come
      expect(await phase()).toBe('tracing');
      // a healthy ping, live: each echo reply's NO_SOCKET free is joined by its socket copy (a new packet to
      // tracepoints, seen after the reply was published), so none stays dropped
      await expect
        .poll(() => page.locator('[data-testid=timeline-legend]:visible').textContent(), { timeout: 5000 })
        .not.toContain('dropped');
      expect(await page.locator('.vlist-row.dropped:visible').count()).toBe(0);
      await shots('live-timeline');
      await pinged;
      expect(await waitForPhase(/^(done|failed)$/, 60_000)).toBe('done');
      // ended: the timeline counts exactly the packets the list holds
      const count = () => page.locator('[data-testid=packet-count]:visible').textContent();
      const total = Number(((await count()) ?? '').replace(/,/g, ''));
      expect(total).toBeGreaterThan(20); // ~30 requests and their replies, and the replies' socket copies
      await expect.poll(legendTotal).toBe(total);
      // a drag across the first half of the plot keeps the list to the packets in that range
      const plot = page.locator('[data-testid=timeline-plot]:visible');
      const box = (await plot.boundingBox())!;
      const y = box.y + box.height / 2;
      await page.mouse.move(box.x + 2, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.5, y, { steps: 6 });
      await page.mouse.up();
      await expect.poll(count).toMatch(new RegExp(`^[\\d,]+ of ${total.toLocaleString('en-US')}$`));
      const shown = Number(((await count()) ?? '').split(' of ')[0]!.replace(/,/g, ''));
      expect(shown).toBeGreaterThan(0);
      expect(shown).toBeLessThan(total);
      expect(await page.getByTestId('timeline-delta').first().textContent()).toMatch(/Δt /);
      await plot.focus();
      await page.keyboard.press('Escape');
      await expect.poll(count).toBe(total.toLocaleString('en-US'));
    },
    120_000,
  );

  itUi(
    'the connection cut while a run ends: reconnected, the page shows the end from the core and can save the run',
    async () => {
      await setUpTrace(`host ${topo!.serverAddr}`, '0', '3');
      await startButton().click();
      await waitForPhase(/^tracing$/, 60_000);
      // The page's connection is cut (the kernel destroys the socket; pktpath and its run go on) and the run ends
      // before the page is back: its trace.end is missed.
      execFileSync('ss', ['-K', 'state', 'established', `( sport = :${serve!.port} )`]);
      await expect
        .poll(() => page.getByTestId('connection').textContent(), { timeout: 15_000 })
        .not.toContain('connected');
      await new Promise((r) => setTimeout(r, 4000));
      await expect
        .poll(() => page.getByTestId('connection').textContent(), { timeout: 15_000 })
        .toContain('connected');
      expect(await waitForPhase(/^(done|failed)$/, 15_000)).toBe('done');
      expect(await page.getByTestId('end-reason').textContent()).toBe('Ended: duration elapsed (3 s)');
      await page.getByRole('button', { name: 'Save session…' }).click();
      const title = page.getByRole('textbox', { name: 'Session title' });
      await title.fill(`after reconnect ${process.pid}`);
      await title.press('Enter');
      await expect
        .poll(() => page.getByTestId('toast').textContent(), { timeout: 15_000 })
        .toContain(`Saved session “after reconnect ${process.pid}”`);
    },
    120_000,
  );

  itUi(
    'pktpath killed: a call fails within seconds with a clear message and a banner, the run is not left TRACING',
    async () => {
      await setUpTrace(`icmp and host ${topo!.serverAddr}`, '0', '60');
      await startButton().click();
      await waitForPhase(/^tracing$/, 60_000);
      const before = descendantsOf(serve!.pid);
      process.kill(serve!.pid, 'SIGKILL');
      await serve!.exited;
      // Once the page has seen its socket close, a call (Probe) fails at once with the reason; it does not hang.
      await expect.poll(() => page.getByTestId('connection').textContent()).not.toContain('connected');
      const t0 = Date.now();
      await page.getByRole('button', { name: 'Probe', exact: true }).click();
      await expect
        .poll(() => page.getByTestId('toast').textContent(), { timeout: 10_000 })
        .toContain('pktpath is not running');
      expect(Date.now() - t0).toBeLessThan(10_000);
      const banner = page.getByTestId('connection-banner');
      await banner.waitFor({ timeout: 10_000 });
      expect(await banner.textContent()).toContain('pktpath is not running');
      expect(await page.getByTestId('progress').textContent()).toContain(
        'Connection lost: the state shown is the last the core reported',
      );
      await shots('server-gone');
      // The loader saw its stdin close with pktpath and detached.
      await expect.poll(() => before.filter((p) => alive(p)).length, { timeout: 10_000 }).toBe(0);
    },
    120_000,
  );

  itUi(
    'pktpath restarted (a new token): the page says so and how to reconnect, and the run ended',
    async () => {
      const port = serve!.port;
      serve = await startServe({ tty: false, env, args: ['--port', String(port)] });
      expect(serve.token).not.toBe(new URL(page.url()).hash.slice('#token='.length));
      const banner = page.getByTestId('connection-banner');
      await expect
        .poll(() => banner.textContent(), { timeout: 20_000 })
        .toContain('pktpath restarted: open the new URL printed in its terminal');
      expect(await phase()).toBe('failed');
      expect(await page.getByTestId('end-reason').textContent()).toContain('pktpath restarted');
      expect(await page.getByRole('button', { name: '■ Stop' }).count()).toBe(0);
      expect(await startButton().isDisabled()).toBe(true);
      // the old process took the run with it: nothing to save
      expect(await page.getByRole('button', { name: 'Save session…' }).count()).toBe(0);
      await shots('server-restarted');
    },
  );
});

async function unreadUdpSocket(t: Topology, port: number): Promise<void> {
  await sh(
    localShell,
    `ip netns exec ${t.server} python3 -c 'import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("${t.serverAddr}",${port})); time.sleep(120)' > /dev/null 2>&1 &
for i in $(seq 50); do ip netns exec ${t.server} ss -uln | grep -q ":${port}" && exit 0; sleep 0.1; done; exit 1`,
  );
}
const sendUdp = (t: Topology, port: number) =>
  sh(localShell, `ip netns exec ${t.client} bash -c 'echo pktpath > /dev/udp/${t.serverAddr}/${port}'`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
