import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findAnswers } from '../../../main/core/diagnose/answers.js';
import { evalIptablesRule } from '../../../main/core/diagnose/iptables-rules.js';
import { parseListener } from '../../../main/core/diagnose/listeners.js';
import { findNetfilterRule } from '../../../main/core/diagnose/netfilter-point.js';
import { evalNftRule } from '../../../main/core/diagnose/nft-rule-eval.js';
import { parseNftRuleset } from '../../../main/core/diagnose/nft-ruleset.js';
import { lookupRoute } from '../../../main/core/diagnose/routes.js';
import type { PacketPath } from '../../../main/api/trace.js';

// The pieces the rule library reads the host context with, on text captured from real tools (nft 1.0.6,
// iptables-nft 1.8.9, iproute2 6.1 on Debian 12).
const dir = 'test/unit/fixtures/diagnose-context';
const both = readFileSync(`${dir}/nft-ruleset.txt`, 'utf8');
// the inet table alone, and iptables-nft's `ip filter` copy of the iptables rules alone
const ruleset = both.slice(0, both.indexOf('table ip filter'));
const iptablesNft = both.slice(both.indexOf('table ip filter'));
const iptables = readFileSync(`${dir}/iptables-save.txt`, 'utf8');
const echo = { proto: 1, saddr: '10.1.0.1', daddr: '10.1.0.2', sport: 7, dport: 8 << 8 };

describe('nft ruleset', () => {
  it('parses tables, base chains with hook and policy, rules with handles', () => {
    const r = parseNftRuleset(ruleset);
    const input = r.chains.find((c) => c.table === 'filter' && c.family === 'inet' && c.name === 'input')!;
    expect(input).toMatchObject({ hook: 'input', policy: 'accept' });
    expect(input.rules.map((x) => [x.handle, x.text])).toEqual([
      [2, 'ct state invalid drop'],
      [4, 'tcp dport { 22, 80 } accept'],
      [5, 'icmp type echo-request reject with icmp admin-prohibited'],
    ]);
    expect(r.chains.find((c) => c.name === 'forward_chain')).toMatchObject({
      hook: 'forward',
      policy: 'drop',
    });
    expect(r.chains.find((c) => c.name === 'allow')!.hook).toBeUndefined();
  });

  it('evaluates a rule against a tuple: yes, no, or maybe for what a trace cannot know', () => {
    expect(evalNftRule('icmp type echo-request reject with icmp admin-prohibited', echo)).toEqual({
      match: 'yes',
      verdict: 'reject',
    });
    expect(evalNftRule('icmp type echo-reply drop', echo).match).toBe('no');
    expect(evalNftRule('ct state invalid drop', echo)).toEqual({ match: 'maybe', verdict: 'drop' });
    const tcp = { proto: 6, saddr: '10.0.0.9', daddr: '10.0.0.1', sport: 40000, dport: 80 };
    expect(evalNftRule('tcp dport { 22, 80 } accept', tcp)).toEqual({ match: 'yes', verdict: 'accept' });
    expect(evalNftRule('tcp dport 1000-2000 drop', tcp).match).toBe('no');
    expect(evalNftRule('ip saddr 10.0.0.0/8 counter packets 3 bytes 180 jump allow', tcp)).toEqual({
      match: 'yes',
      verdict: 'jump',
      target: 'allow',
    });
    expect(evalNftRule('ip saddr != 10.0.0.0/8 drop', tcp).match).toBe('no');
    expect(evalNftRule('iifname "eth0" drop', { ...tcp, iif: 'eth1' }).match).toBe('no');
    expect(evalNftRule('ip6 saddr ::1 drop', tcp).match).toBe('no');
  });

  it('finds the one rule that dropped a packet on a hook, following jumps, and says when it is ambiguous', () => {
    const byReject = findNetfilterRule({ nftables: ruleset }, 'input', echo)!;
    // ct state invalid drop could match too, but a rule that surely matches wins
    expect(byReject).toMatchObject({
      by: 'rule',
      verdict: 'reject',
      point: { engine: 'nftables', family: 'inet', table: 'filter', chain: 'input', handle: 5 },
    });
    const dns = { proto: 17, saddr: '10.2.0.1', daddr: '192.0.2.1', sport: 5000, dport: 53 };
    expect(findNetfilterRule({ nftables: ruleset }, 'forward', dns)).toMatchObject({
      by: 'rule',
      point: { chain: 'allow', handle: 7, rule: 'udp dport 53 drop' },
    });
    const other = { ...dns, saddr: '192.168.9.9' };
    expect(findNetfilterRule({ nftables: ruleset }, 'forward', other)).toMatchObject({
      by: 'policy',
      point: { chain: 'forward_chain', hook: 'forward' },
    });
    const tcp = { proto: 6, saddr: '10.0.0.9', daddr: '10.0.0.1', sport: 40000, dport: 8080 };
    expect(findNetfilterRule({ nftables: ruleset }, 'input', tcp)).toMatchObject({
      by: 'rule',
      point: { rule: 'ct state invalid drop' },
    });
    const two =
      'table inet t {\n chain c {\n type filter hook input priority 0; policy accept;\n ct state new drop # handle 2\n meta mark 1 drop # handle 3\n }\n}\n';
    expect(findNetfilterRule({ nftables: two }, 'input', tcp)).toMatchObject({
      by: 'ambiguous',
      candidates: [expect.stringContaining('ct state new drop'), expect.stringContaining('meta mark 1 drop')],
    });
  });

  it('calls two surely matching drop rules on one hook ambiguous and lists both', () => {
    const f = findNetfilterRule({ nftables: both }, 'input', echo)!;
    expect(f.by).toBe('ambiguous');
    expect(f.candidates).toEqual([
      expect.stringContaining('icmp type echo-request reject'),
      expect.stringContaining('meta l4proto icmp icmp type echo-request counter packets 0 bytes 0 drop'),
    ]);
  });

  it('prefers the iptables-save line over its iptables-nft copy in the nft ruleset', () => {
    const f = findNetfilterRule({ nftables: iptablesNft, iptables }, 'input', echo)!;
    expect(f).toMatchObject({
      by: 'rule',
      point: {
        engine: 'iptables',
        table: 'filter',
        chain: 'INPUT',
        rule: '-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP',
      },
    });
  });
});

