import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HostContext, HostContextSnapshot, NetnsContext } from '../../../main/api/explain.js';
import type { Hop, PacketPath } from '../../../main/api/trace.js';
import { counterDeltas } from '../../../main/api/counter-deltas.js';
import { HopNamer, hopPlace } from '../../../main/core/context/hop-names.js';
import { parseContextOutput } from '../../../main/core/context/parse-context.js';

const ns = (netns: number, name: string, links: [number, string][], counters = {}): NetnsContext => ({
  netns,
  name,
  links: links.map(([ifindex, ifname]) => ({ ifindex, ifname, addresses: [] })),
  routes: [],
  rules: [],
  neighbours: [],
  sysctls: {},
  listeners: [],
  counters,
  errors: [],
});
const snap = (...namespaces: NetnsContext[]): HostContextSnapshot => ({
  at: '2026-11-30T10:00:00.000Z',
  namespaces,
});
const hop = (netns: number, ifindex: number): Hop => ({ function: 'f', ts_ns: 1, ifindex, netns, len: 84 });
const packet = (...hops: Hop[]): PacketPath => ({ id: 1, hops, drop_reason: null });

describe('names, not numbers', () => {
  const ctx: HostContext = {
    version: 1,
    start: snap(
      ns(10, 'init', [
        [1, 'lo'],
        [2, 'eth0'],
      ]),
      ns(20, 'web', [[5, 'veth-web']]),
    ),
    // at the end eth0 was renamed and a tunnel (ifindex 9) was created mid-run; netns 30 appeared mid-run
    end: snap(
      ns(10, 'init', [
        [1, 'lo'],
        [2, 'wan0'],
        [9, 'tun0'],
      ]),
      ns(30, '4242 (containerd-shim)', [[3, 'eth0']]),
    ),
  };
  const namer = new HopNamer(ctx);

  it('the start snapshot names hops as they were; the end fills in what was created mid-run; numbers stay', () => {
    const p = namer.packet(packet(hop(10, 2), hop(10, 9), hop(20, 5), hop(30, 3), hop(99, 4), hop(10, 0)));
    expect(p.hops.map((h) => [h.ifname, h.netns_name, h.ifindex, h.netns])).toEqual([
      ['eth0', 'init', 2, 10],
      ['tun0', 'init', 9, 10],
      ['veth-web', 'web', 5, 20],
      ['eth0', '4242 (containerd-shim)', 3, 30],
      [undefined, undefined, 4, 99],
      [undefined, 'init', 0, 10],
    ]);
    expect(p.hops.map(hopPlace)).toEqual([
      'eth0@init',
      'tun0@init',
      'veth-web@web',
      'eth0@4242 (containerd-shim)',
      'if4@99',
      '-@init',
    ]);
  });

  it('does not touch the packet it was given (live packets are shared with the run file writer)', () => {
    const p = packet(hop(10, 2));
    namer.packet(p);
    expect(p.hops[0]).not.toHaveProperty('ifname');
    const none = new HopNamer(undefined);
    expect(none.packet(p)).toBe(p);
  });

  it('names from a real capture: this machine’s eth0 and an ip netns veth', () => {
    const text = readFileSync(join(import.meta.dirname, 'fixtures/context/local-6.18.txt'), 'utf8');
    const real = new HopNamer({
      version: 1,
      start: parseContextOutput(text, 'TOK', '2026-11-30T10:40:00.000Z'),
    });
    expect(real.packet(packet(hop(4026531833, 4), hop(4026532317, 2))).hops.map(hopPlace)).toEqual([
      'eth0@init',
      'ppc056e62@ppc-056e62',
    ]);
  });
});

describe('counter deltas', () => {
  it('end − start per namespace present in both, only what moved', () => {
    const ctx: HostContext = {
      version: 1,
      start: snap(
        ns(10, 'init', [], { IcmpInEchos: 3, IpInReceives: 100, TcpExtListenDrops: 0 }),
        ns(20, 'gone', []),
      ),
      end: snap(
        ns(10, 'init', [], { IcmpInEchos: 8, IpInReceives: 100, TcpExtListenDrops: 2 }),
        ns(30, 'new', []),
      ),
    };
    expect(counterDeltas(ctx)).toEqual([
      { netns: 10, name: 'init', deltas: { IcmpInEchos: 5, TcpExtListenDrops: 2 } },
    ]);
    expect(counterDeltas({ version: 1, start: ctx.start })).toEqual([]);
  });
});
