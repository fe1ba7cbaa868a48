import { describe, expect, it } from 'vitest';
import type { Hop, PacketPath, RunEvent } from '../../../main/api/trace.js';
import { FlowSchema } from '../../../main/api/flows.js';
import { parseCapture } from '../../../main/core/flows/packet-headers.js';
import { flowsOfRuns, type FlowRun } from '../../../main/core/flows/run-flows.js';

// Stitching on packets as the loader records them: hop lists and captured bytes (an IPv4 + ICMP/UDP header
// written byte by byte here, as a kernel would put it on the wire). Each host runs its own clock.

const ip = (a: string) => a.split('.').map(Number);

/** IPv4 + ICMP echo bytes; `ether` prefixes a 14-byte Ethernet header (as captured on a receive path). */
function icmpBytes(o: {
  src: string;
  dst: string;
  id: number;
  ipId: number;
  seq: number;
  ttl: number;
  type?: number;
  ether?: boolean;
}): Buffer {
  const iph = Buffer.alloc(20);
  iph[0] = 0x45;
  iph.writeUInt16BE(84, 2);
  iph.writeUInt16BE(o.ipId, 4);
  iph.writeUInt16BE(0x4000, 6); // DF
  iph[8] = o.ttl;
  iph[9] = 1;
  Buffer.from(ip(o.src)).copy(iph, 12);
  Buffer.from(ip(o.dst)).copy(iph, 16);
  const icmp = Buffer.alloc(16);
  icmp[0] = o.type ?? 8;
  icmp.writeUInt16BE(o.id, 4);
  icmp.writeUInt16BE(o.seq, 6);
  const eth = Buffer.from('525400990002525400990001 0800'.replace(/ /g, ''), 'hex');
  return Buffer.concat([...(o.ether ? [eth] : []), iph, icmp]);
}

interface Sight {
  id: number;
  t0: number;
  fns: string[];
  bytes: Buffer;
  ether?: boolean;
  ifname?: string;
  drop?: string;
  tuple: { saddr: string; daddr: string };
  /** As vm612 showed it: the copy at __ip_local_out, before it fills in the IP length, then one at ip_output. */
  lenLater?: boolean;
  /** `net_dev_xmit` (after the driver returned) comes this much later: the frame may have arrived by then. */
  xmitDone?: number;
  /** The last hop comes this much later (a driver freeing a sent skb when it next cleans its TX ring). */
  lateLast?: number;
}

/** A packet path: one hop per function, 1 µs apart, the capture at the first hop. */
function packet(s: Sight): PacketPath {
  const hops: Hop[] = s.fns.map((f, i) => ({
    function: f,
    ts_ns:
      s.t0 +
      i * 1000 +
      (i === s.fns.length - 1 ? (s.lateLast ?? 0) : 0) +
      (f === 'net_dev_xmit' ? (s.xmitDone ?? 0) : 0),
    ifindex: 3,
    netns: 4026531840,
    len: 84,
    ...(s.ifname ? { ifname: s.ifname } : {}),
    ...(i === 0 ? { tuple: { proto: 1, ...s.tuple, sport: 0, dport: 0 } } : {}),
    ...(s.drop && i === s.fns.length - 1 ? { drop_reason: s.drop } : {}),
  }));
  return {
    id: s.id,
    hops,
    drop_reason: s.drop ?? null,
    captures: (s.lenLater ? [0, 1] : [0]).map((i) => {
      const b = Buffer.from(s.bytes);
      if (s.lenLater && i === 0) b.writeUInt16BE(0, (s.ether ? 14 : 0) + 2);
      const fn = s.fns[i]!;
      return {
        ts_ns: s.t0 + i * 1000,
        function: fn,
        link: s.ether ? 'ether' : 'raw',
        len: b.length,
        data: b.toString('base64'),
      };
    }),
  } as PacketPath;
}