describe('iptables rules', () => {
  it('evaluates -p, -s, --dport, --icmp-type and leaves unknown matches as maybe', () => {
    const https = { proto: 6, saddr: '192.168.1.7', daddr: '10.0.0.1', sport: 999, dport: 443 };
    const line =
      '-A INPUT -s 192.168.1.0/24 -p tcp -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable';
    expect(evalIptablesRule(line, https)).toBe('yes');
    expect(evalIptablesRule(line, { ...https, saddr: '192.168.2.7' })).toBe('no');
    expect(evalIptablesRule('-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP', echo)).toBe('yes');
    expect(evalIptablesRule('-A INPUT -m conntrack --ctstate INVALID -j DROP', https)).toBe('maybe');
    expect(evalIptablesRule('-A INPUT ! -i lo -p tcp -j DROP', { ...https, iif: 'lo' })).toBe('no');
  });
});

describe('routes and listeners', () => {
  const routes = [
    'default via 10.232.5.2 dev ppc1',
    '10.232.5.0/24 dev ppc1 proto kernel scope link src 10.232.5.1',
    'blackhole 10.233.5.2',
    'prohibit 10.233.6.0/24',
    'local 10.232.5.1 dev ppc1 table local proto kernel scope host src 10.232.5.1',
    'fe80::/64 dev ppc1 proto kernel metric 256 pref medium',
  ];
  it('picks the longest prefix of table local, then main', () => {
    expect(lookupRoute(routes, '10.233.5.2')).toMatchObject({ type: 'blackhole', prefix: '10.233.5.2' });
    expect(lookupRoute(routes, '10.233.6.7')).toMatchObject({ type: 'prohibit' });
    expect(lookupRoute(routes, '10.232.5.9')).toMatchObject({ type: 'unicast', dev: 'ppc1' });
    expect(lookupRoute(routes, '10.232.5.1')).toMatchObject({ type: 'local', table: 'local' });
    expect(lookupRoute(routes, '8.8.8.8')).toMatchObject({ prefix: '0.0.0.0/0', via: '10.232.5.2' });
    expect(lookupRoute(routes.slice(1), '8.8.8.8')).toBeUndefined();
  });

  it('reads ss -H -lntupw lines with their process', () => {
    expect(
      parseListener(
        'udp   UNCONN 0      0            0.0.0.0:5001       0.0.0.0:*    users:(("python3",pid=4242,fd=3))',
      ),
    ).toMatchObject({ proto: 'udp', address: '0.0.0.0', port: 5001, process: 'python3', pid: 4242 });
    expect(parseListener('tcp   LISTEN 0      128             [::]:22            [::]:*')).toMatchObject({
      proto: 'tcp',
      port: 22,
    });
  });
});

describe('answers', () => {
  const hop = (ts: number, netns: number, tuple?: typeof echo): PacketPath['hops'][number] => ({
    function: 'net_dev_queue',
    ts_ns: ts,
    ifindex: 2,
    netns,
    len: 84,
    ...(tuple ? { tuple } : {}),
  });
  const req: PacketPath = { id: 2, drop_reason: 'IP_INHDR', hops: [hop(1000, 1, echo), hop(2000, 7)] };
  const icmp = (id: number, ts: number, netns: number, type: number): PacketPath => ({
    id,
    drop_reason: null,
    hops: [hop(ts, netns, { proto: 1, saddr: '10.1.0.254', daddr: echo.saddr, sport: 0, dport: type << 8 })],
  });
  it('links an ICMP error sent back from the netns where the packet ended, within a second', () => {
    const near = [icmp(3, 1900, 7, 11), icmp(4, 1900, 8, 11), icmp(5, 1900, 7, 0), icmp(6, 3e9, 7, 11)];
    expect(findAnswers(req, near, 7)).toEqual([
      { packet: 3, kind: 'icmp', icmpType: 11, icmpCode: 0, from: '10.1.0.254' },
    ]);
  });
});
