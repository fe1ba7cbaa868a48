import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, openApp, paneFaults } from '../support/browser.js';
import { PKTPATH_BIN, startServe, type ServeProcess } from '../support/serve-process.js';

// The packet list as a work surface (issue 10, "Finding the packet"), through `pktpath serve` started as a user
// starts it and Debian's Chromium: a 20k-packet session imported with the CLI, opened in the Sessions view. The
// display filter is checked as you type (red with where, green) and applied by the core; drops only, sorting, next/
// previous drop (d / Shift+D), `/`, go to packet (Ctrl+G); wall-clock times from the loader's clock reading;
// durations without exponents; the lost-events banner, cut/partial marks and why the run ended; the columns that
// matter never cut at 1440×900 and 1024×700. Screenshots `test-results/packets-*-{size}-{theme}.png`.

const N = 20_000;
const T0 = 2_000_000_000; // ktime of packet 1's first hop
const MONO = 1_500_000_000; // the loader's paired clock reading
const REAL_MS = Date.UTC(2026, 0, 2, 3, 4, 5, 250);

const scratch = mkdtempSync(join(tmpdir(), 'pktpath-plist-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOME: join(scratch, 'home'),
  PKTPATH_HOME: join(scratch, 'data'),
  SSH_AUTH_SOCK: '',
};
let serve: ServeProcess | undefined;
let page: Page;
let closeBrowser: (() => Promise<void>) | undefined;

const hop = (fn: string, ts: number, extra: Record<string, unknown> = {}) => ({
  function: fn,
  ts_ns: ts,
  ifindex: 2,
  netns: 4026531840,
  len: 84,
  ...extra,
});

/** Packet i (1-based): every 10th a TCP :443 drop in netns router, ICMP pings, UDP over IPv6, TCP :443 delivered. */
function packet(i: number) {
  const t = T0 + (i - 1) * 50_000;
  const dur = i === 7 ? 999_999 : 1_000 + ((i * 7919) % 5_000_000);
  const k = i % 10;
  const flags = {
    ...(i % 1000 === 999 ? { cut: true } : {}),
    ...(i % 1000 === 998 ? { partial: true } : {}),
  };
  if (k === 0)
    return {
      id: i,
      drop_reason: 'NETFILTER_DROP',
      ...(i % 20 === 0 ? { verdict: { kind: 'dropped', summary: 'dropped by nftables' } } : {}),
      hops: [
        hop('ip_rcv', t, {
          tuple: { proto: 6, saddr: '10.0.0.1', daddr: '192.168.1.9', sport: 40000, dport: 443 },
        }),
        hop('nf_hook_slow', t + dur / 2, {
          ifindex: 7,
          ifname: 'eth1',
          netns: 4026532000,
          netns_name: 'router',
        }),
        hop('kfree_skb', t + dur, { drop_reason: 'NETFILTER_DROP' }),
      ],
      ...flags,
    };
  if (k <= 5)
    return {
      id: i,
      drop_reason: null,
      verdict: { kind: 'delivered', summary: 'delivered (ping socket)' },
      hops: [
        hop('netif_receive_skb', t, {
          tuple: { proto: 1, saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 0, dport: 0 },
        }),
        hop('ip_rcv', t + dur / 3, { ifname: 'veth0' }),
        hop('icmp_rcv', t + (2 * dur) / 3),
        hop('ping_queue_rcv_skb', t + (5 * dur) / 6), // explain reads the delivery here (a stored verdict is not read)
        // recvmsg's copy, with the task it ran in (loader frame type 5): the receiving process
        hop('skb_copy_datagram_iovec', t + (11 * dur) / 12, { task: { pid: 4242, tid: 4242, comm: 'ping' } }),
        hop('consume_skb', t + dur),
      ],
      ...flags,
    };
  if (k <= 8)
    return {
      id: i,
      drop_reason: null,
      hops: [
        hop('ipv6_rcv', t, {
          tuple: { proto: 17, saddr: 'fe80::1', daddr: '2001:db8::53', sport: 5353, dport: 53 },
        }),
        hop('udp_rcv', t + dur),
      ],
      ...flags,
    };
  return {
    id: i,
    drop_reason: null,
    verdict: { kind: 'delivered', summary: 'delivered (tcp socket)' },
    hops: [
      hop('ip_rcv', t, {
        tuple: { proto: 6, saddr: '10.0.0.3', daddr: '10.0.0.4', sport: 5000, dport: 443 },
      }),
      hop('tcp_v4_rcv', t + dur / 2),
      hop('tcp_v4_do_rcv', t + dur),
    ],
    ...flags,
  };
}
const PACKETS = Array.from({ length: N }, (_, i) => packet(i + 1));
const durOf = (p: ReturnType<typeof packet>) => (p.hops.at(-1)?.ts_ns ?? 0) - (p.hops[0]?.ts_ns ?? 0);

const cli = (...args: string[]) =>
  execFileSync(process.execPath, [PKTPATH_BIN, ...args], { env, encoding: 'utf8', timeout: 60_000 });

beforeAll(async () => {
  mkdirSync(env.HOME!, { recursive: true });
  mkdirSync(ARTIFACTS, { recursive: true });
  const at = new Date(REAL_MS).toISOString();
  const file = join(scratch, 'plist.session.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'pktpath-session',
      version: 1,
      id: 'plist',
      title: 'packet list 20k',
      createdAt: at,
      updatedAt: at,
      hosts: [{ name: 'web1', address: '10.0.0.5' }],
      runs: [
        {
          id: 'r1',
          host: 'web1',
          spec: { host: 'web1', filter: 'ip or ip6', limits: { durationS: 12 } },
          mode: 'kprobe-multi',
          startedAt: at,
          endedAt: at,
          lost: 1234,
          events: [
            { t_ms: 0, kind: 'hello', data: { clock: { monotonicNs: MONO, realtimeNs: REAL_MS * 1e6 } } },
            { t_ms: 12_000, kind: 'done', data: { reason: 'duration', elapsedMs: 12_000 } },
          ],
          packets: PACKETS,
        },
      ],
    }),
  );
  expect(cli('sessions', 'import', file).trim()).toBe('plist');
  serve = await startServe({ tty: false, env });
  ({ page, close: closeBrowser } = await openApp(serve.url, { timezoneId: 'UTC' }));
  await page.click('[data-view=sessions]');
  await page.locator('tr[data-session="plist"]').getByRole('button', { name: 'Open' }).click();
  await page
    .locator('[data-testid=packet-count]:visible', { hasText: '20,000' })
    .waitFor({ timeout: 30_000 });
}, 120_000);

