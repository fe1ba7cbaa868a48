import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { ARTIFACTS, CHROMIUM, openApp, shotsAt } from '../support/browser.js';
import { gatedIt, missing } from '../support/requirements.js';
import { BrowserClient, PKTPATH_BIN, startServe, type ServeProcess } from '../support/serve-process.js';

// The Path and Compare views and the app's accessibility, through `pktpath serve` started as a user starts it and
// Debian's Chromium, on sessions recorded from the lab's 6.12 VM (kprobe-multi, default profile: 48–53-hop pings
// client ⇄ router ⇄ server, healthy and through an nftables drop; all-skb: 100–123 hops). The recordings are
// imported with the CLI, as a user would.
const itUi = gatedIt(missing({ tools: [CHROMIUM] }));
const FIXTURES = join(process.cwd(), 'test/unit/core/fixtures/sessions-vm612');
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-uicompare-'));
const env: NodeJS.ProcessEnv = { ...process.env, HOME: scratch, PKTPATH_HOME: join(scratch, 'data') };
let serve: ServeProcess | undefined;
let page: Page;
let closeBrowser: (() => Promise<void>) | undefined;
const pageErrors: string[] = [];
const ids: Record<string, string> = {};

const cli = (...args: string[]) =>
  execFileSync(process.execPath, [PKTPATH_BIN, ...args], { env, encoding: 'utf8', timeout: 30_000 });

beforeAll(async () => {
  if (missing({ tools: [CHROMIUM] })) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of ['ping-vm612-ok', 'ping-vm612-drop', 'ping-vm612'])
    ids[f] = cli('sessions', 'import', join(FIXTURES, `${f}.pktpath`))
      .trim()
      .split(/\s+/)
      .at(-1)!;
  serve = await startServe({ tty: false, env });
  // Two sessions with one title, as happens when the same trace is saved twice.
  const api = await BrowserClient.open(serve.port, serve.token);
  for (const id of [ids['ping-vm612-ok']!, ids['ping-vm612-drop']!])
    expect((await api.call('sessions.rename', { id, title: 'ping vm612' })).ok).toBe(true);
  api.close();
  ({ page, close: closeBrowser } = await openApp(serve.url, { colorScheme: 'dark', errors: pageErrors }));
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  rmSync(scratch, { recursive: true, force: true });
});

/** Screenshots as the page is now at 1440x900 and 1024x700, light and dark; each checked by axe, and for controls
 * out of reach or function names cut. */
const shots = (name: string) => shotsAt(page, 'ui', name, { check: expectNothingClipped });

/**
 * Every control of the view can be reached: inside the window, or inside a scrolling pane that is (rows below a
 * list's fold scroll into view); and no hop's function name is cut.
 */
async function expectNothingClipped(where: string): Promise<void> {
  const cut = await page.evaluate(`(() => {
    const out = [];
    const vw = innerWidth, vh = innerHeight;
    const scroller = (e) => {
      for (let p = e.parentElement; p; p = p.parentElement) {
        const o = getComputedStyle(p).overflowY;
        if ((o === 'auto' || o === 'scroll') && p.scrollHeight > p.clientHeight) return p;
      }
      return e;
    };
    for (const b of document.querySelectorAll('.view button, .view select, .view input, .topbar button')) {
      const r = scroller(b).getBoundingClientRect();
      if (b.getClientRects().length === 0) continue;
      if (r.right > vw + 1 || r.bottom > vh + 1 || r.height < 8) out.push('outside: ' + (b.textContent || b.getAttribute('aria-label')));
    }
    for (const n of document.querySelectorAll('td.fn .fn-name')) {
      const td = n.closest('td').getBoundingClientRect();
      if (n.getBoundingClientRect().right > td.right + 1) out.push('cut: ' + n.textContent);
    }
    return out;
  })()`);
  expect(cut, where).toEqual([]);
}

