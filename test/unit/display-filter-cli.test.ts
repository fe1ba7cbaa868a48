import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The display filter as the core applies it to a saved run (`sessions.packets`), through the real `pktpath`
// binary (`npm run build` first): `sessions show --display-filter` on an imported session. Filters on index
// columns (5-tuple, path, drop, duration) and ones that need the core's pass over the packets (interfaces,
// namespaces, verdicts) select the same packets the language's unit tests pin; a bad filter fails saying where.

const home = mkdtempSync(join(tmpdir(), 'pktpath-dfilter-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

function pktpath(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/pktpath.mjs', ...args], {
    encoding: 'utf8',
    env: { ...process.env, PKTPATH_HOME: home },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const hop = (fn: string, ts: number, extra: Record<string, unknown> = {}) => ({
  function: fn,
  ts_ns: ts,
  ifindex: 2,
  netns: 4026531840,
  len: 84,
  ...extra,
});
const tcp443 = { proto: 6, saddr: '10.0.0.1', daddr: '192.168.1.9', sport: 40000, dport: 443 };

const packets = [
  {
    id: 1,
    drop_reason: null,
    // delivered to a ping socket, as explain reads it on the hops (a verdict stored in the file is not trusted)
    verdict: { kind: 'dropped', summary: 'a stale verdict the reader ignores' },
    hops: [
      hop('ip_rcv', 1_000, { tuple: { proto: 1, saddr: '10.0.0.1', daddr: '10.0.0.2', sport: 0, dport: 0 } }),
      hop('icmp_rcv', 51_000, { ifname: 'veth0' }),
      hop('ping_queue_rcv_skb', 52_000, { ifname: 'veth0' }),
    ],
  },
  {
    id: 2,
    drop_reason: 'NETFILTER_DROP',
    hops: [
      hop('ip_rcv', 10_000, { tuple: tcp443 }),
      hop('nf_hook_slow', 20_000, { netns: 4026532000, netns_name: 'router', ifindex: 7, ifname: 'eth1' }),
      hop('kfree_skb', 2_010_000, { drop_reason: 'NETFILTER_DROP' }),
    ],
  },
  {
    id: 3,
    drop_reason: null,
    cut: true,
    hops: [
      hop('ipv6_rcv', 5_000_000, {
        tuple: { proto: 17, saddr: 'fe80::1', daddr: '2001:db8::53', sport: 5353, dport: 53 },
      }),
      hop('udp_rcv', 3_005_000_000),
    ],
  },
];

beforeAll(() => {
  const at = '2026-01-01T10:00:00.000Z';
  const file = join(home, 'df.session.json');
  writeFileSync(
    file,
    JSON.stringify({
      format: 'pktpath-session',
      version: 1,
      id: 'df',
      title: 'display filter',
      createdAt: at,
      updatedAt: at,
      hosts: [{ name: 'web1', address: '10.0.0.5' }],
      runs: [{ id: 'r1', host: 'web1', spec: { host: 'web1' }, mode: 'kprobe', startedAt: at, packets }],
    }),
  );
  expect(pktpath('sessions', 'import', file)).toMatchObject({ code: 0, out: 'df\n' });
}, 60_000);

const shown = (filter: string) => {
  const r = pktpath('sessions', 'show', 'df', '--display-filter', filter, '--json');
  expect(r).toMatchObject({ code: 0, err: '' });
  const s = JSON.parse(r.out) as { runs: { packets: { id: number }[] }[] };
  return s.runs[0]?.packets.map((p) => p.id);
};

describe('sessions show --display-filter (CLI binary)', { timeout: 60_000 }, () => {
  it.each<[string, number[]]>([
    ['ip.addr == 10.0.0.1 && tcp.port == 443', [2]],
    ['drop', [2]],
    ['func contains nf_', [2]],
    ['dur > 1ms', [2, 3]],
    ['ip.addr == 2001:db8::/32 || icmp', [1, 3]],
    ['cut', [3]],
    ['verdict == delivered', [1]],
    ['verdict == dropped', [2]],
    ['iface == eth1 or netns == router', [2]],
    ['iface == veth0', [1]],
    ['', [1, 2, 3]],
  ])('%j shows packets %j', (filter, ids) => expect(shown(filter)).toEqual(ids));

  it('says how many of the run matched in text output', () => {
    const r = pktpath('sessions', 'show', 'df', '--display-filter', 'tcp');
    expect(r.code).toBe(0);
    expect(r.out).toContain('run 1: (1 of 3 match tcp)');
    expect(r.out).toContain(
      'packet 2  tcp 10.0.0.1:40000 → 192.168.1.9:443  3 hops  DROPPED: NETFILTER_DROP',
    );
    expect(r.out).not.toContain('packet 1 ');
  });

  it('refuses a bad filter with where and what, exit 1', () => {
    const r = pktpath('sessions', 'show', 'df', '--display-filter', 'tcp && ip.adr == 1.2.3.4');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.trim()).toBe(
      'pktpath: display filter at character 8 (“ip.adr”): unknown field “ip.adr” — did you mean ip.addr?',
    );
  });
});
