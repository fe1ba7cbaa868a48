import { describe, expect, it } from 'vitest';
import { checkPcapFilter } from '../../../renderer/src/model/pcap-filter-check.js';

// The Trace view's as-you-type filter check: it must accept what tcpdump accepts and point at what it does not.
describe('pcap filter check', () => {
  it.each([
    '',
    'icmp',
    'icmp and host 10.0.0.2',
    'tcp port 80 or 443',
    'tcp[tcpflags] & tcp-syn != 0',
    'tcp[13:1] & 2 != 0',
    'ip6 and host ::1',
    'src net 10.0.0.0/8',
    'not (udp or icmp)',
    'len > 100',
    'host 10.0.0.1 or 10.0.0.2',
    'vlan 10 and icmp',
    'ether host aa:bb:cc:dd:ee:ff',
    'src or dst host 1.2.3.4',
    'less 64',
    'udp portrange 1000-2000',
  ])('accepts %j', (f) => expect(checkPcapFilter(f)).toBeUndefined());

  it.each([
    ['icmp and', 6, '"and" needs an expression after it'],
    ['port 99999', 6, 'port 99999 is out of range (0-65535)'],
    ['host 10.0.0.256', 6, '10.0.0.256 is not an IPv4 address (each part is 0-255)'],
    ['icnp', 1, 'unknown keyword "icnp" (a host name needs "host icnp")'],
    ['(icmp', 1, 'missing ")"'],
    ['icmp)', 5, 'unbalanced ")"'],
    ['tcp port', 9, 'port needs a value'],
    ['net 10.0.0.0/33', 5, '/33 is not a prefix length'],
    ['tcp[13:3] & 2 != 0', 8, 'field size after ":" is 1, 2 or 4'],
    ['icmp $', 6, 'unexpected character "$"'],
  ])('rejects %j at column %i', (f, column, message) =>
    expect(checkPcapFilter(f)).toEqual({ column, message }),
  );
});