async function openSession(id: string): Promise<void> {
  await page.click('[data-view=sessions]');
  const row = page.locator(`tr[data-session="${id}"]`);
  await row.waitFor();
  await row.getByRole('button', { name: 'Open' }).click();
  await page.locator('[data-testid=packet-count]:visible').waitFor();
}

async function openPacket(index: number): Promise<void> {
  await page.locator(`.vlist-row[data-index="${index}"]`).click();
  await page.locator('[data-testid=packet-detail]:visible').waitFor();
}

describe('Path view on real 6.12 paths', () => {
  itUi('groups a 51-hop path by layer, folded, with every netns/interface change in view', async () => {
    await openSession(ids['ping-vm612-ok']!);
    await openPacket(0);
    const hops = page.getByTestId('hops');
    // IP out (client), device, IP forward (router), device, IP in (server); then ICMP (2 hops) and the free (1)
    // are too short to fold.
    const layers = await hops
      .locator('.hop-group')
      .evaluateAll((g) => g.map((e) => e.getAttribute('data-layer')));
    expect(layers).toEqual(['ip', 'device', 'ip', 'device', 'ip']);
    expect(await hops.locator('.hop-group[data-folded=true]').count()).toBe(5);
    const shown = await hops.locator('.hop-row').count();
    expect(shown).toBeLessThan(20);
    // client → router → server: the veth crossings stay visible while their groups are folded
    const changes = await hops.locator('.hop-change').allTextContents();
    expect(changes.length).toBeGreaterThanOrEqual(2);
    for (const c of changes) expect(c).toMatch(/netns .* → .*|interface .* → .*/);
    await shots('path-grouped');
    // Unfolding every group shows all 51 hops.
    while (await hops.locator('.hop-group[data-folded=true]').count())
      await hops.locator('.hop-group[data-folded=true] button').first().click();
    expect(await hops.locator('.hop-row').count()).toBe(51);
  });

  itUi('the drop hop of an nftables drop stays visible with its group folded', async () => {
    await openSession(ids['ping-vm612-drop']!);
    await openPacket(0);
    const hops = page.getByTestId('hops');
    const dropped = hops.locator('.hop-row.dropped');
    expect(await dropped.count()).toBe(1);
    expect(await dropped.textContent()).toContain('NETFILTER_DROP');
    // The core's verdict and drop point (computed when the saved run is read): the deciding function and the
    // netfilter hook, in the banner; red because it is a drop.
    const banner = page.locator('[data-testid=drop-banner]:visible');
    expect(await banner.getAttribute('data-verdict')).toBe('dropped');
    expect(await banner.textContent()).toMatch(
      /dropped in nf_hook_slow · netfilter · NETFILTER_DROP.*hook input/,
    );
    await shots('path-drop');
  });

  itUi('hops, groups, splitter and variants work without a mouse', async () => {
    await openSession(ids['ping-vm612-ok']!);
    await openPacket(0);
    const table = page.locator('.hops-scroll:visible');
    await table.focus();
    const visible = await table
      .locator('.hop-row')
      .evaluateAll((r) => r.map((e) => e.getAttribute('data-hop')));
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await table.locator('.hop-row.selected').getAttribute('data-hop')).toBe(visible[1]);
    const before = await table.locator('.hop-row').count();
    await page.keyboard.press('ArrowRight'); // unfold the selected hop's group
    expect(await table.locator('.hop-row').count()).toBeGreaterThan(before);
    await page.keyboard.press('ArrowLeft');
    expect(await table.locator('.hop-row').count()).toBe(before);

    const splitter = page.getByRole('separator', { name: 'packet list width' });
    const list = page.locator('.pane:has([data-testid=packet-count]:visible)');
    const w0 = (await list.boundingBox())!.width;
    await splitter.focus();
    await page.keyboard.press('Shift+ArrowRight');
    await expect.poll(async () => (await list.boundingBox())!.width).toBeGreaterThan(w0 + 100);
    await page.keyboard.press('Shift+ArrowLeft');

    const variant = page.locator('[data-testid=variants]:visible button.variant-row').nth(1);
    await variant.focus();
    await page.keyboard.press('Enter');
    expect(await variant.getAttribute('aria-pressed')).toBe('true');
  });

  itUi('a 120-hop all-skb path stays readable and nothing is clipped at 1024x700', async () => {
    await openSession(ids['ping-vm612']!);
    await openPacket(1);
    expect(await page.getByTestId('hops').locator('.hop-row').count()).toBeLessThan(40);
    await shots('path-all-skb');
  });
});

