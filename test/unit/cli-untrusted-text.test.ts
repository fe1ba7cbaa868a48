import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marked, type Token } from 'marked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Untrusted text through the real `pktpath` binary: a session file anyone could hand over, imported and shown,
// listed and exported as a Markdown report. Nothing in it may reach the terminal as a control sequence, or the
// report as live HTML, a link or an image.

const home = mkdtempSync(join(tmpdir(), 'pktpath-untrusted-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function pktpath(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/pktpath.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PKTPATH_HOME: home },
    maxBuffer: 1 << 30,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const ESC = '\u001b';
// Clear screen, window title (OSC … BEL), a C1 CSI, a right-to-left override, a carriage return over the line.
const HOSTILE = `${ESC}[2J${ESC}]0;owned\u0007\u009b31m\u202eevil\rfake`;
const title = `T<script>alert(1)</script>${HOSTILE}`;
const notes = [
  'n <iframe src="https://evil.example/"></iframe>',
  '[x](javascript:alert(1)) ![i](https://evil.example/i.png) <javascript:alert(4)>',
  '<img src=x onerror=alert(1)> ``` `code` ',
  '[ref]: javascript:alert(5)',
].join('\n');
const annotation =
  'see <script>alert(2)</script> [click](javascript:alert(3)) `x` ` <a href="javascript:1">a</a>';
const hop = (fn: string, i: number) => ({ function: fn, ts_ns: 1000 + i, ifindex: 1, netns: 1, len: 84 });

/** A version 1 session file (packets inline), what `sessions import` reads from anyone. */
function sessionFile(id: string, hops: ReturnType<typeof hop>[]): string {
  const file = join(home, `${id}.session.json`);
  const at = '2025-01-01T10:00:00.000Z';
  writeFileSync(
    file,
    JSON.stringify({
      format: 'pktpath-session',
      version: 1,
      id,
      title,
      notes,
      createdAt: at,
      updatedAt: at,
      hosts: [{ name: 'web1', address: `web1<b>${HOSTILE}`, kernelRelease: `6.1${HOSTILE}`, arch: 'x86_64' }],
      runs: [
        {
          id: 'r1',
          host: 'web1',
          spec: { host: 'web1', filter: 'icmp`<b>x</b>|', probes: { kind: 'profile', name: 'default' } },
          mode: 'kprobe-multi',
          startedAt: at,
          kernelRelease: `6.1${HOSTILE}`,
          packets: [{ id: 1, hops, drop_reason: `X<script>${HOSTILE}` }],
        },
      ],
      annotations: [{ id: 'a1', at, runId: 'r1<img src=x>', text: annotation + HOSTILE }],
    }),
  );
  return file;
}

/** C0 but newline, DEL, C1, bidi controls: what a terminal would act on. */
const TERMINAL_CONTROLS =
  // eslint-disable-next-line no-control-regex -- the test looks for exactly these
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

beforeAll(() => {
  const hops = ['ip_rcv<script>', `nf_hook_slow${HOSTILE}`, 'a|b`c\\|d', 'kfree_skb'].map(hop);
  expect(pktpath('sessions', 'import', sessionFile('hostile', hops))).toMatchObject({ code: 0 });
}, 60_000);

describe('untrusted text on the terminal (CLI binary)', { timeout: 60_000 }, () => {
  it('sessions list and show print no control or bidi characters, and show them as \\uXXXX', () => {
    for (const args of [
      ['sessions', 'list'],
      ['sessions', 'show', 'hostile'],
    ]) {
      const r = pktpath(...args);
      expect(r.code).toBe(0);
      expect(r.out + r.err).not.toMatch(TERMINAL_CONTROLS);
      expect(r.out).toContain('\\u001b[2J\\u001b]0;owned\\u0007\\u009b31m\\u202eevil\\u000dfake');
    }
    const show = pktpath('sessions', 'show', 'hostile').out;
    expect(show).toContain('nf_hook_slow\\u001b[2J');
    expect(show).toContain('DROPPED: X<script>\\u001b[2J');
  });

  it('--json stays valid JSON that round-trips the exact text, with no raw control or bidi character', () => {
    for (const args of [
      ['sessions', 'list', '--json'],
      ['sessions', 'show', 'hostile', '--json'],
    ]) {
      const r = pktpath(...args);
      expect(r.code).toBe(0);
      expect(r.out).not.toMatch(TERMINAL_CONTROLS);
      const doc = JSON.parse(r.out) as { title: string } | { title: string }[];
      expect(Array.isArray(doc) ? doc[0]!.title : doc.title).toBe(title);
    }
  });

  it('error lines quoting what the user gave are neutralised too', () => {
    const r = pktpath('hosts', 'add', 'x', '--address', 'x', '--auth', `bad${HOSTILE}`);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(TERMINAL_CONTROLS);
    expect(r.err).toMatch(/^pktpath: .*not "bad\\u001b\[2J/);
  });
});

describe('host addresses', { timeout: 60_000 }, () => {
  it('refuses an address that known_hosts would read as a pattern list, a field break or a [host]:port', () => {
    for (const address of ['x,*', '*', 'web?', '!web', 'web one', '[web]:22', 'web\n1', '-oProxyCommand=x']) {
      const r = pktpath('hosts', 'add', 'evil', '--address', address);
      expect(r.code, address).not.toBe(0);
      expect(r.err, address).toMatch(/^pktpath: .*address/);
    }
    expect(pktpath('hosts', 'list', '--json').out).not.toContain('"evil"');
  });

  it('accepts host names, IPv4 and IPv6 addresses', () => {
    for (const [name, address] of [
      ['h1', 'web-1.example.com'],
      ['h2', '10.0.0.5'],
      ['h3', 'fe80::1%eth0'],
      ['h4', '2001:db8::5'],
    ] as const)
      expect(pktpath('hosts', 'add', name, '--address', address), address).toMatchObject({ code: 0 });
  });
});

/** The elements a report renders to: headings, paragraphs, lists, tables, code. No link, image, script, frame. */
const REPORT_TAGS = [
  'h1',
  'h2',
  'h3',
  'p',
  'ul',
  'li',
  'code',
  'pre',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
];

/** Every token marked (raw HTML passed through, as CommonMark and GFM do) finds in the report. */
function tokensOf(markdown: string): Token[] {
  const all: Token[] = [];
  marked.walkTokens(marked.lexer(markdown), (t) => void all.push(t));
  return all;
}

describe('Markdown report of a hostile session', { timeout: 120_000 }, () => {
  it('renders titles, notes, annotations, hosts and function names inert', () => {
    const file = join(home, 'hostile.md');
    expect(pktpath('sessions', 'export', 'hostile', file)).toMatchObject({ code: 0 });
    const md = readFileSync(file, 'utf8');
    expect(md).not.toMatch(TERMINAL_CONTROLS);

    const tokens = tokensOf(md);
    const kinds = new Set(tokens.map((t) => t.type));
    for (const live of ['html', 'link', 'image', 'def']) expect(kinds, live).not.toContain(live);
    // Rendered, every `<` is a tag the renderer made (text `<` is `&lt;`): only the report's own kinds and attributes.
    const html = marked.parse(md, { async: false });
    const tags = [...html.matchAll(/<\/?([a-z0-9]+)([^>]*)>/gi)].map((m) => ({
      name: m[1]!,
      attrs: m[2]!.trim(),
    }));
    expect(new Set(tags.map((t) => t.name))).toEqual(new Set(REPORT_TAGS));
    for (const t of tags) expect(t.attrs, t.name).toMatch(/^$|^align="right"$|^class="language-text"$/);

    // The text is all still there, shown literally.
    expect(html).toContain('<h1>T&lt;script&gt;alert(1)&lt;/script&gt;\\u001b[2J');
    expect(html).toContain('see &lt;script&gt;alert(2)&lt;/script&gt; [click](javascript:alert(3)) `x` `');
    expect(html).toContain('[x](javascript:alert(1)) ![i](https://evil.example/i.png)');
    expect(html).toContain('<code>icmp`&lt;b&gt;x&lt;/b&gt;|</code>');
    // A function name stays one code span in its own cell, pipes and backticks included.
    type Cell = { tokens: Token[] };
    const rows = tokens.flatMap((t) => (t.type === 'table' ? (t as Token & { rows: Cell[][] }).rows : []));
    const fnCell = rows
      .map((r) => r[1]!.tokens)
      .find((c) => c.some((t) => 'text' in t && /^a\|b/.test(t.text)));
    expect(fnCell).toHaveLength(1);
    expect(fnCell![0]).toMatchObject({ type: 'codespan', text: expect.stringMatching(/^a\|b`c\\+\|d$/) });
  });

  it('is produced for a packet of 200k hops (no argument spread of a huge array)', () => {
    const hops = Array.from({ length: 200_000 }, (_, i) => hop(i % 2 ? 'ip_rcv' : 'ip_output', i));
    expect(pktpath('sessions', 'import', sessionFile('huge', hops))).toMatchObject({ code: 0 });
    const file = join(home, 'huge.md');
    const r = pktpath('sessions', 'export', 'huge', file);
    expect(r.err).not.toMatch(/RangeError|call stack/);
    expect(r.code).toBe(0);
    const md = readFileSync(file, 'utf8');
    expect(md).toMatch(/^\| 199999 \| `ip_rcv` \| 0\.0 \| 1 \| 84 \|$/m);
  });
});
