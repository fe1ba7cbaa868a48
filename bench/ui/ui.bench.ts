// Renderer benchmarks (issue #5) in Debian's Chromium against browser mode with the real core, written to the file
// given as argv[2]. Figures and ratios against a peer measured in the same run; never pass/fail on a time.
//  - a 100k-packet session: click Open → packet list shown and a packet's path on screen (interactive), vs a
//    trivial page load in the same browser
//  - scrolling the 100k-packet list one screen per frame: main-thread work per frame (p50/p95/max, from a devtools
//    timeline trace) vs the same page idle traced the same way; frame intervals of both too
//  - a display-filter keystroke on the 100k-packet list → the list's count updated and painted, vs a keystroke
//    into a box that filters nothing, in the same page
//  - compare view of two 1k-hop paths: click Compare → aligned rows on screen, and the core's share of it
//  - a live trace streaming (ping -f across a veth pair, traced on `local` with raw tracepoints, every packet
//    matched): main-thread work per frame while the Trace view follows it, vs the idle page above; the packet rate
//    the page received (needs root; without it the part says so)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { factsOfPacket, parseDisplayFilter } from '../../main/api/display-filter/index.js';
import type { PacketPath } from '../../main/api/trace.js';
import { createCore } from '../../main/core/service/create-core.js';
import { SessionStore } from '../../main/core/sessions/session-store.js';
import { startBrowserMode } from '../../main/server/index.js';
import { launchChromium } from '../../test/support/browser.js';
import { localShell } from '../../test/lab/exec.js';
import { createPair, destroy } from '../../test/lab/netns.js';
import { writeResult } from '../write-result.js';

const out = process.argv[2] ?? 'bench/results/ui-ui.json';
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const median = (xs: number[]) => pct(xs, 0.5);

type TraceEvent = {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
};
type FrameWork = { work: number; script: number; style: number; layout: number; paint: number };
const STYLE = new Set(['UpdateLayoutTree', 'RecalculateStyles']);
const LAYOUT = new Set(['Layout']);
const PAINT = new Set(['PrePaint', 'Paint', 'Layerize', 'Commit', 'UpdateLayer', 'CompositeLayers']);
// Only the rendering update (rAF callbacks, then the lifecycle) runs these, so a task holding one ends a frame.
const FRAME_END = new Set(['FireAnimationFrame', 'PrePaint', 'Commit']);

/**
 * Main-thread work per frame from a devtools timeline trace: every top-level task of the page's renderer main thread
 * is charged to the next rendering update, so a frame's work is all the main thread did since the previous frame
 * (script: events, React's scheduled renders, page fetches; then style, layout, paint). Idle gaps are not counted.
 */
