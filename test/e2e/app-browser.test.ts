import { labContext } from '../support/lab-context.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { createCore, type CoreService } from '../../main/core/service/create-core.js';
import { startBrowserMode, type BrowserMode } from '../../main/server/index.js';
import { localShell, sh } from '../lab/exec.js';
import type { LabHostName } from '../lab/lab.js';
import { addNftDrop, createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { ARTIFACTS, CHROMIUM, openApp, shotsAt } from '../support/browser.js';

// The desktop app's renderer in Debian's Chromium, against browser mode with the real core and the lab's sshd and
// kernels: every step is what a user does (forms, dialogs, keys), every check is what the user sees.
const { state, lab, labIt } = labContext();
const itLab = labIt({ needs: { tools: [CHROMIUM] } });
const itVm = labIt({ hosts: ['vm612'], needs: { tools: [CHROMIUM] } });
const itVm61 = labIt({ hosts: ['vm61'], needs: { tools: [CHROMIUM] } });

let home: string;
let core: CoreService;
let server: BrowserMode;
let page: Page;
let closeBrowser: (() => Promise<void>) | undefined;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!state) return;
  home = mkdtempSync(join(tmpdir(), 'pktpath-app-e2e-'));
  // No ~/.ssh/known_hosts: every lab key is unknown, so the host-key dialog must appear.
  core = await createCore({ home, knownHostsFiles: [] });
  server = await startBrowserMode({ handler: core });
  ({ page, close: closeBrowser } = await openApp(server.url, {
    viewport: { width: 1480, height: 900 },
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

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `app-${name}.png`) });
const view = (id: string) => page.click(`[data-view=${id}]`);

/** The page as it is now at 1440x900 and 1024x700, in both themes, each checked by axe. */
const shots = (name: string) => shotsAt(page, 'app', name, { restore: { width: 1480, height: 900 } });

function fingerprintOf(pub: string): string {
  const f = join(home, 'k.pub');
  writeFileSync(f, pub.trim() + '\n');
  return execFileSync('ssh-keygen', ['-lf', f], { encoding: 'utf8' }).split(/\s+/)[1]!;
}

/** Adds a lab host through the form, then tests it and accepts its key in the dialog. */
async function addLabHost(name: string, lh: LabHostName, screenshots = false): Promise<void> {
  const h = lab().hosts[lh]!;
  await view('hosts');
  await page.getByRole('button', { name: 'Add host' }).first().click();
  await page.fill('#h-name', name);
  await page.fill('#h-address', h.address);
  await page.fill('#h-port', String(h.port));
  await page.fill('#h-user', 'root');
  await page.fill('#h-identity', lab().privateKey);
  await page.selectOption('#h-priv', 'root');
  await page.fill('#h-tags', `lab, ${lh}`);
  await page.locator('form[aria-label="Add host"] button[type=submit]').click();
  const row = page.locator(`tr[data-host="${name}"]`);
  await row.waitFor();
  await row.getByRole('button', { name: 'Test' }).click();
  const dialog = page.getByTestId('host-key-dialog');
  await dialog.waitFor({ timeout: 30_000 });
  expect(await page.getByTestId('fingerprint').textContent()).toBe(fingerprintOf(h.hostKeyPub));
  if (screenshots) await shot('host-key-dialog');
  await dialog.getByRole('button', { name: 'Accept and remember' }).click();
  await expect
    .poll(() => page.getByTestId(`conn-${name}`).textContent(), { timeout: 60_000 })
    .toContain(h.kernelRelease);
}

/** Starts the trace set up in the Trace view and pings across `topo` until the run ends. */
async function traceWhilePinging(topo: Topology): Promise<void> {
  await page.getByRole('button', { name: '▶ Start' }).click();
  const phase = page.getByTestId('phase');
  // bounded by time, not by rounds: a ping on a veth takes milliseconds, and after the packet limit the run still
  // detaches and captures the host context before it ends (60 quick rounds were over before that, in CI)
  const until = Date.now() + 40_000;
  while (Date.now() < until) {
    const p = await phase.textContent();
    if (p === 'done' || p === 'failed') break;
    if (p === 'tracing') await ping(topo, 1, 0.2);
    await page.waitForTimeout(300);
  }
  expect(await phase.textContent()).toBe('done');
}

