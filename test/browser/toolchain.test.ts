import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect } from 'vitest';

import { ARTIFACTS, CHROMIUM, launchChromium } from '../support/browser.js';
import { gatedIt, missing } from '../support/requirements.js';

// The browser-test toolchain itself: playwright-core drives Debian's Chromium against a page served on loopback.
const itBrowser = gatedIt(missing({ tools: [CHROMIUM] }));

describe('browser toolchain', () => {
  itBrowser('drives Debian Chromium: loads a loopback page, clicks, reads the DOM, screenshots', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><title>pktpath</title><button id=b onclick="this.textContent='clicked'">go</button>`,
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const { browser, close } = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.click('#b');
      expect(await page.textContent('#b')).toBe('clicked');
      mkdirSync(ARTIFACTS, { recursive: true });
      const png = await page.screenshot({ path: join(ARTIFACTS, 'toolchain.png') });
      expect(png.subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await close();
      server.close();
    }
  });
});