const TX = [
  '__ip_local_out',
  'ip_output',
  'ip_finish_output2',
  '__dev_queue_xmit',
  'dev_hard_start_xmit',
  'consume_skb',
];
const RX = ['__netif_receive_skb', 'ip_rcv', 'ip_local_deliver', 'icmp_rcv', 'consume_skb'];
const FWD = [
  '__netif_receive_skb',
  'ip_rcv',
  'ip_forward',
  'ip_output',
  'dev_hard_start_xmit',
  'consume_skb',
];

/** A host whose monotonic clock reads `mono` at client wall time `atMs` (its hello went out then, `rttMs` round trip). */
function hello(mono: number, atMs: number, rttMs: number): RunEvent[] {
  return [
    {
      t_ms: 0,
      kind: 'hello',
      data: {
        clock: { monotonicNs: mono, realtimeNs: 1_764_499_200e9 + atMs * 1e6 },
        client: { sentMs: atMs - rttMs / 2, receivedMs: atMs + rttMs / 2 },
      },
    },
  ];
}

// Host B's clock is 5 s ahead of A's; one-way wire time 300 µs; the hellos' round trip is 40 ms.
const OFFSET = 5e9;
const WIRE = 300_000;
const T = 1_000e9; // A's clock at the first ping

/** As vm61 (6.1) showed it: the transmit path starts at net_dev_queue, net_dev_xmit comes after the frame reached
 * the other host, and the free 30 ms later. */
const TX_TP = ['net_dev_queue', 'net_dev_start_xmit', 'net_dev_xmit', 'consume_skb'];

function pingRuns(opts: { replyLost?: boolean; dropOnB?: boolean; tracepoints?: boolean } = {}): FlowRun[] {
  const tx = opts.tracepoints ? TX_TP : TX;
  const late = opts.tracepoints ? { lateLast: 30e6, xmitDone: 1e6 } : {};
  const a: PacketPath[] = [];
  const b: PacketPath[] = [];
  for (let seq = 1; seq <= 3; seq++) {
    const t = T + seq * 1e9;
    const req = { src: '10.99.0.1', dst: '10.99.0.2', id: 77, ipId: 1000 + seq, seq, ttl: 64 };
    a.push(
      packet({
        id: seq * 2,
        t0: t,
        fns: tx,
        ...late,
        bytes: icmpBytes({ ...req, ether: !!opts.tracepoints }),
        ether: !!opts.tracepoints,
        ifname: 'l-vm612',
        tuple: { saddr: '10.99.0.1', daddr: '10.99.0.2' },
      }),
    );
    const arrive = t + 5000 + WIRE + OFFSET; // left A at t + 4 µs (its 5th hop), on B's clock
    b.push(
      packet({
        id: seq * 2 - 1,
        t0: arrive,
        fns: opts.dropOnB ? ['__netif_receive_skb', 'ip_rcv', 'nf_hook_slow', 'kfree_skb_reason'] : RX,
        bytes: icmpBytes({ ...req, ether: true }),
        ether: true,
        tuple: { saddr: '10.99.0.1', daddr: '10.99.0.2' },
        ...(opts.dropOnB ? { drop: 'NETFILTER_DROP' } : {}),
      }),
    );
    if (opts.dropOnB) continue;
    const rep = { src: '10.99.0.2', dst: '10.99.0.1', id: 77, ipId: 5000 + seq, seq, ttl: 64, type: 0 };
    const sent = arrive + 200_000;
    b.push(
      packet({
        id: seq * 2 + 100,
        t0: sent,
        fns: tx,
        ...late,
        lenLater: !opts.tracepoints,
        bytes: icmpBytes(rep),
        ifname: 'l-vm61',
        tuple: { saddr: '10.99.0.2', daddr: '10.99.0.1' },
      }),
    );
    if (!opts.replyLost)
      a.push(
        packet({
          id: seq * 2 + 1,
          t0: sent + 5000 + WIRE - OFFSET,
          fns: RX,
          bytes: icmpBytes({ ...rep, ether: true }),
          ether: true,
          tuple: { saddr: '10.99.0.2', daddr: '10.99.0.1' },
        }),
      );
  }
  // B's hello came 3 ms after A's; both read their clocks mid round trip
  return [
    { host: 'vm61', events: hello(T, 100_000, 40), packets: a },
    { host: 'vm612', events: hello(T + OFFSET + 3e6, 100_003, 40), packets: b },
  ];
}