afterAll(async () => {
  await closeBrowser?.();
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

const filterBox = () => page.locator('[data-testid=display-filter]:visible');
const filterError = () => page.locator('[data-testid=display-filter-error]:visible');
const rows = () => page.locator('.vlist-row:visible');
async function count(): Promise<string> {
  const c = page.locator('[data-testid=packet-count]:visible');
  await expect.poll(() => c.textContent(), { timeout: 30_000 }).not.toMatch(/…/);
  return (await c.textContent()) ?? '';
}
/** Waits for the list to show `want` packets. */
const countIs = (want: string) => expect.poll(count, { timeout: 30_000 }).toBe(want);
/** The visible rows' cells of one column, in list order (rows sit in slot order in the DOM). */
const col = (name: string) =>
  rows().evaluateAll(
    (els, n) =>
      els
        .map((e) => ({
          i: Number(e.getAttribute('data-index')),
          t: e.querySelector(`[data-col="${n}"]`)?.textContent,
        }))
        .filter((x) => x.t !== undefined)
        .sort((a, b) => a.i - b.i)
        .map((x) => x.t ?? ''),
    name,
  );
const selectedId = async () => {
  const sel = page.locator('.vlist-row.selected:visible [data-col=id]');
  await sel.waitFor({ timeout: 10_000 });
  return Number(await sel.textContent());
};
const expected = (pred: (p: ReturnType<typeof packet>) => boolean) =>
  `${PACKETS.filter(pred).length.toLocaleString('en-US')} of 20,000`;

async function shots(name: string): Promise<void> {
  for (const theme of ['light', 'dark'])
    for (const [w, h] of [
      [1440, 900],
      [1024, 700],
    ] as const) {
      await page.evaluate('document.activeElement?.blur()');
      if ((await page.locator('html').getAttribute('data-theme')) !== theme)
        await page.keyboard.press('Alt+t');
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(150);
      await page.screenshot({ path: join(ARTIFACTS, `packets-${name}-${w}x${h}-${theme}.png`) });
    }
  await page.setViewportSize({ width: 1440, height: 900 });
}

describe('packet list (browser mode, 20k-packet session)', { timeout: 120_000 }, () => {
  it('checks the display filter as you type: red with where and what, the list untouched; green and applied', async () => {
    await filterBox().fill('ip.adr == 10.0.0.1');
    await expect.poll(() => filterBox().getAttribute('class')).toContain('invalid');
    expect(await filterError().textContent()).toBe(
      'at character 1 (“ip.adr”): unknown field “ip.adr” — did you mean ip.addr?',
    );
    expect(await count()).toBe('20,000');
    await shots('filter-error');
    await filterBox().fill('tcp.port == 443 && drop');
    await expect.poll(() => filterBox().getAttribute('class')).toContain(' valid');
    expect(await filterError().count()).toBe(0);
    await countIs('2,000 of 20,000');
    const tuples = await col('tuple');
    expect(tuples.length).toBeGreaterThan(5);
    for (const t of tuples) expect(t).toBe('TCP 10.0.0.1:40000 → 192.168.1.9:443');
    for (const v of await col('verdict')) expect(v).toBe('dropped');
    await shots('filter-applied');
  });

  it.each<[string, (p: ReturnType<typeof packet>) => boolean]>([
    ['iface == eth1 || netns == router', (p) => p.id % 10 === 0],
    ['func contains icmp', (p) => p.id % 10 >= 1 && p.id % 10 <= 5],
    ['ip.addr == 2001:db8::/32', (p) => p.id % 10 >= 6 && p.id % 10 <= 8],
    ['dur > 1ms && !drop', (p) => durOf(p) > 1e6 && !p.drop_reason],
    ['verdict == delivered', (p) => (p.id % 10 >= 1 && p.id % 10 <= 5) || p.id % 10 === 9],
    ['verdict == dropped', (p) => p.id % 10 === 0],
    ['cut or partial', (p) => p.id % 1000 >= 998],
  ])('the core applies %j to the saved run', async (filter, pred) => {
    await filterBox().fill(filter);
    await countIs(expected(pred));
  });

  it('drops only, and sorting by duration both ways and back to time', async () => {
    await filterBox().fill('');
    await countIs('20,000');
    const drops = page.getByLabel('drops only').filter({ visible: true });
    await drops.check();
    await countIs('2,000 of 20,000');
    await drops.uncheck();
    await countIs('20,000');
    const byDur = [...PACKETS].sort((a, b) => durOf(b) - durOf(a) || a.id - b.id).map((p) => String(p.id));
    await page.locator('.pl-sort:visible', { hasText: 'duration' }).click();
    await expect.poll(async () => (await col('id')).slice(0, 8)).toEqual(byDur.slice(0, 8));
    await page.locator('.pl-sort:visible', { hasText: 'duration' }).click();
    const asc = [...PACKETS].sort((a, b) => durOf(a) - durOf(b) || a.id - b.id).map((p) => String(p.id));
    await expect.poll(async () => (await col('id')).slice(0, 8)).toEqual(asc.slice(0, 8));
    await page.locator('.pl-sort:visible', { hasText: 'time' }).click();
    await expect.poll(async () => (await col('id')).slice(0, 3)).toEqual(['1', '2', '3']);
  });

  it('/ focuses the filter; d / Shift+D walk the drops; Ctrl+G goes to a packet', async () => {
    await rows().first().click();
    expect(await selectedId()).toBe(1);
    await page.keyboard.press('/');
    expect(await page.evaluate("document.activeElement?.getAttribute('data-testid')")).toBe('display-filter');
    await rows().first().click();
    await page.keyboard.press('d');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(10);
    await page.keyboard.press('d');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(20);
    await page.keyboard.press('Shift+D');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(10);
    await page.keyboard.press('Control+g');
    await page.keyboard.type('15000');
    await page.keyboard.press('Enter');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(15000);
    await page.locator('[data-testid=packet-detail]:visible', { hasText: 'Packet 15000' }).waitFor();
    // past the last drop, it says so
    await page.keyboard.press('Control+g');
    await page.keyboard.type('19999');
    await page.keyboard.press('Enter');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(19999);
    await page.keyboard.press('d');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(20000);
    await page.keyboard.press('d');
    await expect
      .poll(() => page.locator('[data-testid=list-note]:visible').textContent())
      .toBe('no drop after this row');
  });

  it('shows wall-clock times from the loader’s clock reading, sane durations, data quality and why the run ended', async () => {
    await page.keyboard.press('Control+g');
    await page.keyboard.type('1');
    await page.keyboard.press('Enter');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(1);
    // ktime T0 is REAL − MONO + T0 = 03:04:05.250 + 0.5 s, in UTC (the page's time zone here)
    expect((await col('wall')).slice(0, 3)).toEqual([
      '03:04:05.750000',
      '03:04:05.750050',
      '03:04:05.750100',
    ]);
    expect((await col('time')).slice(0, 3)).toEqual(['+0 µs', '+50 µs', '+100 µs']);
    expect((await col('duration'))[6]).toBe('1.00 ms');
    for (const d of await col('duration')) expect(d).not.toMatch(/e[+-]/);
    expect(await page.locator('[data-testid=lost-banner]:visible').textContent()).toContain(
      '1,234 events lost',
    );
    expect(await page.locator('[data-testid=run-ended]:visible').textContent()).toBe(
      ' · ended: duration elapsed (12 s)',
    );
    await page.keyboard.press('Control+g');
    await page.keyboard.type('998');
    await page.keyboard.press('Enter');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(998);
    const row = (id: number) => rows().filter({ has: page.locator(`[data-col=id]:text-is("${id}")`) });
    expect(await row(998).locator('[data-flag=partial]').count()).toBe(1);
    expect(await row(999).locator('[data-flag=cut]').count()).toBe(1);
    await shots('quality');
  });

  it('never cuts the verdict, 5-tuple, path or names at 1440×900 and 1024×700', async () => {
    await filterBox().fill('');
    await countIs('20,000');
    await rows().first().click();
    await page.locator('[data-testid=packet-detail]:visible', { hasText: /Packet \d+/ }).waitFor();
    for (const [w, h] of [
      [1440, 900],
      [1024, 700],
    ] as const) {
      await page.setViewportSize({ width: w, height: h });
      await page.waitForTimeout(200);
      const cut = await rows().evaluateAll((els) =>
        els.flatMap((e) =>
          [...e.querySelectorAll('[data-col]')]
            .filter((c) => c.scrollWidth > c.clientWidth + 1)
            .map((c) => `${c.getAttribute('data-col')}: ${c.textContent}`),
        ),
      );
      expect(cut, `${w}x${h}`).toEqual([]);
      // nothing of the list paints into the detail pane, whose hop table always shows the function's name
      expect(await page.locator('[data-testid=packet-detail]:visible td.fn').count()).toBeGreaterThan(0);
      expect(await paneFaults(page), `${w}x${h}`).toEqual([]);
    }
    await page.setViewportSize({ width: 1440, height: 900 });
    // packet 1 is a ping reply: the process the kernel copied it to, in the verdict and beside its hop
    await page.keyboard.press('Control+g');
    await page.keyboard.type('1');
    await page.keyboard.press('Enter');
    await expect.poll(selectedId, { timeout: 20_000 }).toBe(1);
    const detail = page.locator('[data-testid=packet-detail]:visible');
    expect(await detail.locator('[data-verdict]').textContent()).toContain('to ping (pid 4242)');
    expect(await detail.locator('[data-task]').textContent()).toBe('in ping[4242]');
    await shots('path');
  });
});
