import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { HostStore } from '../../main/core/inventory/host-store.js';
import { createCore, type CoreService } from '../../main/core/service/create-core.js';
import { startBrowserMode, type BrowserMode } from '../../main/server/index.js';
import { check } from '../lab/exec.js';
import { writeLabInventory } from '../lab/inventory.js';
import { labTarget } from '../lab/lab.js';
import { ensureLinkPorts } from '../lab/links.js';
import { sshRun } from '../lab/ssh-client.js';
import { CHROMIUM, openApp, shotsAt } from '../support/browser.js';
import { labContext } from '../support/lab-context.js';

// The Trace view on several hosts and the Flows view, in Chromium against browser mode with the real core, the
// lab's sshd and two real kernels joined by a real link (vm61 l-vm612 10.99.0.1 ↔ vm612 l-vm61 10.99.0.2): a user
// picks the hosts, starts, pings, stops, saves, and reads the flows — one of them lost on the wire.
const { state, lab, labIt } = labContext();
const it = labIt({ hosts: ['vm61', 'vm612'], needs: { root: true, tools: ['nft', CHROMIUM] } });
/** Attaching the probes on two TCG guests takes minutes on a loaded machine. */
const SLOW = 600_000;
/** The lost ping's size: only these frames are dropped on the wire, nobody else's traffic on the link. */
const LOST_SIZE = 1234;

let home: string;
let core: CoreService;
let server: BrowserMode;
let page: Page;
let closeBrowser: (() => Promise<void>) | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!state) return;
  home = mkdtempSync(join(tmpdir(), 'pktpath-flows-app-'));
  writeLabInventory(state, home); // the lab's hosts with their keys pinned, as `npm run lab:inventory` writes them
  // a host nothing answers on: its run fails, the others go on
  new HostStore(home).add({
    name: 'vm99',
    address: '127.0.0.1',
    port: 9,
    user: 'root',
    auth: { kind: 'key', identityFiles: [state.privateKey] },
    privilege: 'root',
    tags: [],
  });
  core = await createCore({ home, knownHostsFiles: [] });
  server = await startBrowserMode({ handler: core });
  ({ page, close: closeBrowser } = await openApp(server.url, {
    colorScheme: 'dark',
    errors: pageErrors,
    consoleErrors: true,
  }));
}, 60_000);

