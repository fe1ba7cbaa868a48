import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostContext } from '../../../main/api/explain.js';
import { diffContexts } from '../../../main/core/context/context-diff.js';
import { parseContextOutput } from '../../../main/core/context/parse-context.js';

// The renderer's two host-context components, rendered as React renders them (to markup, no browser needed) from a
// real capture (vm612: a netns `ctxweb` with an nft drop rule) and a real diff.
const text = readFileSync(join(import.meta.dirname, '../core/fixtures/context/vm612-6.12.txt'), 'utf8');
const start = parseContextOutput(text, 'TOK', '2026-11-30T10:40:00.000Z');
const end = parseContextOutput(
  text.replace(/^Ip: 2 64 (\d+)/m, (_, n: string) => `Ip: 2 64 ${Number(n) + 7}`),
  'TOK',
  '2026-11-30T10:41:00.000Z',
);
// The components are TSX, which only the renderer's tsconfig compiles (with DOM and JSX); React's own types would
// retype DOM globals for every test this tsconfig checks. So they and React are loaded by specifiers tsc does not
// follow, typed here as far as this test uses them; the renderer's tsc checks the components' props.
type Element = { readonly type: unknown };
type Component = (props: Record<string, unknown>) => Element | null;
const load = async <T>(specifier: string): Promise<T> => (await import(specifier)) as T;
const { createElement } = await load<{ createElement: (c: Component, p: object) => Element }>('react');
const { renderToStaticMarkup } = await load<{ renderToStaticMarkup: (e: Element) => string }>(
  'react-dom/server',
);
const components = '../../../renderer/src/components';
const { HostContextPanel } = await load<{ HostContextPanel: Component }>(
  `${components}/HostContextPanel.tsx`,
);
const { ContextDiff } = await load<{ ContextDiff: Component }>(`${components}/ContextDiff.tsx`);
const html = (el: Element) => renderToStaticMarkup(el);

describe('HostContextPanel', () => {
  it('shows the first namespace’s links, routes, sysctls and the counters that moved', () => {
    const ctx: HostContext = { version: 1, start, end };
    const out = html(createElement(HostContextPanel, { context: ctx }));
    expect(out).toContain('data-testid="host-context"');
    expect(out).toMatch(/<option value="0" title="netns 4026531840"[^>]*>init<\/option>/);
    expect(out).toContain('<option value="1" title="netns 4026532165">ctxweb</option>');
    expect(out).toMatch(/<td>eth0<\/td><td>ether<\/td><td>UP<\/td><td>mtu 1500<\/td>/);
    expect(out).toContain('net.ipv4.ip_forward = 0');
    expect(out).toContain('default via 10.0.2.2 dev eth0');
    expect(out).toContain('IpInReceives +7');
    expect(out).not.toContain('host-context-note');
  });

  it('says why a capture is incomplete, and says so when a run has none', () => {
    const cut = { ...start, truncated: true, error: 'stopped at the time bound' };
    expect(html(createElement(HostContextPanel, { context: { version: 1, start: cut } }))).toContain(
      'Incomplete: the capture hit a bound. stopped at the time bound',
    );
    expect(html(createElement(HostContextPanel, { context: undefined }))).toContain(
      'traced with --no-context',
    );
  });

  it('renders remote text as text, never as markup', () => {
    const hostile = {
      ...start,
      namespaces: [{ ...start.namespaces[0]!, name: '<img src=x onerror=alert(1)>' }],
    };
    const out = html(createElement(HostContextPanel, { context: { version: 1, start: hostile } }));
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});

describe('ContextDiff', () => {
  it('lists the changes A → B with the side that has a one-sided line', () => {
    const bad = parseContextOutput(
      text.replace('/proc/sys/net/ipv4/ip_forward:0', '/proc/sys/net/ipv4/ip_forward:1'),
      'TOK',
      '2026-11-30T10:42:00.000Z',
    );
    const d = diffContexts(
      { version: 1, start },
      { version: 1, start: { ...bad, namespaces: [...bad.namespaces.slice(0, 2)] } },
    );
    const out = html(createElement(ContextDiff, { diff: d, labelA: 'good', labelB: 'bad' }));
    expect(out).toContain('(good → bad, 4 changes)');
    expect(out).toContain(
      '<span class="muted">netns init:</span> sysctl net.ipv4.ip_forward: <span class="cmp-key changed">0</span> → <span class="cmp-key changed">1</span>',
    );
    // tinted as Compare's only-in rows (neutral: red means a drop there)
    expect(out).toContain(
      '<li><span class="muted">netns uic-c:</span> namespace <span class="cmp-key missing">only in A</span>: uic-c</li>',
    );
    expect(out).not.toContain('class="bad"');
    expect(html(createElement(ContextDiff, { diff: { available: false, changes: [] } }))).toContain(
      'a run has none',
    );
    expect(html(createElement(ContextDiff, { diff: { available: true, changes: [] } }))).toContain(
      'no differences',
    );
  });
});