function workPerFrame(events: TraceEvent[]): FrameWork[] {
  const mains = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}/${e.tid}`),
  );
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    const k = `${e.pid}/${e.tid}`;
    if (mains.has(k) && e.ph === 'X') byThread.set(k, [...(byThread.get(k) ?? []), e]);
  }
  // The page's renderer is the main thread that ran our rAF loop.
  const own = [...byThread.values()].sort(
    (a, b) =>
      b.filter((e) => e.name === 'FireAnimationFrame').length -
      a.filter((e) => e.name === 'FireAnimationFrame').length,
  )[0];
  if (!own) throw new Error('no renderer main thread in the trace');
  own.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  const frames: FrameWork[] = [];
  let cur: FrameWork = { work: 0, script: 0, style: 0, layout: 0, paint: 0 };
  let taskEnd = -Infinity;
  let endsFrame = false;
  const close = () => {
    if (endsFrame) {
      cur.script = cur.work - cur.style - cur.layout - cur.paint;
      frames.push(cur);
      cur = { work: 0, script: 0, style: 0, layout: 0, paint: 0 };
    }
    endsFrame = false;
  };
  for (const e of own) {
    const ms = (e.dur ?? 0) / 1000;
    if (e.name === 'RunTask' && e.ts >= taskEnd) {
      close();
      taskEnd = e.ts + (e.dur ?? 0);
      cur.work += ms;
    } else if (e.ts < taskEnd) {
      if (FRAME_END.has(e.name)) endsFrame = true;
      if (STYLE.has(e.name)) cur.style += ms;
      else if (LAYOUT.has(e.name)) cur.layout += ms;
      else if (PAINT.has(e.name)) cur.paint += ms;
    }
  }
  close();
  // The first frame also carries the tasks that started the loop.
  return frames.slice(1);
}

/**
 * Main-thread work per frame while a live trace streams into the Trace view: `ping -f` across a veth pair, traced on
 * `local` (raw tracepoints) with no packet limit, every packet matched; the rate is what the page itself counted.
 */
async function streamFrames(page: Page) {
  if (process.getuid?.() !== 0) return { skipped: 'needs root (tracing this kernel)' } as const;
  const t = await createPair(localShell);
  const flood = spawn('ip', ['netns', 'exec', t.client, 'ping', '-f', '-q', '-w', '40', t.serverAddr], {
    stdio: 'ignore',
  });
  const livePackets = async () =>
    Number(((await page.getByTestId('live-packets').textContent()) ?? '0').replace(/,/g, ''));
  try {
    await page.click('[data-view=trace]');
    await page.getByLabel('host', { exact: true }).selectOption('local');
    await page.getByTestId('filter').fill(`icmp and host ${t.serverAddr}`);
    await page.getByLabel('probe profile').selectOption('default');
    await page.getByLabel('attach mode').selectOption('tracepoint');
    await page.getByLabel('packet limit').fill('0');
    await page.getByLabel('duration limit').fill('60');
    await page.getByRole('button', { name: '▶ Start' }).click();
    await page.locator('[data-testid=phase]', { hasText: 'tracing' }).waitFor({ timeout: 60_000 });
    await page.waitForTimeout(1500); // packets flowing
    const [n0, t0] = [await livePackets(), performance.now()];
    const frames = await traceFrames(page, 'stream');
    const packetsPerS = Math.round(((await livePackets()) - n0) / ((performance.now() - t0) / 1000));
    await page.getByRole('button', { name: '■ Stop' }).click();
    await page.locator('[data-testid=phase]', { hasText: /^(done|failed)$/ }).waitFor({ timeout: 120_000 });
    const lost = (await page.getByTestId('progress').textContent())?.match(/lost\s*([\d,]+)/)?.[1] ?? '?';
    return { ...frames, packetsPerS, lost };
  } finally {
    flood.kill();
    await destroy(t);
  }
}

/** Runs 240 frames idle or scrolling the visible packet list a screen per frame, traced; per-frame work and intervals. */
async function traceFrames(page: Page, mode: 'idle' | 'scroll' | 'stream') {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
  await cdp.send('Tracing.start', {
    traceConfig: {
      includedCategories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        // with PKTPATH_UI_TRACE_DIR, JS samples too (DevTools shows them as the call tree)
        ...(process.env.PKTPATH_UI_TRACE_DIR ? ['disabled-by-default-v8.cpu_profiler'] : []),
      ],
    },
    transferMode: 'ReportEvents',
  });
  const run = await page.evaluate(async (scroll) => {
    const list = [...document.querySelectorAll<HTMLElement>('.vlist')].find((e) => e.offsetParent !== null);
    if (!list) throw new Error('no visible packet list');
    // Long animation frames (> 50 ms) as the browser itself reports them, where supported.
    let longFrames: number | null = null;
    const po = PerformanceObserver.supportedEntryTypes.includes('long-animation-frame')
      ? new PerformanceObserver((l) => (longFrames = (longFrames ?? 0) + l.getEntries().length))
      : undefined;
    if (po) longFrames = 0;
    po?.observe({ type: 'long-animation-frame' });
    const deltas: number[] = [];
    let last = performance.now();
    for (let f = 0; f < 240; f++) {
      if (scroll) list.scrollTop += list.clientHeight;
      await new Promise((r) => requestAnimationFrame(r));
      const now = performance.now();
      deltas.push(now - last);
      last = now;
    }
    await new Promise((r) => setTimeout(r, 100));
    po?.disconnect();
    return { deltas, longFrames };
  }, mode === 'scroll');
  const done = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.end');
  await done;
  await cdp.detach();
  // For a look in DevTools' Performance panel: PKTPATH_UI_TRACE_DIR=/tmp/x writes idle.json and scroll.json there.
  const dir = process.env.PKTPATH_UI_TRACE_DIR;
  if (dir) writeFileSync(join(dir, `${mode}.json`), JSON.stringify({ traceEvents: events }));
  const frames = workPerFrame(events);
  return { intervals: run.deltas, longFrames: run.longFrames, frames, work: frames.map((f) => f.work) };
}

const breakdown = (t: { frames: FrameWork[] }) => {
  const mean = (k: keyof FrameWork) => round(t.frames.reduce((s, f) => s + f[k], 0) / t.frames.length, 2);
  return `script ${mean('script')} style ${mean('style')} layout ${mean('layout')} paint ${mean('paint')}`;
};

/**
 * Keystroke → list updated, measured in the page: from the keydown of `last` (typed after `before`) to the first
 * animation frame after the packet count reads `want`. The peer is the same keystroke into the go-to box, which
 * changes nothing but its own text (keydown → the next frame).
 */
async function keystrokeMs(page: Page, box: string, before: string, last: string, want: string | null) {
  const input = page.locator(`${box}:visible`);
  await input.fill(before);
  await page.waitForTimeout(want ? 400 : 50); // the previous filter's answer is in
  const done = page.evaluate((w) => {
    return new Promise<number>((resolve, reject) => {
      setTimeout(() => reject(new Error(`the list never read ${w}`)), 20_000);
      let t0 = 0;
      const count = [...document.querySelectorAll<HTMLElement>('[data-testid=packet-count]')].find(
        (e) => e.offsetParent !== null,
      );
      // no named inner functions: tsx would wrap them in a __name() the page does not have
      addEventListener('keydown', () => (t0 = performance.now()), { capture: true, once: true });
      if (w === null) {
        addEventListener('input', () => requestAnimationFrame(() => resolve(performance.now() - t0)), {
          capture: true,
          once: true,
        });
        return;
      }
      const mo = new MutationObserver(() => {
        if (t0 && count?.textContent === w) {
          mo.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - t0));
        }
      });
      if (count) mo.observe(count, { childList: true, subtree: true, characterData: true });
    });
  }, want);
  await input.press(last);
  return done;
}

const FUNCS = [
  'net_dev_queue',
  'net_dev_start_xmit',
  'netif_rx_entry',
  'netif_rx',
  'net_dev_xmit',
  'netif_receive_skb',
  'ip_rcv_core',
  'ip_local_deliver',
  'icmp_rcv',
  'consume_skb',
];

function packets(
  n: number,
  hops: (i: number) => number,
  name: (i: number, h: number) => string,
): PacketPath[] {
  const ps: PacketPath[] = [];
  let t = 1_000_000_000;
  for (let i = 0; i < n; i++) {
    const hs = [];
    for (let h = 0; h < hops(i); h++) {
      t += 500 + ((i * 7919 + h * 104729) % 4000);
      hs.push({
        function: name(i, h),
        ts_ns: t,
        ifindex: h < 5 ? 2 : 3,
        netns: h < 2 ? 4026531840 : 4026532001,
        len: 84,
        cpu: i % 4,
        ...(h === 0 ? { tuple: { proto: 1, saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 0, dport: 0 } } : {}),
      });
    }
    ps.push({ id: i + 1, hops: hs, drop_reason: i % 97 === 0 ? 'NETFILTER_DROP' : null });
  }
  return ps;
}

function sessionFile(dir: string, id: string, title: string, ps: PacketPath[]): string {
  const now = new Date().toISOString();
  const doc = {
    format: 'pktpath-session',
    version: 1,
    id,
    title,
    notes: '',
    createdAt: now,
    updatedAt: now,
    hosts: [{ name: 'bench', address: '127.0.0.1' }],
    runs: [
      {
        id: `${id}-run`,
        host: 'bench',
        spec: { host: 'bench', filter: 'icmp' },
        mode: 'tracepoint',
        startedAt: now,
        endedAt: now,
        lost: 0,
        events: [],
        packets: ps,
      },
    ],
    annotations: [],
  };
  const file = join(dir, `${id}.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

