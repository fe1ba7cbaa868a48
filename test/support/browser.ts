import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (playwright-core never downloads a browser here). */
export const CHROMIUM = process.env.PKTPATH_CHROMIUM ?? '/usr/bin/chromium';

// Without these, Chromium reaches for Google's services at start and this closed network refuses them by the dozen.
const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh throw-away profile (Playwright makes and removes it). */
export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: QUIET_FLAGS });
  return { browser, close: () => browser.close() };
}

/** Where screenshots and other test artifacts go (kept by CI, ignored by git). */
export const ARTIFACTS = join(process.cwd(), 'test-results');
