import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { axeViolations } from './axe.js';

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

/**
 * pktpath's page in a fresh headless Chromium, opened at `url` (its token in the fragment, as `serve` prints it) and
 * connected. `errors` (if given) collects the page's uncaught errors, and its console errors with `consoleErrors`;
 * the test says what it expects of them. Makes ARTIFACTS for the screenshots.
 */
export async function openApp(
  url: string,
  opts: {
    viewport?: { width: number; height: number };
    colorScheme?: 'dark' | 'light';
    timezoneId?: string;
    errors?: string[];
    consoleErrors?: boolean;
  } = {},
): Promise<{ page: Page; close: () => Promise<void> }> {
  const { browser, close } = await launchChromium();
  const ctx = await browser.newContext({
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    ...(opts.colorScheme ? { colorScheme: opts.colorScheme } : {}),
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
  });
  const page = await ctx.newPage();
  const errors = opts.errors;
  if (errors) {
    page.on('pageerror', (e) => errors.push(String(e)));
    if (opts.consoleErrors) page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  }
  try {
    await page.goto(url);
    await page.getByText('connected (browser mode)').waitFor();
  } catch (e) {
    await close();
    throw e;
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return { page, close };
}

/** The sizes every view is shown at in screenshots: a laptop and the smallest window pktpath supports. */
export const SHOT_SIZES = [
  [1440, 900],
  [1024, 700],
] as const;

/**
 * Screenshots of the page as it is now at each of SHOT_SIZES in the light and dark theme, saved as
 * `test-results/PREFIX-NAME-WxH-THEME.png`; each is checked by axe (WCAG A/AA, contrast among them) and by `check`
 * if given. The theme is switched with Alt+T as a user does (never from a focused input, which keeps the key).
 */
export async function shotsAt(
  page: Page,
  prefix: string,
  name: string,
  opts: { check?: (label: string) => Promise<void>; restore?: { width: number; height: number } } = {},
): Promise<void> {
  for (const theme of ['light', 'dark'])
    for (const [w, h] of SHOT_SIZES) {
      if ((await page.locator('html').getAttribute('data-theme')) !== theme) {
        await page.evaluate('document.activeElement?.blur()');
        await page.keyboard.press('Alt+t');
      }
      await page.setViewportSize({ width: w, height: h });
      await page.screenshot({ path: join(ARTIFACTS, `${prefix}-${name}-${w}x${h}-${theme}.png`) });
      const label = `${name} ${w}x${h} ${theme}`;
      expect(await axeViolations(page), label).toEqual([]);
      await opts.check?.(label);
    }
  await page.setViewportSize(opts.restore ?? { width: 1440, height: 900 });
}

/**
 * What a packet list and hop table must never do at any size: paint past the list into the next pane (its head,
 * a row's columns), or squeeze a hop's function name below `minFnPx`. Returns the faults found, [] when none.
 */
export async function paneFaults(page: Page, minFnPx = 90): Promise<string[]> {
  // a string, not a function: this project's TypeScript has no DOM types
  return page.evaluate(`(() => {
    const out = [];
    const shown = (e) => getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0;
    for (const list of document.querySelectorAll('.packet-list')) {
      if (!shown(list)) continue;
      const right = list.getBoundingClientRect().right + 1;
      for (const e of list.querySelectorAll('.pl-head > *, .vlist-row [data-col]'))
        if (shown(e) && e.getBoundingClientRect().right > right)
          out.push('spills past the list: ' + (e.getAttribute('data-col') ?? e.textContent));
    }
    const widths = new Set();
    for (const td of document.querySelectorAll('[data-testid=packet-detail] table.hops-table td.fn')) {
      const w = td.getBoundingClientRect().width;
      if (td.getClientRects().length > 0 && w < ${minFnPx}) widths.add(Math.round(w));
    }
    for (const w of widths) out.push('hop function column ' + w + ' px wide');
    return out;
  })()`);
}