/** A trace may also catch the tail of a packet already in flight: look at the one seen longest. */
async function openLongestPacket(): Promise<void> {
  const rows = page.locator('.vlist-row:visible');
  // the list fills after its count shows: read the hop counts once rows are there (an empty read picked nth(-1))
  await rows.first().waitFor();
  const hops = await rows.evaluateAll((els) =>
    els.map((e) => Number(e.querySelector('[data-col=hops]')?.textContent ?? 0)),
  );
  expect(hops.length).toBeGreaterThan(0);
  await rows.nth(hops.indexOf(Math.max(...hops))).click();
}

async function saveSession(title: string): Promise<void> {
  await page.getByRole('button', { name: 'Save session…' }).click();
  const input = page.getByRole('textbox', { name: 'Session title' });
  await input.fill(title);
  await input.press('Enter');
  await expect.poll(() => page.getByTestId('toast').textContent()).toContain(`Saved session “${title}”`);
}

async function setUpTrace(host: string, filter: string): Promise<void> {
  await view('trace');
  await page.getByLabel('host', { exact: true }).selectOption(host);
  await page.getByTestId('filter').fill(filter);
  await page.getByLabel('attach mode').selectOption('tracepoint'); // this kernel attaches tracepoints only
  await page.getByLabel('packet limit').fill('2');
  await page.getByLabel('duration limit').fill('40');
}