afterAll(async () => {
  await closeBrowser?.();
  await server?.close();
  await core?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const on = (h: 'vm61' | 'vm612', script: string) =>
  sshRun(labTarget(lab(), h), lab().runtimeDir, script, 60_000);
const shots = (name: string) => shotsAt(page, 'flows', name);
const hostRow = (h: string) => page.getByTestId(`group-host-${h}`);

/** vm61 pings vm612 twice over the direct link, then once more with frames the wire (qemu's UDP) drops. */
async function pingWithOneLost(): Promise<void> {
  await on('vm61', 'ping -n -c 2 -i 0.5 -W 3 -I 10.99.0.1 10.99.0.2');
  const port = (await ensureLinkPorts(lab().runtimeDir)).ports['direct.b'];
  const table = `pktpath_flows_app_${port}`;
  // UDP length = 8 + Ethernet 14 + IP 20 + ICMP 8 + payload
  const udpLen = 8 + 14 + 20 + 8 + LOST_SIZE;
  await check('nft', ['-f', '-'], {
    input: `table inet ${table} {\n chain in {\n type filter hook input priority 0;\n iif lo udp dport ${port} udp length ${udpLen - 10}-${udpLen + 10} drop\n }\n}\n`,
  });
  try {
    await on('vm61', `ping -n -c 1 -s ${LOST_SIZE} -W 1 -I 10.99.0.1 10.99.0.2 || true`);
  } finally {
    await check('nft', ['delete', 'table', 'inet', table]);
  }
  await page.waitForTimeout(1500); // the last hops (TX completion frees) come in
}

describe('flows in the app (issue 11)', () => {
  it(
    'traces vm61 and vm612 together, shows each host, stops them together, and shows the flows with the lost one first',
    async () => {
      await page.click('[data-view=trace]');
      await page.getByLabel('host', { exact: true }).selectOption('vm61');
      await page.getByRole('button', { name: 'More hosts' }).click();
      const picker = page.getByTestId('host-picker');
      await picker.getByLabel('vm612').check();
      await picker.getByLabel('vm99').check();
      await page.getByTestId('filter').fill('icmp and host 10.99.0.2');
      await page.getByLabel('duration limit').fill('600');
      await expect
        .poll(() => page.getByRole('button', { name: '▶ Start' }).isEnabled(), { timeout: 60_000 })
        .toBe(true);
      await page.getByRole('button', { name: '▶ Start' }).click();

      // each host's own state: vm99 fails and says why, the two VMs go on to trace
      await expect
        .poll(() => hostRow('vm99').textContent(), { timeout: 120_000 })
        .toMatch(/failed|not started/);
      for (const h of ['vm61', 'vm612'])
        await expect.poll(() => hostRow(h).textContent(), { timeout: SLOW }).toContain('tracing');
      expect(await hostRow('vm99').locator('.group-why').textContent()).toMatch(/\S/);
      await shots('trace-tracing');

      await pingWithOneLost();
      await page.getByRole('button', { name: '■ Stop' }).click(); // trace.stopGroup: every host at once
      for (const h of ['vm61', 'vm612'])
        await expect.poll(() => hostRow(h).textContent(), { timeout: 120_000 }).toContain('done');
      await page.getByTestId('end-reason').waitFor();
      expect(await page.getByTestId('end-reason').textContent()).toContain('2 of 3 recorded a run');
      // the packets of each host, one host at a time
      await page
        .getByRole('group', { name: 'host of the packets shown' })
        .getByRole('button', { name: /vm612/ })
        .click();
      await page.locator('.vlist-row:visible').first().waitFor();
      await shots('trace-ended');

      await page.getByRole('button', { name: 'Save session and show flows…' }).click();
      const title = page.getByRole('textbox', { name: 'Session title' });
      await title.fill('ping vm61 vm612');
      await title.press('Enter');
      await expect.poll(() => page.getByTestId('toast').textContent()).toContain('(2 runs,');

      // the Flows view opened on the saved session, stitched by the core
      await page.getByTestId('flows-count').waitFor({ timeout: 60_000 });
      expect(await page.getByTestId('flows-count').textContent()).toContain('vm61, vm612');
      const lost = page.getByTestId('flows-lost');
      expect(await lost.textContent()).toMatch(
        /left vm61 on l-vm612 at \d\d:\d\d:\d\d\.\d{6} UTC, not seen on vm612 \(lost on the wire or before the first probe on vm612\)/,
      );
      const flows = page.getByTestId('flow');
      const lostFlow = flows.and(page.locator('[data-fate=lost]'));
      expect(await lostFlow.count()).toBe(1);
      expect(await lostFlow.getByTestId('flow-segment').allTextContents()).toEqual([
        expect.stringMatching(/^vm61#\d+sent/),
      ]);
      // the two answered pings: a flow each way with both segments in order, the wire gap with its uncertainty
      const across = flows.filter({ has: page.locator('.flow-wire:not(.lost)') });
      const paths = await across.evaluateAll((els) =>
        els.map((e) => [...e.querySelectorAll('.flow-host')].map((h) => h.textContent).join(' ')),
      );
      expect(paths.filter((p) => p === 'vm61 vm612').length).toBeGreaterThanOrEqual(2);
      expect(paths.filter((p) => p === 'vm612 vm61').length).toBeGreaterThanOrEqual(2);
      expect(await across.first().locator('.flow-wire-text').textContent()).toMatch(
        /^wire \+[\d.]+ [nµm]?s ± /,
      );
      expect(await across.first().locator('.flow-facts').textContent()).toMatch(
        /clock .+ ± .+matched on icmp type\/seq \+ IP ID/,
      );
      // hosts by path: vm61 and vm612 took different paths, compared for their first divergence
      expect(await page.getByTestId('fleet-sentence').textContent()).toMatch(/took path A, 1 took path B/);
      await expect
        .poll(() => page.getByTestId('fleet-divergence').first().textContent(), { timeout: 30_000 })
        .toMatch(/first divergence from path A at hop \d+/);
      await shots('flows');

      // unfolded: each host's hops in order, interfaces by name
      const first = across.first();
      await first.locator('.flow-n').click();
      const boxes = first.locator('.flow-host-box');
      await expect
        .poll(() => boxes.locator('.flow-hop-list li').count(), { timeout: 30_000 })
        .toBeGreaterThan(4);
      expect(await boxes.allTextContents()).toEqual([
        expect.stringMatching(/@l-vm6/),
        expect.stringMatching(/@l-vm6/),
      ]);
      await shots('flow-hops');

      // a segment opens that host's packet in the Path view
      const seg = first.getByTestId('flow-segment').nth(1);
      const [, host, id] = /^(\S+?)#(\d+)/.exec((await seg.textContent()) ?? '') ?? [];
      await seg.click();
      await page.getByTestId('packet-detail').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('packet-detail').locator('h2').textContent()).toBe(`Packet ${id}`);
      expect(await page.getByLabel('run').locator('option:checked').textContent()).toContain(`${host} ·`);
      expect(await page.locator('.vlist-row.selected [data-col=id]:visible').textContent()).toBe(id);

      // and back: the Path view of a session on several hosts has a Flows button, so does its row in Sessions
      const current = (v: string) => page.locator(`[data-view=${v}]`).getAttribute('aria-current');
      await shots('path-of-a-flow');
      await page.getByRole('button', { name: 'Flows', exact: true }).click();
      await expect.poll(() => current('flows')).toBe('true'); // once the session is read
      await page.locator('[data-testid=flows-count]:visible').waitFor();
      await page.click('[data-view=sessions]');
      const row = page.getByTestId('sessions-table').locator('tr', { hasText: 'ping vm61 vm612' });
      await row.getByRole('button', { name: 'Flows', exact: true }).waitFor();
      await shots('sessions-flows');
      await row.getByRole('button', { name: 'Flows', exact: true }).click();
      await expect.poll(() => current('flows')).toBe('true'); // the view opens once the session is read (CI)
      expect(await page.locator('[data-testid=flows-title]:visible').textContent()).toBe('ping vm61 vm612');
      expect(pageErrors).toEqual([]);
    },
    SLOW * 2,
  );
});