const scratch = mkdtempSync(join(tmpdir(), 'pktpath-ui-bench-'));
const core = await createCore({ home: join(scratch, 'home'), knownHostsFiles: [] });
// Imported the CLI's way (from a file, no size cap): the API takes bytes up to 10 MiB, and these are bigger.
const store = new SessionStore(core.home);
const server = await startBrowserMode({ handler: core });
const trivial = createServer((_q, r) => r.end('<!doctype html><title>t</title><p>hello</p>'));
await new Promise<void>((r) => trivial.listen(0, '127.0.0.1', r));
const { browser, close } = await launchChromium();

try {
  const big = store.importFrom(
    sessionFile(
      scratch,
      'bench-100k',
      'bench 100k',
      packets(
        100_000,
        (i) => 6 + (i % 5),
        (_i, h) => FUNCS[h % FUNCS.length] ?? 'fn',
      ),
    ),
  );
  const longA = store.importFrom(
    sessionFile(
      scratch,
      'bench-1k-a',
      'bench 1k A',
      packets(
        1,
        () => 1000,
        (_i, h) => `fn_${h}`,
      ),
    ),
  );
  const longB = store.importFrom(
    sessionFile(
      scratch,
      'bench-1k-b',
      'bench 1k B',
      packets(
        1,
        () => 1000,
        (_i, h) => (h % 50 === 25 ? `other_${h}` : `fn_${h}`),
      ),
    ),
  );
  const page = await browser.newPage({ viewport: { width: 1480, height: 900 } });

  // Peer: a trivial page, loaded in the same browser.
  const trivialMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await page.goto(`http://127.0.0.1:${(trivial.address() as AddressInfo).port}/?${i}`, {
      waitUntil: 'load',
    });
    trivialMs.push(performance.now() - t0);
  }

  await page.goto(server.url);
  await page.getByText('connected (browser mode)').waitFor();
  const openMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.click('[data-view=sessions]');
    const row = page.locator(`tr[data-session="${big.id}"]`);
    await row.waitFor();
    const t0 = performance.now();
    await row.getByRole('button', { name: 'Open' }).click();
    await page
      .locator('[data-testid=packet-count]:visible', { hasText: '100,000' })
      .waitFor({ timeout: 60_000 });
    await page.locator('.vlist-row:visible').nth(3).click();
    await page.locator('[data-testid=packet-detail]:visible', { hasText: 'Packet 4' }).waitFor();
    openMs.push(performance.now() - t0);
  }

  // Peer: the same page left idle, then the list scrolled one screen per frame; both traced the same way. Frame
  // intervals alone cannot tell whether scrolling fits a frame (headless Chromium's idle clock is already ~16.7 ms),
  // so each run also reports the main thread's work per frame from a devtools timeline trace.
  const idle = await traceFrames(page, 'idle');
  const scroll = await traceFrames(page, 'scroll');
  const frames = scroll.intervals;
  const idleFrames = idle.intervals;
  const rendered = await page.locator('.vlist-row:visible').count();

  // Display filter keystrokes on the 100k-packet session, each with the count the language itself gives for the
  // generated packets; the peer is a keystroke into the go-to box in the same page.
  const all = packets(
    100_000,
    (i) => 6 + (i % 5),
    (_i, h) => FUNCS[h % FUNCS.length] ?? 'fn',
  );
  const t0 = all[0]?.hops[0]?.ts_ns ?? 0;
  const facts = all.map((p, i) => factsOfPacket(p, i, t0));
  const countOf = (f: string) => {
    const r = parseDisplayFilter(f);
    if (!r.ok) throw new Error(`bench filter ${f}: ${r.error.message}`);
    const n = facts.filter((x) => r.filter.test(x)).length;
    return n === 100_000 ? '100,000' : `${n.toLocaleString('en-US')} of 100,000`;
  };
  const keystrokes: [string, string][] = [
    ['dro', 'p'],
    ['hops == 1', '0'],
    ['func == icmp_rc', 'v'],
    ['dur > 20u', 's'],
    ['drop || hops == ', '7'],
  ];
  const filterMs: number[] = [];
  const idleKeyMs: number[] = [];
  for (let round = 0; round < 3; round++)
    for (const [before, last] of keystrokes) {
      filterMs.push(
        await keystrokeMs(page, '[data-testid=display-filter]', before, last, countOf(before + last)),
      );
      idleKeyMs.push(await keystrokeMs(page, '[aria-label="go to packet"]', '12', '3', null));
    }
  await page.locator('[data-testid=display-filter]:visible').fill('');

  // Compare two 1k-hop paths.
  const coreCompareMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await core.call('compare.paths', { a: { session: longA.id }, b: { session: longB.id } });
    coreCompareMs.push(performance.now() - t0);
  }
  await page.click('[data-view=compare]');
  const pick = async (label: string, title: string) =>
    page
      .getByLabel(label)
      .selectOption(
        (await page.getByLabel(label).locator('option', { hasText: title }).getAttribute('value')) ?? '',
      );
  await pick('session A', 'bench 1k A');
  await pick('session B', 'bench 1k B');
  const compareMs: number[] = [];
  for (let i = 0; i < 5; i++) {
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.getByTestId('first-divergence').waitFor();
    await page.getByLabel('compare mode').selectOption('runs');
    await page.getByLabel('compare mode').selectOption('paths');
    const t0 = performance.now();
    await page.getByRole('button', { name: 'Compare', exact: true }).click();
    await page.locator('.cmp-row[data-row]').first().waitFor();
    await page.getByTestId('first-divergence').waitFor();
    compareMs.push(performance.now() - t0);
  }
  const compareRows = await page.locator('.cmp-row').count();

  const stream = await streamFrames(page);

  const result = {
    summary: {
      ...('work' in stream
        ? {
            stream_packets_per_s: stream.packetsPerS,
            stream_work_per_frame_p50_ms: round(median(stream.work), 2),
            stream_work_per_frame_p95_ms: round(pct(stream.work, 0.95), 2),
            stream_work_per_frame_max_ms: round(Math.max(...stream.work), 2),
            stream_vs_idle_work_p95_ratio: round(pct(stream.work, 0.95) / pct(idle.work, 0.95), 1),
            stream_events_lost: stream.lost,
          }
        : { stream: stream.skipped }),
      open_100k_ms: round(median(openMs)),
      trivial_page_ms: round(median(trivialMs)),
      open_vs_trivial_ratio: round(median(openMs) / median(trivialMs), 2),
      scroll_work_per_frame_p50_ms: round(median(scroll.work), 2),
      scroll_work_per_frame_p95_ms: round(pct(scroll.work, 0.95), 2),
      scroll_work_per_frame_max_ms: round(Math.max(...scroll.work), 2),
      idle_work_per_frame_p50_ms: round(median(idle.work), 2),
      idle_work_per_frame_p95_ms: round(pct(idle.work, 0.95), 2),
      idle_work_per_frame_max_ms: round(Math.max(...idle.work), 2),
      scroll_vs_idle_work_p95_ratio: round(pct(scroll.work, 0.95) / pct(idle.work, 0.95), 1),
      // The budget is the idle page's own frame interval, so this says "fits a frame" when ≤ 1.
      scroll_work_p95_vs_idle_frame_interval_ratio: round(pct(scroll.work, 0.95) / median(idleFrames), 2),
      scroll_frame_interval_p50_ms: round(median(frames)),
      scroll_frame_interval_p95_ms: round(pct(frames, 0.95)),
      idle_frame_interval_p50_ms: round(median(idleFrames)),
      idle_frame_interval_p95_ms: round(pct(idleFrames, 0.95)),
      filter_keystroke_p50_ms: round(median(filterMs)),
      filter_keystroke_max_ms: round(Math.max(...filterMs)),
      idle_keystroke_p50_ms: round(median(idleKeyMs)),
      filter_vs_idle_keystroke_ratio: round(median(filterMs) / median(idleKeyMs), 1),
      compare_1k_ms: round(median(compareMs)),
      compare_1k_core_ms: round(median(coreCompareMs)),
      goals: {
        open_100k_ms: 1000,
        scroll_work_per_frame_p95_ms: 16,
        compare_1k_ms: 100,
        filter_keystroke_ms: 100,
        stream_work_per_frame_p95_ms: 16,
      },
    },
    // Scalars and strings only, so the file is stable under Prettier.
    detail: {
      open_100k_runs_ms: openMs.map((x) => round(x)).join(' '),
      trivial_runs_ms: trivialMs.map((x) => round(x)).join(' '),
      scroll_frames: frames.length,
      scroll_frames_traced: scroll.work.length,
      scroll_work_frames_over_16_ms: scroll.work.filter((w) => w > 16).length,
      // Means of per-frame work by kind; "script" is everything on the main thread that is not style/layout/paint.
      scroll_work_mean_ms: breakdown(scroll),
      idle_work_mean_ms: breakdown(idle),
      scroll_long_animation_frames: scroll.longFrames,
      scroll_frame_interval_max_ms: round(Math.max(...frames)),
      scroll_frame_intervals_over_16_7_ms: frames.filter((f) => f > 16.7).length,
      packet_rows_in_dom: rendered,
      filter_keystroke_runs_ms: filterMs.map((x) => round(x)).join(' '),
      idle_keystroke_runs_ms: idleKeyMs.map((x) => round(x)).join(' '),
      compare_runs_ms: compareMs.map((x) => round(x)).join(' '),
      compare_rows_in_dom: compareRows,
      ...('work' in stream
        ? {
            stream_work_mean_ms: breakdown(stream),
            stream_work_frames_over_16_ms: stream.work.filter((w) => w > 16).length,
            stream_frame_interval_p95_ms: round(pct(stream.intervals, 0.95)),
          }
        : {}),
    },
  };
  writeResult(out, result);
  console.log(JSON.stringify(result.summary));
} finally {
  await close();
  trivial.close();
  await server.close();
  await core.close();
  rmSync(scratch, { recursive: true, force: true });
}