describe('Markdown report', () => {
  itUi('is shown rendered — headings, hop tables, code — and hostile text in it stays text', async () => {
    const id = ids['ping-vm612']!;
    // an imported session's text may hold HTML, links and images: none of it may become live in the dialog
    const api = await BrowserClient.open(serve!.port, serve!.token);
    const hostile =
      'see <img src=x onerror=alert(1)> [click](javascript:alert(2)) ![i](https://evil.example/i.png)';
    expect((await api.call('sessions.annotate', { id, text: hostile })).ok).toBe(true);
    api.close();
    await page.click('[data-view=sessions]');
    await page.locator(`tr[data-session="${id}"]`).click();
    await page.getByRole('button', { name: 'Show Markdown report…' }).click();
    const doc = page.getByTestId('report');
    await doc.waitFor();
    // rendered, not the Markdown source: run and path headings, each path's hops as a table with code names
    expect(await doc.locator('h4').first().textContent()).toMatch(/^Run 1: /);
    expect(await doc.locator('h5').first().textContent()).toMatch(/^Path 1: \d+ packets?/);
    expect(await doc.locator('table').first().locator('th').allTextContents()).toEqual([
      'host',
      'address',
      'kernel',
      'arch',
    ]);
    const rows = doc.locator('table').nth(1).locator('tbody tr'); // the first path's hops
    expect(await rows.count()).toBeGreaterThanOrEqual(48);
    expect(await rows.first().locator('td code').textContent()).toMatch(/^[a-z_][a-z0-9_.]*$/);
    const text = (await doc.textContent()) ?? '';
    expect(text).not.toContain('| --: |');
    expect(text).not.toMatch(/^#/m);
    // the annotation reads as written, and nothing in it is an element
    expect(text).toContain('<img src=x onerror=alert(1)>');
    expect(text).toContain('javascript:alert(2)');
    expect(await doc.locator('img, a, script, iframe').count()).toBe(0);
    await shots('report');
    await page
      .getByRole('dialog', { name: 'Markdown report' })
      .getByRole('button', { name: 'Close' })
      .click();
  });
});

describe('Compare view', () => {
  itUi(
    '"Compare with…" from the Path view; twin titles told apart; the packet picker searches 5-tuples',
    async () => {
      await openSession(ids['ping-vm612-drop']!);
      await openPacket(0);
      await page
        .locator('[data-testid=packet-detail]:visible')
        .getByRole('button', { name: 'Compare with…' })
        .click();
      expect(await page.getByLabel('compare mode').inputValue()).toBe('paths');
      await expect.poll(() => page.getByLabel('session A').inputValue()).toBe(ids['ping-vm612-drop']);
      await expect.poll(() => page.getByLabel('packet A').inputValue()).toBe('1');
      // The sessions titled "ping vm612": their options differ (date and id).
      const labels = await page.getByLabel('session B').locator('option').allTextContents();
      const twins = labels.filter((l) => l.startsWith('ping vm612 ·'));
      expect(twins).toHaveLength(3); // the all-skb recording has that title too
      expect(new Set(twins).size).toBe(3);
      expect(twins.find((t) => t.includes(ids['ping-vm612-ok']!))).toBeTruthy();
      await page.getByLabel('session B').selectOption(ids['ping-vm612-ok']!);
      const options = page.getByLabel('packet B').locator('option');
      await expect.poll(() => options.count()).toBe(7); // "most frequent path" and 6 packets
      expect(await options.nth(1).textContent()).toMatch(
        /^#1 · ICMP 10\.242\.1\.1 → 10\.243\.1\.2 · 51 hops$/,
      );
      await page.getByLabel('search packets B').fill('10.243.1.2 → 10.242');
      await expect.poll(() => options.count()).toBe(4); // the three echo replies
      await page.getByLabel('search packets B').fill('');
      await page.getByLabel('packet B').selectOption('1');
      await page.getByRole('button', { name: 'Compare', exact: true }).click();
      await page.getByTestId('first-divergence').waitFor();
    },
  );

  itUi(
    'a replaced hop is one changed row, red only where a packet was dropped, places beside functions',
    async () => {
      const changed = page.locator('.cmp-row.changed');
      expect(await changed.count()).toBeGreaterThanOrEqual(1);
      const dropped = page.locator('.cmp-row .dropped');
      expect(await dropped.count()).toBe(1);
      expect(await dropped.textContent()).toContain('✖ NETFILTER_DROP');
      const colorOf = (e: unknown) =>
        (globalThis as unknown as { getComputedStyle: (e: unknown) => { color: string } }).getComputedStyle(e)
          .color;
      const red = await dropped.evaluate(colorOf);
      for (const cell of await page
        .locator(
          '.cmp-row.inserted > .b, .cmp-row.missing > .a, .cmp-row.changed > :is(.a, .b):not(.dropped)',
        )
        .all())
        expect(await cell.evaluate(colorOf)).not.toBe(red);
      expect(await page.locator('.cmp-row[data-op=same] .place').first().textContent()).toMatch(
        /^if \d+ · \S+$/,
      );
      // The folded identical stretch is a button: Enter unfolds it.
      const fold = page.locator('button.cmp-row.collapsed').first();
      const rows = await page.locator('.cmp-row[data-row]').count();
      await fold.focus();
      await page.keyboard.press('Enter');
      expect(await page.locator('.cmp-row[data-row]').count()).toBeGreaterThan(rows);
      await shots('compare-paths');
    },
  );

  itUi('runs mode lists whole variants keyed on their outcome', async () => {
    await page.getByLabel('compare mode').selectOption('runs');
    await page.getByLabel('session A').selectOption(ids['ping-vm612-ok']!);
    await page.getByLabel('session B').selectOption(ids['ping-vm612-drop']!);
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    const lines = page.locator('[data-testid=run-variants] .variant-line');
    await lines.first().waitFor();
    for (const l of await lines.all()) {
      const hops = Number(/(\d+) hops/.exec((await l.textContent()) ?? '')?.[1]);
      const fns = ((await l.locator('.variant-functions').textContent()) ?? '').split(' → ');
      expect(fns).toHaveLength(hops); // every function, never cut after a few
    }
    const outcomes = await lines.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-outcome')));
    expect(outcomes).toEqual(['', 'NO_SOCKET', 'NETFILTER_DROP']);
    expect(await lines.evaluateAll((ls) => ls.map((l) => l.getAttribute('data-shared')))).toEqual([
      'false',
      'false',
      'false',
    ]);
    await shots('compare-runs');
  });
});

describe('keyboard', () => {
  itUi('Tab leaves the probe editor without touching its text or the profile', async () => {
    await page.click('[data-view=trace]');
    await page.getByLabel('probe profile').selectOption('default');
    const lines = page.locator('[data-testid=probe-editor] .view-lines');
    // Monaco paints its lines over a few frames: the text to compare against is the whole profile's
    await expect.poll(() => lines.textContent()).toContain('icmp_rcv');
    const text = await lines.textContent();
    await page.locator('[data-testid=probe-editor] .view-line').first().click();
    // focus moves on the browser's own schedule (Monaco focuses its textarea after the click): poll for each step
    const inEditor = () => page.evaluate('!!document.activeElement.closest(".monaco-editor")');
    await expect.poll(inEditor).toBe(true);
    await page.keyboard.press('Tab');
    await expect.poll(inEditor).toBe(false);
    await page.keyboard.press('Shift+Tab');
    await expect.poll(inEditor).toBe(true);
    await page.keyboard.press('Shift+Tab');
    await expect.poll(inEditor).toBe(false);
    expect(await lines.textContent()).toBe(text);
    expect(await page.getByLabel('probe profile').inputValue()).toBe('default');
  });

  itUi(
    'Alt+F focuses the trace filter and Alt+N opens the add-host form, as their tooltips say',
    async () => {
      await page.click('[data-view=trace]');
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      await page.keyboard.press('Alt+f');
      expect(await page.evaluate('document.activeElement?.dataset.testid')).toBe('filter');
      await page.click('[data-view=hosts]');
      await page.keyboard.press('Alt+n');
      await page.locator('form[aria-label="Add host"]').waitFor();
      await page.keyboard.press('Escape');
    },
  );

  itUi('the add-host form says what is wrong under each field, in words, and checks jump hosts', async () => {
    await page.click('[data-view=hosts]');
    await page.keyboard.press('Alt+n');
    const form = page.locator('form[aria-label="Add host"]');
    await form.waitFor();
    const msg = (f: string) => form.locator(`[data-field=${f}]`);
    expect(await form.locator('[data-field]').count()).toBe(0); // an untouched form is not shouted at
    await page.getByLabel('name', { exact: true }).fill('-db');
    await page.getByLabel('jump hosts').fill('bastoin');
    await page.getByLabel('port').fill('70000');
    expect(await msg('name').textContent()).toMatch(/^a host name is 1-64 letters/);
    expect(await msg('jump').textContent()).toBe(
      'no host named “bastoin” in the inventory: add it first, then name it here',
    );
    expect(await msg('port').textContent()).toBe('a port is a whole number from 1 to 65535');
    expect(await page.getByLabel('jump hosts').getAttribute('aria-invalid')).toBe('true');
    await form.getByRole('button', { name: 'Add host' }).click(); // refused: every field's problem shows
    expect(await msg('address').textContent()).toBe('the address to reach it: a host name or IP address');
    await shotsAt(page, 'hosts', 'form-errors');
    await page.getByLabel('name', { exact: true }).fill('db-1');
    await page.getByLabel('address').fill('127.0.0.1');
    await page.getByLabel('port').fill('9'); // nothing listens: its test and probe fail at once
    await page.getByLabel('jump hosts').fill('');
    expect(await form.locator('[data-field]').count()).toBe(0);
    await form.getByRole('button', { name: 'Add host' }).click();
    const row = page.locator('tr', { hasText: 'db-1' }).first();
    await row.waitFor();
    expect(cli('hosts', 'list')).toContain('db-1');

    // a failed test and probe stay beside the host, also after another view was open
    await row.getByRole('button', { name: 'Test' }).click();
    await expect.poll(() => page.getByTestId('conn-db-1').textContent(), { timeout: 20_000 }).toMatch(/^✖ /);
    await row.getByRole('button', { name: 'Probe' }).click();
    await row.getByTestId('probe-error').waitFor({ timeout: 20_000 });
    await page.click('[data-view=trace]');
    await page.click('[data-view=hosts]');
    expect(await page.getByTestId('conn-db-1').textContent()).toMatch(/^✖ unreachable/);
    expect(await row.getByTestId('probe-error').textContent()).toMatch(/^✖ probe failed: unreachable: /);
    await shotsAt(page, 'hosts', 'failed-host');
  });

  itUi('an ssh_config upload is previewed to pick from; nothing changes until Import', async () => {
    // after the form test: db-1 (127.0.0.1:9) is in the inventory
    await page.click('[data-view=hosts]');
    const cfg = join(scratch, 'upload.config');
    writeFileSync(
      cfg,
      [
        'Include ~/.ssh/more.conf',
        'Host db-1\n  HostName 10.7.0.1\n  User ops',
        'Host web-2\n  HostName 10.7.0.2\n  Port 2222\n  User deploy\n  ProxyJump db-1',
        'Host local\n  HostName 10.7.0.3',
      ].join('\n'),
    );
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Upload ssh_config…' }).click();
    await (await chooser).setFiles(cfg);
    const dialog = page.getByRole('dialog', { name: 'Import hosts from ssh_config' });
    await dialog.waitFor();
    const box = (name: string) => dialog.getByLabel(`import ${name}`, { exact: true });
    expect(await box('web-2').isChecked()).toBe(true);
    expect(await box('db-1').isChecked()).toBe(false); // in the inventory: replacing it is a choice
    expect(await dialog.locator('tr[data-import="db-1"]').textContent()).toContain('exists: replaces it');
    expect(await dialog.locator('tr[data-import="web-2"]').textContent()).toContain('10.7.0.2:2222');
    const skipped = (await dialog.getByTestId('import-skipped').textContent()) ?? '';
    expect(skipped).toMatch(/Include/);
    expect(skipped).toContain('local: reserved for the built-in host');
    expect(cli('hosts', 'list')).not.toContain('web-2'); // a preview only
    // focus starts in the dialog, on Cancel (Escape reaches it; Enter changes nothing)
    expect(
      await dialog
        .getByRole('button', { name: 'Cancel' })
        .evaluate((e) => e === e.ownerDocument.activeElement),
    ).toBe(true);
    await shotsAt(page, 'hosts', 'import-preview');
    await dialog.getByRole('button', { name: 'Import 1 host' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('tr[data-host="web-2"]').waitFor();
    const list = cli('hosts', 'list');
    expect(list).toContain('web-2');
    expect(list).toMatch(/db-1\s+127\.0\.0\.1/); // left as it was
    // Reset: db-1's failed test and probe left no pooled connection to close
    await page.locator('tr[data-host="db-1"]').getByRole('button', { name: 'Reset' }).click();
    await expect
      .poll(() => page.getByTestId('toast').textContent())
      .toContain('No SSH connection to db-1 was open');
  });

  itUi('Tab from the packet list reaches the splitter, the group headers and the hop table', async () => {
    await openSession(ids['ping-vm612-ok']!);
    await openPacket(0);
    await page.locator('.vlist:visible').focus();
    const reached = new Set<string>();
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      // Every stop shows a focus ring (past the last one, focus leaves the page: body).
      expect(
        await page.evaluate(
          `document.activeElement === document.body ? 'left the page' : getComputedStyle(document.activeElement).outlineStyle`,
        ),
        await page.evaluate(`document.activeElement.outerHTML.slice(0, 120)`),
      ).not.toBe('none');
      reached.add(
        (await page.evaluate(
          `(() => { const e = document.activeElement; return e.getAttribute('role') === 'separator' ? 'splitter'
             : e.classList.contains('fold') ? 'group' : e.classList.contains('hops-scroll') ? 'hops'
             : e.classList.contains('variant-row') ? 'variant' : e.tagName; })()`,
        )) as string,
      );
    }
    expect([...reached]).toEqual(expect.arrayContaining(['splitter', 'group', 'hops', 'variant']));
  });
});

describe('accessibility over every view', () => {
  itUi('axe finds no WCAG A/AA violation (contrast included) in any view, both themes', async () => {
    for (const v of ['hosts', 'trace', 'sessions', 'compare']) {
      await page.click(`[data-view=${v}]`);
      await page.waitForTimeout(300);
      await shots(`view-${v}`);
    }
    expect(pageErrors).toEqual([]);
  });
});
