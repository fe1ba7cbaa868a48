import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect } from 'vitest';
import { SessionStore } from '../../main/core/sessions/session-store.js';
import { CHROMIUM, launchChromium } from '../support/browser.js';
import { gatedIt, missing } from '../support/requirements.js';

/** The app's session library shows a session it cannot read, with what is wrong (issue 8 item 14b). */

const itBrowser = gatedIt(missing({ tools: [CHROMIUM] }));
const home = mkdtempSync(join(tmpdir(), 'pktpath-inputs-serve-'));
let serve: ChildProcess | undefined;
let closeBrowser: (() => Promise<void>) | undefined;
afterAll(async () => {
  await closeBrowser?.();
  serve?.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

/** `pktpath serve` as a shell starts it; resolves with the URL it prints. */
function startServe(): Promise<string> {
  serve = spawn(process.execPath, ['bin/pktpath.mjs', 'serve'], {
    env: { ...process.env, PKTPATH_HOME: home },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: serve.stdout! });
  return new Promise((resolve, reject) => {
    lines.once('line', resolve);
    serve!.once('exit', (code) => reject(new Error(`pktpath serve exited with ${code}`)));
  });
}

describe('sessions view', () => {
  itBrowser('lists an unreadable session with its problem beside the readable ones', async () => {
    const store = new SessionStore(home);
    store.create({ title: 'fine' });
    const broken = store.create({ title: 'broken' });
    writeFileSync(
      join(home, 'sessions', broken.id, 'session.json'),
      '{"format": "pktpath-session", "version": ',
    );
    const url = await startServe();
    const b = await launchChromium();
    closeBrowser = b.close;
    const page = await b.browser.newPage();
    await page.goto(url);
    await page.click('[data-view=sessions]');
    const row = page.locator('tr[data-session=broken]');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getAttribute('data-problem')).toBe('corrupt-file');
    expect(await row.textContent()).toMatch(/unreadable: .*session\.json is corrupt \(not JSON/);
    await page.locator('tr[data-session=fine]').waitFor();
  });
});
