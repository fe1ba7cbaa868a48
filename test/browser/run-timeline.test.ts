import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { formatCount, formatNs } from '../../renderer/src/model/format.js';
import { ARTIFACTS, CHROMIUM, openApp, shotsAt } from '../support/browser.js';
import { gatedIt, missing } from '../support/requirements.js';
import { PKTPATH_BIN, startServe, type ServeProcess } from '../support/serve-process.js';

// The run's timeline (issue 10: "packets over time, coloured by verdict, zoom/pan, A/B markers giving Δt; selecting
// a range filters the list"), through `pktpath serve` started as a user starts it and Debian's Chromium, on a
// 100k-packet session imported with the CLI: three bursts of traffic, drops only in the middle one. Every expected
// count is computed here from the packets written to the session, never read back from the page. Screenshots
// `test-results/timeline-*-{1440x900,1024x700}-{light,dark}.png`, each checked by axe.
const itUi = gatedIt(missing({ tools: [CHROMIUM] }));

const N = 100_000;
const T0 = 7_000_000_000;
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-timeline-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: join(scratch, 'home'),
  PKTPATH_HOME: join(scratch, 'data'),
  SSH_AUTH_SOCK: '',
};
let serve: ServeProcess | undefined;
let page: Page;
let closeBrowser: (() => Promise<void>) | undefined;

/** Packet i's first hop, ns since the run's first: a third over 0–1 s, a third over 2–2.5 s, a third over 4–6 s. */
const THIRD = Math.ceil(N / 3);
function startOf(i: number): number {
  if (i < THIRD) return i * Math.floor(1e9 / THIRD);
  if (i < 2 * THIRD) return 2e9 + (i - THIRD) * Math.floor(0.5e9 / THIRD);
  return 4e9 + (i - 2 * THIRD) * Math.floor(2e9 / THIRD);
}
/** Every 3rd packet of the middle burst is dropped (a firewall rule added, then removed). */
const dropped = (i: number) => i >= THIRD && i < 2 * THIRD && i % 3 === 0;

function packet(i: number) {
  const t = T0 + startOf(i);
  const at = (fn: string, dt: number, extra: Record<string, unknown> = {}) => ({
    function: fn,
    ts_ns: t + dt,
    ifindex: 2,
    netns: 4026531840,
    len: 84,
    ...extra,
  });
  const tuple = { proto: 6, saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 40_000 + (i % 1000), dport: 443 };
  return dropped(i)
    ? {
        id: i + 1,
        drop_reason: 'NETFILTER_DROP',
        hops: [
          at('ip_rcv', 0, { tuple }),
          at('nf_hook_slow', 800),
          at('kfree_skb', 1500, { drop_reason: 'NETFILTER_DROP' }),
        ],
      }
    : {
        id: i + 1,
        drop_reason: null,
        verdict: { kind: 'delivered', summary: 'delivered (tcp socket)' },
        hops: [at('ip_rcv', 0, { tuple }), at('tcp_v4_rcv', 900), at('tcp_v4_do_rcv', 2000)],
      };
}
const STARTS = Array.from({ length: N }, (_, i) => startOf(i));
const DROPS = STARTS.filter((_, i) => dropped(i)).length;
const inRange = (a: number, b: number) =>
  STARTS.filter((t) => t >= Math.min(a, b) && t <= Math.max(a, b)).length;

const cli = (...args: string[]) =>
  execFileSync(process.execPath, [PKTPATH_BIN, ...args], { env, encoding: 'utf8', timeout: 120_000 });

