import { describe, expect, it } from 'vitest';
import {
  describeFilterError,
  factsOfPacket,
  parseDisplayFilter,
  type PacketFacts,
} from '../../../main/api/display-filter/index.js';
import type { PacketPath } from '../../../main/api/trace.js';

// The packet list's display filter: one parser for the core and the renderer. Each case pins what a filter
// selects from a small set of packets unlike one another, and each error where it points and what it says.

const tuple = (proto: number, saddr: string, daddr: string, sport = 0, dport = 0) => ({
  proto,
  saddr,
  daddr,
  sport,
  dport,
});
const hop = (fn: string, ts: number, extra: Partial<PacketPath['hops'][number]> = {}) => ({
  function: fn,
  ts_ns: ts,
  ifindex: 2,
  netns: 4026531840,
  len: 84,
  ...extra,
});

const PACKETS: PacketPath[] = [
  // 1: ICMP ping delivered, 50 µs
  {
    id: 1,
    drop_reason: null,
    hops: [
      hop('ip_rcv', 1_000, { tuple: tuple(1, '10.0.0.1', '10.0.0.2'), ifname: 'veth0' }),
      hop('icmp_rcv', 51_000),
    ],
    verdict: { kind: 'delivered', summary: 'delivered (ping socket)' },
  },
  // 2: TCP 443 dropped by netfilter in netns router, 2 ms
  {
    id: 2,
    drop_reason: 'NETFILTER_DROP',
    hops: [
      hop('ip_rcv', 10_000, { tuple: tuple(6, '10.0.0.1', '192.168.1.9', 40000, 443) }),
      hop('nf_hook_slow', 20_000, { netns: 4026532000, netns_name: 'router', ifindex: 7, ifname: 'eth1' }),
      hop('kfree_skb', 2_010_000, { drop_reason: 'NETFILTER_DROP', netns: 4026532000 }),
    ],
  },
  // 3: UDP 53 over IPv6, cut, 3 s
  {
    id: 3,
    drop_reason: null,
    cut: true,
    hops: [
      hop('ipv6_rcv', 5_000_000, { tuple: tuple(17, 'fe80::1', '2001:db8::53', 5353, 53) }),
      hop('udp_rcv', 3_005_000_000),
    ],
  },
  // 4: no 5-tuple, partial, a single hop
  { id: 4, drop_reason: null, partial: true, hops: [hop('consume_skb', 9_000_000_000)] },
];
const FACTS: PacketFacts[] = PACKETS.map((p, i) => factsOfPacket(p, i, 1_000));

function select(filter: string): number[] {
  const r = parseDisplayFilter(filter);
  if (!r.ok) throw new Error(describeFilterError(filter, r.error));
  return FACTS.filter((f) => r.filter.test(f)).map((f) => f.id);
}

describe('display filter: what it selects', () => {
  it.each<[string, number[]]>([
    ['', [1, 2, 3, 4]],
    ['ip.addr == 10.0.0.1', [1, 2]],
    ['ip.addr == 10.0.0.1 && tcp.port == 443', [2]],
    ['ip.dst == 192.168.0.0/16', [2]],
    ['ip.src eq 10.0.0.2', []],
    ['ip.addr != 10.0.0.1', [3]],
    ['!(ip.addr == 10.0.0.1)', [3, 4]],
    ['ip.addr == 2001:db8::/32', [3]],
    ['ip.addr == fe80:0:0:0:0:0:0:1', [3]],
    ['ipv6', [3]],
    ['ip', [1, 2]],
    ['tcp', [2]],
    ['icmp || udp', [1, 3]],
    ['ip.proto == udp', [3]],
    ['proto == 6', [2]],
    ['udp.port == 53', [3]],
    ['tcp.port == 53', []],
    ['port in {53 443}', [2, 3]],
    ['tcp.dstport >= 400 and tcp.dstport < 500', [2]],
    ['drop', [2]],
    ['!drop', [1, 3, 4]],
    ['not drop and not cut', [1, 4]],
    ['drop.reason == netfilter_drop', [2]],
    ['reason contains NETFILTER', [2]],
    ['func contains nf_', [2]],
    ['func == udp_rcv', [3]],
    ['func.last == kfree_skb', [2]],
    ['func matches "^ip(v6)?_rcv$"', [1, 2, 3]],
    ['func ~ "^ipv6"', [3]],
    ['verdict == dropped', [2]],
    ['verdict == delivered', [1]],
    ['verdict', [1, 2]],
    ['iface == veth0', [1]],
    ['iface == eth1 || iface == 7', [2]],
    ['netns == router', [2]],
    ['netns == 4026531840', [1, 2, 3, 4]],
    ['dur > 1ms', [2, 3]],
    ['dur <= 50us', [1, 4]],
    ['dur > 2.5s', [3]],
    ['time >= 1s', [4]],
    ['hops == 1', [4]],
    ['hops > 1 && (cut || drop)', [2, 3]],
    ['partial', [4]],
    ['id in {1, 4}', [1, 4]],
    ['frame.number == 3', [3]],
    ['variant == 1', [1]],
    ['TCP or ICMP', [1, 2]],
  ])('%j selects %j', (filter, ids) => expect(select(filter)).toEqual(ids));

  it('says which filters need facts beyond a run index', () => {
    const needs = (s: string) => {
      const r = parseDisplayFilter(s);
      return r.ok ? r.filter.needs : undefined;
    };
    expect(needs('tcp && func contains nf_ && dur > 1ms')).toEqual({ places: false, verdict: false });
    expect(needs('iface == eth0')).toEqual({ places: true, verdict: false });
    expect(needs('drop || verdict == dropped')).toEqual({ places: false, verdict: true });
  });
});

