import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostContext } from '../../../main/api/explain.js';
import { diffContexts, MAX_CONTEXT_CHANGES } from '../../../main/core/context/context-diff.js';
import { parseContextOutput } from '../../../main/core/context/parse-context.js';

const AT = '2026-11-30T10:40:00.000Z';
const vm612 = readFileSync(join(import.meta.dirname, 'fixtures/context/vm612-6.12.txt'), 'utf8');
const ctxOf = (text: string): HostContext => ({ version: 1, start: parseContextOutput(text, 'TOK', AT) });

describe('context diff', () => {
  it('the same capture twice: no differences, even with other counters, handles and nft counters', () => {
    const again = vm612
      .replace(/^Ip: 2 64 \d+/m, 'Ip: 2 64 999999')
      .replace('icmp type echo-request drop # handle 2', 'icmp type echo-request drop # handle 7');
    expect(diffContexts(ctxOf(vm612), ctxOf(again))).toEqual({ available: true, changes: [] });
  });

  it('a good host against a bad one: the sysctl, route, nft rule, MTU and listener that differ, by netns name', () => {
    const bad = vm612
      .replace('/proc/sys/net/ipv4/ip_forward:0', '/proc/sys/net/ipv4/ip_forward:1')
      .replace('10.99.0.0/24 dev ctxa proto kernel scope link src 10.99.0.1 \n', '')
      .replace(
        '\t\ticmp type echo-request drop # handle 2\n',
        '\t\ticmp type echo-request drop # handle 2\n\t\ttcp dport 80 reject # handle 3\n',
      )
      .replace(
        '"ifname":"ctxb","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1400',
        '"ifname":"ctxb","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":9000',
      )
      .replace(/^tcp +0 +0 :::22 .*\n/m, '');
    const d = diffContexts(ctxOf(vm612), ctxOf(bad));
    expect(d.available).toBe(true);
    // in order of relevance: sysctls, routes, firewall, links, then listeners
    expect(d.changes).toEqual([
      { netns: 'init', kind: 'sysctl', key: 'net.ipv4.ip_forward', a: '0', b: '1' },
      {
        netns: 'init',
        kind: 'route',
        key: '10.99.0.0/24 dev ctxa proto kernel scope link src 10.99.0.1',
        a: '10.99.0.0/24 dev ctxa proto kernel scope link src 10.99.0.1',
        b: null,
      },
      { netns: 'ctxweb', kind: 'nftables', key: 'tcp dport 80 reject', a: null, b: 'tcp dport 80 reject' },
      {
        netns: 'ctxweb',
        kind: 'link',
        key: 'ctxb',
        a: expect.stringMatching(/^veth UP mtu 1400 10\.99\.0\.2\/24/),
        b: expect.stringMatching(/^veth UP mtu 9000 /),
      },
      { netns: 'init', kind: 'listener', key: 'tcp :::22', a: 'tcp :::22', b: null },
    ]);
  });

  it('namespaces on one side only; a side without context is not compared; the list is bounded', () => {
    const fewer = vm612.slice(0, vm612.indexOf('@@TOK ns 4026532223'));
    const d = diffContexts(ctxOf(vm612), ctxOf(`${fewer}@@TOK done\n`));
    expect(d.changes.map((c) => [c.kind, c.netns, c.a, c.b])).toEqual([
      ['namespace', 'uic-c', 'netns 4026532223', null],
      ['namespace', 'uic-r', 'netns 4026532277', null],
      ['namespace', 'uic-s', 'netns 4026532333', null],
    ]);
    expect(diffContexts(ctxOf(vm612), undefined)).toEqual({ available: false, changes: [] });
    const routes = (n: number) =>
      `@@TOK ns 1\tinit\n@@TOK sec route4\n${Array.from({ length: n }, (_, i) => `10.${i >> 8}.${i & 255}.0/24 dev x`).join('\n')}\n@@TOK done\n`;
    const big = diffContexts(ctxOf(routes(0)), ctxOf(routes(MAX_CONTEXT_CHANGES + 10)));
    expect(big.changes).toHaveLength(MAX_CONTEXT_CHANGES);
    expect(big.truncated).toBe(true);
  });

  it('IPv6 link-local destinations (made from random MACs, late) are no difference; a route via fe80 is', () => {
    const ctx = (lines: string[]) =>
      ctxOf(`@@TOK ns 1\tinit\n@@TOK sec route6\n${lines.join('\n')}\n@@TOK done\n`);
    const a = ['default via fe80::1 dev eth0 metric 1024 pref medium'];
    const b = [
      'default via fe80::2 dev eth0 metric 1024 pref medium',
      'fe80::/64 dev eth0 proto kernel metric 256 pref medium',
      'local fe80::4f5:7bff:fe81:4992 dev eth0 table local proto kernel metric 0 pref medium',
    ];
    expect(diffContexts(ctx(a), ctx(b)).changes.map((c) => [c.a, c.b])).toEqual([
      ['default via fe80::1 dev eth0 metric 1024 pref medium', null],
      [null, 'default via fe80::2 dev eth0 metric 1024 pref medium'],
    ]);
  });

  it('tc: a filter on one side is a change; counters and BPF program ids are not', () => {
    const tc = (filters: string, drops: number) =>
      `qdisc clsact ffff: dev eth0 parent ffff:fff1 \n Sent 0 bytes 0 pkt (dropped ${drops}, overlimits 0 requeues 0) \nfilters dev eth0 ingress:\n${filters}`;
    const bpf = (id: number) =>
      `filter protocol all pref 49152 bpf chain 0 \nfilter protocol all pref 49152 bpf chain 0 handle 0x1 x.o:[tc] direct-action not_in_hw id ${id} name drop_icmp tag 75192f8d1652ac2e jited `;
    const ctx = (text: string): HostContext => {
      const c = ctxOf(vm612);
      c.start!.namespaces[0]!.tc = text;
      return c;
    };
    expect(diffContexts(ctx(tc(bpf(1), 0)), ctx(tc(bpf(7), 5))).changes).toEqual([]);
    const d = diffContexts(ctx(tc('', 0)), ctx(tc(bpf(7), 0)));
    expect(d.changes.map((c) => [c.netns, c.kind, c.a, c.b])).toEqual([
      [
        'init',
        'tc',
        null,
        'filter protocol all pref 49152 bpf chain 0 handle 0x1 x.o:[tc] direct-action not_in_hw name drop_icmp tag 75192f8d1652ac2e jited',
      ],
    ]);
  });
});