describe('stitched flows', () => {
  it('parses the IPv4/ICMP header of a capture with or without an Ethernet header', () => {
    const bytes = icmpBytes({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      id: 9,
      ipId: 4242,
      seq: 3,
      ttl: 61,
      ether: true,
    });
    expect(
      parseCapture({ ts_ns: 0, function: 'f', link: 'ether', len: 98, data: bytes.toString('base64') }),
    ).toMatchObject({
      ip: 4,
      proto: 1,
      saddr: '10.0.0.1',
      daddr: '10.0.0.2',
      ttl: 61,
      ipId: 4242,
      icmp: { type: 8, id: 9, seq: 3 },
    });
    // ARP is not IP: no headers, no key
    const arp = Buffer.concat([Buffer.alloc(12), Buffer.from([0x08, 0x06]), Buffer.alloc(28)]);
    expect(
      parseCapture({ ts_ns: 0, function: 'f', link: 'ether', len: 42, data: arp.toString('base64') }),
    ).toBeUndefined();
  });

  it('joins a ping and its reply, each one flow in path order, and bounds the clock offset by the wire time', () => {
    const flows = flowsOfRuns(pingRuns());
    for (const f of flows) FlowSchema.parse(f);
    expect(flows).toHaveLength(6);
    const requests = flows.filter((f) => f.segments[0]!.host === 'vm61');
    const replies = flows.filter((f) => f.segments[0]!.host === 'vm612');
    expect(requests).toHaveLength(3);
    expect(replies).toHaveLength(3);
    for (const f of requests) {
      expect(f.segments.map((s) => s.host)).toEqual(['vm61', 'vm612']);
      expect(f.matched_on).toBe('icmp type/seq + IP ID');
      expect(f.changed_fields).toEqual([]);
      // the true offset lies within the stated uncertainty, which is about one wire time (not the 40 ms RTT)
      expect(Math.abs(f.clock_offset_ns - OFFSET)).toBeLessThanOrEqual(f.uncertainty_ns!);
      expect(f.uncertainty_ns).toBeLessThan(1e6);
      expect(f.segments[1]!.gap_ns).toBeGreaterThan(0);
      expect(f.headline).toBe('vm61 → vm612: last seen on vm612 at icmp_rcv');
    }
    for (const f of replies)
      expect(Math.abs(f.clock_offset_ns + OFFSET)).toBeLessThanOrEqual(f.uncertainty_ns!);
    // time order: request 1, reply 1, request 2, …
    expect(flows.map((f) => f.segments[0]!.host)).toEqual([
      'vm61',
      'vm612',
      'vm61',
      'vm612',
      'vm61',
      'vm612',
    ]);
  });

  it('bounds the clock by when the packet was handed to the driver, not by net_dev_xmit or a late free', () => {
    const flows = flowsOfRuns(pingRuns({ tracepoints: true }));
    expect(flows).toHaveLength(6);
    for (const f of flows) {
      expect(f.segments).toHaveLength(2);
      expect(f.segments[1]!.gap_ns).toBeGreaterThan(0);
      const sign = f.segments[0]!.host === 'vm61' ? 1 : -1;
      expect(Math.abs(f.clock_offset_ns - sign * OFFSET)).toBeLessThanOrEqual(f.uncertainty_ns!);
      expect(f.uncertainty_ns).toBeLessThan(1e6);
    }
  });

  it('with packets one way only, the SSH round trip still bounds the offset (to the hellos’ 40 ms)', () => {
    const flows = flowsOfRuns(pingRuns({ dropOnB: true }));
    const f = flows[0]!;
    expect(Math.abs(f.clock_offset_ns - OFFSET)).toBeLessThanOrEqual(f.uncertainty_ns!);
    expect(f.uncertainty_ns).toBeGreaterThan(1e6);
    expect(f.uncertainty_ns).toBeLessThanOrEqual(40e6);
  });

  it('ends a flow dropped on the second host there, with its drop point', () => {
    const flows = flowsOfRuns(pingRuns({ dropOnB: true }));
    expect(flows).toHaveLength(3);
    for (const f of flows) {
      expect(f.segments.map((s) => s.host)).toEqual(['vm61', 'vm612']);
      expect(f.headline).toBe('vm61 → vm612: dropped on vm612 at nf_hook_slow (NETFILTER_DROP)');
    }
  });

  it('says where a packet that left one host and never reached the other was last seen', () => {
    const flows = flowsOfRuns(pingRuns({ replyLost: true }));
    const lost = flows.filter((f) => f.segments.length === 1);
    expect(lost).toHaveLength(3);
    expect(lost[0]!.headline).toMatch(
      /^left vm612 on l-vm61 at \d\d:\d\d:\d\d\.\d{6} UTC, not seen on vm61 \(lost on the wire or before the first probe on vm61\)$/,
    );
    expect(lost[0]!.uncertainty_ns).toBe(0);
  });

  it('does not call a packet lost that reached a host whose trace had stopped at its packet limit', () => {
    const runs = pingRuns({ replyLost: true });
    const a = runs[0]!;
    // vm61 stopped matching at its count, its last packet the third request: the third reply left vm612 after it
    a.events = [
      ...a.events,
      { t_ms: 10, kind: 'attached' },
      { t_ms: 5000, kind: 'done', data: { reason: 'packets' } },
    ];
    a.startedAt = new Date(100_000 - 50).toISOString(); // the client clock of hello() above
    const lost = flowsOfRuns(runs).filter((f) => f.segments.length === 1 && f.segments[0]!.host === 'vm612');
    expect(lost.map((f) => f.headline.replace(/ at .* UTC/, ''))).toEqual([
      'left vm612 on l-vm61, not seen on vm61 (lost on the wire or before the first probe on vm61)',
      'left vm612 on l-vm61, not seen on vm61 (lost on the wire or before the first probe on vm61)',
      "left vm612 on l-vm61, not seen on vm61 (vm61's trace had already stopped)",
    ]);
  });

  it('follows a NATed packet through a router: three kernels in TTL order, the changed address named', () => {
    const req = { id: 5, ipId: 321, seq: 1, ttl: 64 };
    const t = 50e9;
    const runs: FlowRun[] = [
      // listed receiver first: the order must come from the packets, not the host list
      {
        host: 'vm612',
        events: hello(t + 2e9, 10_000, 10),
        packets: [
          packet({
            id: 1,
            t0: t + 2e9 + 900_000,
            fns: RX,
            ether: true,
            bytes: icmpBytes({ ...req, ttl: 63, src: '10.99.2.254', dst: '10.99.2.2', ether: true }),
            tuple: { saddr: '10.99.2.254', daddr: '10.99.2.2' },
          }),
        ],
      },
      {
        host: 'router',
        events: hello(t - 1e9, 10_000, 10),
        packets: [
          packet({
            id: 9,
            t0: t - 1e9 + 400_000,
            fns: FWD,
            ether: true,
            bytes: icmpBytes({ ...req, src: '10.99.1.1', dst: '10.99.2.2', ether: true }),
            tuple: { saddr: '10.99.1.1', daddr: '10.99.2.2' },
          }),
        ],
      },
      {
        host: 'vm61',
        events: hello(t, 10_000, 10),
        packets: [
          packet({
            id: 3,
            t0: t,
            fns: TX,
            bytes: icmpBytes({ ...req, src: '10.99.1.1', dst: '10.99.2.2' }),
            tuple: { saddr: '10.99.1.1', daddr: '10.99.2.2' },
          }),
        ],
      },
    ];
    const [f, ...rest] = flowsOfRuns(runs);
    expect(rest).toEqual([]);
    expect(f!.segments.map((s) => s.host)).toEqual(['vm61', 'router', 'vm612']);
    expect(f!.changed_fields).toEqual(['saddr']);
  });

  it('through a router: each gap comes from the neighbours’ packets, never from a far host’s round trip', () => {
    // router 3 s ahead of vm61, vm612 5 s ahead. vm61–router is a slow link (10 ms each way), router–vm612 a fast
    // one (100 µs). The hellos' round trips (4 ms) bound vm61–vm612 tighter than their packets do, and vm612 read
    // its clock 1.5 ms late in its round trip: offset vm61→vm612 taken on its own, the 100 µs hop goes negative
    const [W1, W2, OR, O612, t, FW] = [10e6, 100_000, 3e9, 5e9, 70e9, 10_000];
    const req = { id: 8, ipId: 400, seq: 1 };
    const rep = { ...req, ipId: 900, type: 0 };
    const there = { src: '10.99.1.1', dst: '10.99.2.2' };
    const back = { src: '10.99.2.2', dst: '10.99.1.1' };
    const sight = (id: number, t0: number, fns: string[], b: Parameters<typeof icmpBytes>[0], ether = true) =>
      packet({
        id,
        t0,
        fns,
        ether,
        bytes: icmpBytes({ ...b, ether }),
        tuple: { saddr: b.src, daddr: b.dst },
      });
    const replyAt = 30e6; // vm612's clock minus O612: when it sends the reply
    const runs: FlowRun[] = [
      {
        host: 'vm61',
        events: hello(t, 10_000, 4),
        packets: [
          sight(1, t, TX, { ...req, ...there, ttl: 64 }, false),
          sight(2, t + replyAt + W2 + FW + W1, RX, { ...rep, ...back, ttl: 63 }),
        ],
      },
      {
        host: 'router',
        events: hello(t + OR, 10_000, 4),
        packets: [
          sight(1, t + OR + W1, FWD, { ...req, ...there, ttl: 64 }),
          sight(2, t + OR + replyAt + W2, FWD, { ...rep, ...back, ttl: 64 }),
        ],
      },
      {
        host: 'vm612',
        events: hello(t + O612 + 1.5e6, 10_000, 4),
        packets: [
          sight(1, t + O612 + W1 + FW + W2, RX, { ...req, ...there, ttl: 63 }),
          sight(2, t + O612 + replyAt, TX, { ...rep, ...back, ttl: 64 }, false),
        ],
      },
    ];
    const flows = flowsOfRuns(runs);
    expect(flows.map((f) => f.segments.map((s) => s.host))).toEqual([
      ['vm61', 'router', 'vm612'],
      ['vm612', 'router', 'vm61'],
    ]);
    for (const f of flows) {
      const gaps = f.segments.slice(1).map((s) => s.gap_ns ?? NaN);
      const wires = f.segments[0]!.host === 'vm61' ? [W1, W2] : [W2, W1];
      // each gap is its own wire time, to within the few µs between hops the packets leave unknown
      gaps.forEach((g, i) =>
        expect(Math.abs(g - wires[i]!), JSON.stringify(f.segments)).toBeLessThan(20_000),
      );
    }
  });

  it('keeps packets whose bytes are not an IP header apart (no false match on a garbage capture)', () => {
    const runs = pingRuns();
    for (const r of runs)
      for (const p of r.packets as PacketPath[])
        (p as unknown as { captures: { data: string }[] }).captures[0]!.data =
          Buffer.alloc(40).toString('base64');
    const flows = flowsOfRuns(runs);
    expect(flows).toHaveLength(12);
    expect(flows.every((f) => f.segments.length === 1)).toBe(true);
  });
});