beforeAll(async () => {
  if (missing({ tools: [CHROMIUM] })) return;
  mkdirSync(env.HOME!, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const at = '2026-03-04T05:06:07.000Z';
  const file = join(scratch, 'timeline.session.json');
  const run = {
    id: 'r1',
    host: 'web1',
    spec: { host: 'web1', filter: 'tcp port 443' },
    mode: 'kprobe-multi',
  };
  writeFileSync(
    file,
    JSON.stringify({
      format: 'pktpath-session',
      version: 1,
      id: 'tline',
      title: 'timeline 100k',
      createdAt: at,
      updatedAt: at,
      hosts: [{ name: 'web1', address: '10.0.0.5' }],
      runs: [{ ...run, startedAt: at, endedAt: at, packets: Array.from({ length: N }, (_, i) => packet(i)) }],
    }),
  );
  expect(cli('sessions', 'import', file).trim()).toBe('tline');
  serve = await startServe({ tty: false, env });
  ({ page, close: closeBrowser } = await openApp(serve.url, { timezoneId: 'UTC' }));
  await page.click('[data-view=sessions]');
  await page.locator('tr[data-session="tline"]').getByRole('button', { name: 'Open' }).click();
  await page
    .locator('[data-testid=packet-count]:visible', { hasText: formatCount(N) })
    .waitFor({ timeout: 30_000 });
}, 180_000);

afterAll(async () => {
  await closeBrowser?.();
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

const plot = () => page.locator('[data-testid=timeline-plot]:visible');
const attr = async (name: string) => {
  const v = await plot().getAttribute(name);
  return v === null ? undefined : Number(v);
};
/** The window the bars show, ns since the run's first packet. */
const shown = async () => ({
  from: (await attr('data-from-ns')) ?? NaN,
  to: (await attr('data-to-ns')) ?? NaN,
});
const span = async () => {
  const w = await shown();
  return w.to - w.from;
};
const delta = () => page.locator('[data-testid=timeline]:visible [data-testid=timeline-delta]').textContent();
const count = () => page.locator('[data-testid=packet-count]:visible').textContent();
const countIs = (want: string) => expect.poll(count, { timeout: 30_000 }).toBe(want);
const LAST = STARTS[N - 1]!;
const shots = (name: string) => shotsAt(page, 'timeline', name);

/** The markers A and B now on the timeline. */
async function markers(): Promise<{ a: number; b: number }> {
  await expect.poll(() => attr('data-b-ns')).toBeDefined();
  return { a: (await attr('data-a-ns'))!, b: (await attr('data-b-ns'))! };
}

/** The list shows exactly the packets whose first hop lies between A and B, and Δt is B − A. */
async function expectListIsRange(): Promise<void> {
  const { a, b } = await markers();
  const want = inRange(a, b);
  expect(want, 'the range holds some packets, not all').toBeGreaterThan(0);
  expect(want).toBeLessThan(N);
  await countIs(`${formatCount(want)} of ${formatCount(N)}`);
  expect(await delta()).toContain(`Δt ${formatNs(Math.abs(b - a))}`);
}

describe('run timeline (browser mode, 100k-packet session)', { timeout: 120_000 }, () => {
  itUi('shows every packet of the saved run over its whole span, drops in red', async () => {
    await expect.poll(shown).toEqual({ from: 0, to: LAST });
    const legend = await page.locator('[data-testid=timeline-legend]:visible').textContent();
    expect(legend).toContain(`${formatCount(N - DROPS)} delivered/forwarded/sent`);
    expect(legend).toContain(`${formatCount(DROPS)} dropped`);
    // red is drawn, and only where the drops are: the middle burst (2–2.5 s of 6 s)
    const red = await page.locator('.tl-bars .tl-bad:visible').getAttribute('d');
    const xs = [...(red ?? '').matchAll(/M([\d.]+) /g)].map((m) => Number(m[1]));
    const buckets = Number((await page.locator('.tl-bars:visible').getAttribute('viewBox'))?.split(' ')[2]);
    expect(xs.length).toBeGreaterThan(0);
    for (const x of xs) expect(x / buckets).toBeGreaterThan(2e9 / LAST - 0.01);
    for (const x of xs) expect(x / buckets).toBeLessThan(2.5e9 / LAST + 0.01);
    await shots('whole-run');
  });

  itUi(
    'a drag across the plot sets A and B: the list holds exactly the packets between them, Δt shown',
    async () => {
      const box = (await plot().boundingBox())!;
      const y = box.y + box.height / 2;
      await page.mouse.move(box.x + box.width * 0.3, y);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.45, y, { steps: 5 });
      await page.mouse.move(box.x + box.width * 0.6, y, { steps: 5 });
      await page.mouse.up();
      await expectListIsRange();
      const { a, b } = await markers();
      expect(a / LAST).toBeCloseTo(0.3, 1);
      expect(b / LAST).toBeCloseTo(0.6, 1);
      // the list starts at the first packet at or after A
      const first = await page.locator('.vlist-row:visible [data-col=id]').first().textContent();
      expect(Number(first)).toBe(STARTS.findIndex((t) => t >= a) + 1);
      await shots('range');
    },
  );

  itUi(
    'by keyboard: Escape clears, + and − zoom, arrows pan, A and B at the cursor, Z zooms to them, 0 fits',
    async () => {
      await plot().focus();
      await page.keyboard.press('Escape');
      await countIs(formatCount(N));
      expect(await delta()).toBe('');
      expect(await attr('data-a-ns')).toBeUndefined();
      // a visible focus ring on the focused plot
      expect(
        await plot().evaluate(
          (e) => e.matches(':focus-visible') && e.ownerDocument.defaultView?.getComputedStyle(e).outlineStyle,
        ),
      ).toBe('solid');

      await page.keyboard.press('+');
      await expect.poll(span).toBeCloseTo(LAST / 2, -3);
      await page.keyboard.press('+');
      await expect.poll(span).toBeCloseTo(LAST / 4, -3);
      const before = await shown();
      await page.keyboard.press('ArrowRight');
      await expect.poll(async () => (await shown()).from).toBeCloseTo(before.from + LAST / 40, -3);
      await page.keyboard.press('-');
      await expect.poll(span).toBeCloseTo(LAST / 2, -3);

      // Shift+arrows move the cursor a hundredth of the window: 20 left of where it is, then 30 right
      const c0 = (await attr('data-cursor'))!;
      for (let i = 0; i < 20; i++) await page.keyboard.press('Shift+ArrowLeft');
      await page.keyboard.press('a');
      for (let i = 0; i < 30; i++) await page.keyboard.press('Shift+ArrowRight');
      await page.keyboard.press('b');
      const w = await shown();
      const { a, b } = await markers();
      const at = Math.max(0, c0 - 0.2);
      expect((a - w.from) / (w.to - w.from)).toBeCloseTo(at, 2);
      expect((b - w.from) / (w.to - w.from)).toBeCloseTo(Math.min(1, at + 0.3), 2);
      await expectListIsRange();
      await shots('zoomed');
      await plot().focus(); // the screenshots' theme switch took the focus

      await page.keyboard.press('z');
      await expect.poll(shown).toEqual({ from: a, to: b });
      await page.keyboard.press('0');
      await expect.poll(shown).toEqual({ from: 0, to: LAST });
      // the range stays (the list too) until Escape
      await expectListIsRange();
      await page.keyboard.press('Escape');
      await countIs(formatCount(N));
    },
  );

  itUi('the mouse wheel zooms around the pointer, and the buttons work without a keyboard', async () => {
    await plot().focus();
    await page.keyboard.press('0');
    await expect.poll(span).toBe(LAST);
    const box = (await plot().boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.wheel(0, -100);
    await expect.poll(span).toBeCloseTo(LAST * 0.8, -3);
    await page.getByRole('button', { name: 'Fit' }).filter({ visible: true }).click();
    await expect.poll(span).toBe(LAST);
    // a click (no drag) puts the cursor mid-plot and sets no marker
    await page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2);
    expect(await attr('data-a-ns')).toBeUndefined();
    await page.getByRole('button', { name: 'zoom in' }).filter({ visible: true }).click();
    await expect.poll(span).toBeCloseTo(LAST / 2, -3);
    await page.getByRole('button', { name: 'Set A' }).filter({ visible: true }).click();
    await page.getByRole('button', { name: 'zoom out' }).filter({ visible: true }).click();
    await expect.poll(span).toBe(LAST);
    await page.getByRole('button', { name: 'Set B' }).filter({ visible: true }).click();
    // A was set at the middle of the zoomed window, B at the middle of the whole run: both mid-run
    const { a, b } = await markers();
    expect(a).toBeCloseTo(LAST / 2, -4);
    expect(b).toBeCloseTo(LAST / 2, -4);
    await page.getByRole('button', { name: 'Clear range' }).filter({ visible: true }).click();
    await countIs(formatCount(N));
  });
});