describe('desktop app in browser mode (real core, lab sshd, this kernel)', () => {
  itLab('adds a lab host with the form and accepts its key in the host-key dialog', async () => {
    await addLabHost('lab-local', 'local', true);
    await page.locator('tr[data-host="lab-local"]').getByRole('button', { name: 'Probe' }).click();
    await page.locator('tr[data-host="lab-local"] [data-testid=capabilities]').waitFor({ timeout: 60_000 });
    expect(
      await page.locator('tr[data-host="lab-local"] [data-testid=capabilities]').textContent(),
    ).toContain('raw-tp');
    // the preflight's findings in the probe panel, in words: this kernel has no kprobes
    await expect
      .poll(() => page.getByTestId('limits').textContent(), { timeout: 10_000 })
      .toMatch(/\bwarning\b.*this kernel has no kprobes/);
    await page.getByPlaceholder('Search name, address, tag').fill('vm');
    expect(await page.locator('tr[data-host]').count()).toBe(0);
    await page.getByPlaceholder('Search name, address, tag').fill('lab');
    expect(await page.locator('tr[data-host]').count()).toBe(1);
    await page.getByPlaceholder('Search name, address, tag').fill('');
    await shot('hosts');
  });

  itLab(
    'Reset closes the pooled SSH connection; one a trace runs over only once the user agrees',
    async () => {
      const { port } = lab().hosts.local!;
      // this process's established connections to the lab sshd (the core runs in it): the pool's
      const pooled = async () =>
        (await sh(localShell, `ss -tnpH state established '( dport = :${port} )'`))
          .split('\n')
          .filter((l) => l.includes(`pid=${process.pid},`)).length;
      await view('hosts');
      const row = page.locator('tr[data-host="lab-local"]');
      await row.getByRole('button', { name: 'Probe' }).click(); // a probe goes over the pool
      // done probing (a Reset during it closes the connection under it, and its next step connects again)
      await expect
        .poll(() => row.getByRole('button', { name: 'Probe' }).isEnabled(), { timeout: 60_000 })
        .toBe(true);
      await row.getByTestId('capabilities').waitFor();
      expect(await pooled()).toBe(1);
      await row.getByRole('button', { name: 'Reset' }).click();
      await expect
        .poll(() => page.getByTestId('toast').textContent())
        .toContain('Closed the SSH connection to lab-local; the next test, probe or trace connects afresh');
      await expect.poll(pooled).toBe(0);

      // a trace over the pooled connection: Reset asks first, and a "no" leaves both alone
      await setUpTrace('lab-local', 'icmp');
      await page.getByLabel('packet limit').fill('');
      await page.getByRole('button', { name: '▶ Start' }).click();
      const phase = page.getByTestId('phase');
      await expect.poll(() => phase.textContent(), { timeout: 60_000 }).toBe('tracing');
      await view('hosts');
      const asked: string[] = [];
      page.once('dialog', (d) => void (asked.push(d.message()), d.dismiss()));
      await row.getByRole('button', { name: 'Reset' }).click();
      await expect.poll(() => asked.length).toBe(1);
      expect(asked[0]).toMatch(
        /^run run-\S+ is tracing on lab-local over this connection; resetting it ends it\. Reset anyway\?$/,
      );
      expect(await pooled()).toBe(1);
      page.once('dialog', (d) => void d.accept());
      await row.getByRole('button', { name: 'Reset' }).click();
      // the run ends at once, and says why (its failure's toast follows the reset's)
      await expect
        .poll(() => page.getByTestId('toast').textContent())
        .toMatch(/^unreachable: lost the connection to root@127\.0\.0\.1:\d+/);
      await view('trace');
      await expect.poll(() => phase.textContent(), { timeout: 30_000 }).toBe('failed');
      await expect.poll(pooled).toBe(0);
    },
  );

  itLab('shows a bad filter’s error under the box as it is typed, and refuses to start', async () => {
    await view('trace');
    await page.getByTestId('filter').fill('icmp and');
    expect(await page.getByTestId('filter-error').textContent()).toBe(
      'column 6: "and" needs an expression after it',
    );
    expect(await page.getByRole('button', { name: '▶ Start' }).isDisabled()).toBe(true);
    await page.getByTestId('filter').fill('host 10.0.0.300');
    expect(await page.getByTestId('filter-error').textContent()).toContain(
      '10.0.0.300 is not an IPv4 address',
    );
    await shot('trace-bad-filter');
    await page.getByTestId('filter').fill('icmp');
    expect(await page.getByTestId('filter-error').textContent()).toBe('');
  });

  let topo: Topology | undefined;
  itLab('traces a ping and shows its path, hop by hop, across two network namespaces', async () => {
    topo = await createPair(localShell);
    await setUpTrace('lab-local', `icmp and host ${topo.serverAddr}`);
    await traceWhilePinging(topo);
    expect(Number(await page.getByTestId('live-packets').textContent())).toBeGreaterThanOrEqual(2);
    await openLongestPacket();
    const hops = page.getByTestId('hops');
    await hops.waitFor();
    await shot('trace-path');
    const text = (await hops.textContent()) ?? '';
    expect(text).toContain('net_dev_xmit');
    expect(await page.locator('.hop-change').count()).toBeGreaterThanOrEqual(1); // client netns → server netns
    // a healthy ping has no drop: an echo reply whose socket copy the 2-packet limit kept out reads unknown
    const verdicts = await page.locator('[data-col="verdict"]').allTextContents();
    expect(verdicts.map((v) => v.trim())).not.toContain('dropped');
    expect(await page.getByTestId('packet-detail').textContent()).toContain(
      `ICMP ${topo.clientAddr} → ${topo.serverAddr}`,
    );
    await shot('trace-path');
    await saveSession('ping ok');
  });

  itLab('traces the same ping through an nftables drop and saves it', async () => {
    await addNftDrop(topo!);
    await traceWhilePinging(topo!);
    await openLongestPacket();
    // the core's verdict, not a raw reason
    expect(await page.getByTestId('drop-banner').textContent()).toMatch(
      /dropped at kfree_skb \(NETFILTER_DROP\)/,
    );
    await shot('trace-drop');
    // the kernel stack at the drop, folded under the drop line: the nftables evaluation that decided it
    const stack = page.getByTestId('drop-stack');
    await stack.locator('summary').click();
    const frames = await stack.locator('li').allTextContents();
    const at = (fn: string) => frames.findIndex((f) => f.startsWith(`${fn}+0x`));
    expect(at('nft_do_chain'), frames.join(' ')).toBeGreaterThan(0);
    expect(at('nf_hook_slow')).toBeGreaterThan(at('nft_do_chain'));
    await shots('trace-drop-stack');
    await saveSession('ping dropped');
    await destroy(topo!);
  });

  itLab('reopens a saved session in the Path view, renames it and adds a note', async () => {
    await view('sessions');
    const row = page.locator('tr[data-session]', { hasText: 'ping ok' });
    await row.waitFor();
    await row.getByRole('button', { name: 'Rename' }).click();
    const input = page.getByRole('textbox', { name: 'New title' });
    await input.fill('ping ok (baseline)');
    await input.press('Enter');
    await page.locator('tr[data-session]', { hasText: 'ping ok (baseline)' }).waitFor();
    await page.getByLabel('note').fill('baseline before the nft rule');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByText('baseline before the nft rule', { exact: true }).waitFor();
    await shot('sessions');
    await page
      .locator('tr[data-session]', { hasText: 'ping ok (baseline)' })
      .getByRole('button', { name: 'Open' })
      .click();
    expect(await page.getByTestId('doc-title').textContent()).toBe('ping ok (baseline)');
    await page.locator('[data-testid=packet-count]:visible').waitFor();
    await openLongestPacket();
    expect(await page.locator('[data-testid=hops]:visible').textContent()).toContain('net_dev_xmit');
    await shot('path');

    // the run's host context beside its packets: the namespaces the ping crossed, by their `ip netns` names
    const toggle = page.getByRole('button', { name: 'Host context' });
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    const panel = page.getByTestId('host-context');
    await panel.waitFor();
    const namespace = panel.getByLabel('namespace');
    expect(await namespace.locator('option').allTextContents()).toEqual(
      expect.arrayContaining([topo!.client, topo!.server]),
    );
    await namespace.selectOption({ label: topo!.server });
    const netns = panel.getByTestId('host-context-netns');
    expect(await netns.textContent()).toContain(topo!.serverIf);
    expect(await netns.textContent()).toContain(topo!.serverAddr);
    await shots('path-host-context');
    await toggle.click();
    expect(await panel.count()).toBe(0);
    // the packets come back as they were: the same packet still open
    expect(await page.locator('[data-testid=hops]:visible').textContent()).toContain('net_dev_xmit');
  });

  itLab(
    'compares the two runs: the first divergence is pinned on top and F7 walks the differences',
    async () => {
      await view('compare');
      const [ok, dropped] = ['ping ok (baseline)', 'ping dropped'];
      const optionOf = async (label: string, title: string) =>
        (await page.getByLabel(label).locator('option', { hasText: title }).getAttribute('value'))!;
      await page.getByLabel('session A').selectOption(await optionOf('session A', ok));
      await page.getByLabel('session B').selectOption(await optionOf('session B', dropped));
      // The packet each side saw longest (a run can also hold the tail of a packet already in flight).
      for (const side of ['A', 'B']) {
        const options = await page
          .getByLabel(`packet ${side}`)
          .locator('option')
          .evaluateAll((os) =>
            os.map((o) => ({
              value: (o as unknown as { value: string }).value,
              hops: Number(/(\d+) hops/.exec(o.textContent ?? '')?.[1] ?? -1),
            })),
          );
        const longest = options.reduce((x, y) => (y.hops > x.hops ? y : x));
        await page.getByLabel(`packet ${side}`).selectOption(longest.value);
      }
      await page.getByRole('button', { name: 'Compare', exact: true }).click();
      const pinned = page.getByTestId('first-divergence');
      await pinned.waitFor();
      // The same way in until the end: the baseline is consumed, the other freed by the nftables drop.
      expect(await pinned.textContent()).toMatch(
        /First divergence at hop (\d+) \(A\) \/ \1 \(B\): A consume_skb vs B kfree_skb/,
      );
      expect(
        await page.locator('.cmp-row.missing, .cmp-row.inserted, .cmp-row.changed').count(),
      ).toBeGreaterThan(0);
      // next to the divergence, what differs between the hosts' contexts: the nftables rule B's run started with
      const diff = page.getByTestId('context-diff');
      expect(await diff.textContent()).toMatch(
        new RegExp(`netns ${topo!.server}: nftables only in B: .*echo-request drop`),
      );
      await page.keyboard.press('F7');
      await page.locator('.cmp-row.current').waitFor();
      const first = await page.locator('.cmp-row.current').getAttribute('data-row');
      await page.keyboard.press('Shift+F7');
      expect(await page.locator('.cmp-row.current').count()).toBe(1);
      expect(first).not.toBeNull();
      await shots('compare');
    },
  );

  itVm61(
    'a trace on 6.1 names the tracepoints left out for a traced function, and the function fentry left to kprobe',
    async () => {
      await addLabHost('lab-vm61', 'vm61');
      await setUpTrace('lab-vm61', 'icmp and host 192.0.2.99');
      await page.getByLabel('attach mode').selectOption('auto');
      await page.getByLabel('packet limit').fill('');
      await page.getByRole('button', { name: '▶ Start' }).click();
      const phase = page.getByTestId('phase');
      await expect.poll(() => phase.textContent(), { timeout: 120_000 }).toBe('tracing');
      const covered = page.getByTestId('covered-tracepoints');
      expect(await covered.textContent()).toMatch(
        /^Tracepoints left out, their functions traced instead: .*net_dev_queue \(__dev_queue_xmit\)/,
      );
      // auto takes fentry on 6.1; veth is a module, which fentry cannot attach to: kprobe took it
      expect(await page.getByTestId('fell-back').textContent()).toBe(
        'Traced by another backend: veth_xmit by kprobe (fentry: module functions need kprobe)',
      );
      await shots('trace-covered-tracepoints');
      await page.getByRole('button', { name: '■ Stop' }).click();
      await expect.poll(() => phase.textContent(), { timeout: 120_000 }).toBe('done');
    },
  );

  itVm61(
    'a trace on 6.1 with several module functions says their one reason once, and opens to every name',
    async () => {
      if (!(await page.locator('tr[data-host="lab-vm61"]').count())) await addLabHost('lab-vm61', 'vm61');
      // the Hosts view says what auto takes on 6.1 for small and large sets
      await view('hosts');
      await page.locator('tr[data-host="lab-vm61"]').getByRole('button', { name: 'Probe' }).click();
      await expect
        .poll(
          () =>
            page
              .getByText(/: what the kernel can do/)
              .locator('xpath=..')
              .textContent(),
          {
            timeout: 120_000,
          },
        )
        .toContain('auto → fentry (up to 128 functions; kprobe above)');
      await shots('hosts-probe-vm61');
      // probed and tested, the row's badges and connection wrap: its last button stays on screen at 1024 px
      await page.setViewportSize({ width: 1024, height: 700 });
      const remove = page.locator('tr[data-host="lab-vm61"]').getByRole('button', { name: 'Remove' });
      const box = (await remove.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(1024);
      await page.setViewportSize({ width: 1480, height: 900 });
      await setUpTrace('lab-vm61', 'icmp and host 192.0.2.99');
      await page.getByLabel('attach mode').selectOption('auto');
      await page.getByLabel('packet limit').fill('');
      // the default set holds veth_xmit; four more module functions (tun, vxlan, geneve, bridge), pasted at the
      // end as a user would add a list (typed, Enter may take a completion instead of ending the line)
      const validation = page.getByTestId('probe-validation');
      await expect.poll(() => validation.textContent(), { timeout: 10_000 }).toMatch(/^\d+ functions/);
      const before = Number(/^(\d+)/.exec((await validation.textContent()) ?? '')![1]);
      await page.getByTestId('probe-editor').click();
      await page.keyboard.press('Control+End');
      await page.keyboard.insertText('\ntun_net_xmit\nvxlan_xmit\ngeneve_xmit\nbr_forward\n');
      await expect
        .poll(() => validation.textContent(), { timeout: 10_000 })
        // (sk_skb_reason_drop, in the default set, came after 6.1)
        .toMatch(new RegExp(`^${before + 4} functions · 1 not traceable on lab-vm61 · Ctrl`));
      await page.getByRole('button', { name: '▶ Start' }).click();
      const phase = page.getByTestId('phase');
      await expect.poll(() => phase.textContent(), { timeout: 120_000 }).toBe('tracing');
      const fellBack = page.getByTestId('fell-back');
      expect(await fellBack.evaluate((e) => e.tagName), (await fellBack.textContent()) ?? '').toBe('DETAILS');
      expect(await fellBack.locator('summary').textContent()).toBe(
        'Traced by another backend: 5 functions — 5 by kprobe (fentry: module functions need kprobe)',
      );
      await fellBack.locator('summary').click();
      expect(await fellBack.locator('.outcome-group').textContent()).toBe(
        'by kprobe (fentry: module functions need kprobe): veth_xmit, tun_net_xmit, vxlan_xmit, geneve_xmit, br_forward',
      );
      await shots('trace-fell-back-grouped');
      await page.getByRole('button', { name: '■ Stop' }).click();
      await expect.poll(() => phase.textContent(), { timeout: 120_000 }).toBe('done');
    },
  );

  itVm(
    'probe editor: completes the host’s traceable skb functions and marks one it cannot trace',
    async () => {
      await view('hosts');
      if (!(await page.locator('tr[data-host="lab-vm612"]').count())) await addLabHost('lab-vm612', 'vm612');
      await view('trace');
      await page.getByLabel('host', { exact: true }).selectOption('lab-vm612');
      await page.getByRole('button', { name: 'Probe', exact: true }).first().click();
      await expect
        .poll(() => page.getByText(/traceable skb functions/).textContent(), { timeout: 120_000 })
        .toMatch(/auto → fentry \(up to 128 functions; kprobe-multi above\) · [1-9]\d* traceable/);
      const editor = page.getByTestId('probe-editor');
      await editor.click();
      await page.keyboard.press('Control+End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('tcp_v4_do_rc');
      // Typing opens the suggestions by itself (quick suggestions). Ctrl+Space pressed while that request is
      // still in flight can cancel it in Monaco, so ask explicitly only if nothing came up, as a user would.
      const suggest = page.locator('.suggest-widget .monaco-list-row');
      const shown = await suggest
        .first()
        .waitFor({ timeout: 5000 })
        .then(() => true)
        .catch(() => false);
      if (!shown) await page.keyboard.press('Control+Space');
      // The list filters to the typed prefix asynchronously: wait for it to settle rather than read it mid-way.
      await expect
        .poll(() => suggest.allTextContents(), { timeout: 10_000 })
        .toEqual(expect.arrayContaining([expect.stringContaining('tcp_v4_do_rcv')]));
      await page.keyboard.press('Escape');
      await page.keyboard.press('Enter');
      await page.keyboard.type('pktpath_no_such_fn');
      await expect
        .poll(() => page.getByTestId('probe-validation').textContent(), { timeout: 10_000 })
        .toContain('not traceable on lab-vm612');
      await page.locator('.squiggly-warning').first().waitFor();
      await page.keyboard.press('Enter');
      await page.keyboard.type('ip_rcv_finish bogus=1');
      await page.locator('.squiggly-error').first().waitFor();
      await shot('probe-editor');
    },
  );

  itLab('the page logged no errors', () => {
    // Failed loads the test caused on purpose (none) would show here; anything else is a renderer bug.
    expect(pageErrors).toEqual([]);
  });
});