describe('display filter: errors say where and what', () => {
  it.each<[string, number, string]>([
    ['ip.adr == 10.0.0.1', 0, 'unknown field “ip.adr” — did you mean ip.addr?'],
    ['ip.addr = 10.0.0.1', 8, '“=” is not an operator: compare with “==”'],
    [
      'ip.addr == 10.0.0.256',
      11,
      '“10.0.0.256” is not an IP address or prefix (10.0.0.1, 10.0.0.0/24, fe80::1)',
    ],
    ['tcp.port == 70000', 12, '“70000” is not a port (0–65535)'],
    ['dur > 1', 6, '“1” needs a unit: ns, us, ms or s (e.g. 1ms)'],
    ['dur > 1h', 6, '“1h” is not a duration: write a number with a unit (ns, us, ms, s), e.g. 1ms'],
    [
      'verdict == lost',
      11,
      '“lost” is not a verdict: one of delivered, forwarded, sent, dropped, in-flight, unknown',
    ],
    ['drop == 1', 8, 'drop is true or false: write “drop” or “!drop”, without a value'],
    ['ip.addr > 10.0.0.1', 10, '“>” does not apply to ip.addr: it is not a number'],
    ['hops contains 3', 14, '“contains” applies to text fields (func, drop.reason, iface, netns), not hops'],
    ['tcp &&', 6, 'the filter ends where a field was expected'],
    ['ip.addr ==', 10, 'the filter ends where a value after “==” was expected'],
    ['(tcp || udp', 0, 'this “(” is never closed'],
    ['tcp)', 3, 'this “)” closes nothing'],
    ['tcp udp', 4, 'expected “&&” or “||” before “udp”'],
    ['func 10', 5, 'expected an operator (==, !=, <, >, contains…) before “10”'],
    [
      'func matches "(("',
      13,
      'not a regular expression: Invalid regular expression: /((/i: Unterminated group',
    ],
    ['func == "nf_', 8, 'this string has no closing quote'],
    ['port in 80', 8, '“in” takes a set: {80 443}'],
    [
      'ip.proto == xyz',
      12,
      '“xyz” is not a protocol: a number (0–255) or one of icmp, igmp, tcp, udp, gre, esp, icmpv6, sctp',
    ],
    ['tcp # x', 4, 'unexpected character “#”'],
  ])('%j → at %d: %s', (filter, at, message) => {
    const r = parseDisplayFilter(filter);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toBe(message);
    expect(r.error.at).toBe(at);
  });

  it('puts the position in words', () => {
    const src = 'tcp && ip.adr == 1.2.3.4';
    const r = parseDisplayFilter(src);
    expect(r.ok || describeFilterError(src, r.error)).toBe(
      'at character 8 (“ip.adr”): unknown field “ip.adr” — did you mean ip.addr?',
    );
    const end = 'tcp &&';
    const r2 = parseDisplayFilter(end);
    expect(r2.ok || describeFilterError(end, r2.error)).toBe(
      'at the end: the filter ends where a field was expected',
    );
  });
});
