import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Hop, PacketPath } from '../../../main/api/trace.js';
import { diagnosePackets } from '../../../main/core/diagnose/explain-run.js';
import { CloneLinker, LINK_LIMITS } from '../../../main/core/explain/clone-linker.js';
import { NO_REASON_NOTE } from '../../../main/core/explain/drop-point.js';
import {
  explainOptionsFor,
  explainPackets,
  kernelReportsReasons,
} from '../../../main/core/explain/explain-packets.js';
import { profileEntries } from '../../../main/core/probeset/profiles.js';
import { EVENT, EVENT_FLAGS } from '../../../main/core/trace/event-layout.js';
import { FrameDecoder } from '../../../main/core/trace/frame-decoder.js';
import { PacketGrouper } from '../../../main/core/trace/packet-grouper.js';

// Real binary streams of `pktpath-loader trace` with the committed loader, recorded in the lab between two network
// namespaces joined by a veth pair: this machine (6.18, raw tracepoints only), vm61 (Debian 6.1, fentry + kprobe)
// and vm612 (Debian 6.12, kprobe-multi), with the `default` profile's functions where they attach.
const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures/explain', name));

/** Decodes a stream as a live run does (records first, then events) and explains every packet. `kernel`
 * overrides the hello's release, and a release before 5.17 also drops the hello's reason names (such a kernel
 * has no `enum skb_drop_reason`, and the loader names none). */
function explain(name: string, kernelOverride?: string): PacketPath[] {
  const grouper = new PacketGrouper();
  let kernel: string | undefined;
  const d = new FrameDecoder({
    event: (b, o) => grouper.add(b, o),
    status: (r) => {
      if (r.type === 'hello') kernel = kernelOverride ?? String(r.kernel);
      const old = r.type === 'hello' && !kernelReportsReasons(kernel);
      grouper.noteRecord(old ? { ...r, dropReasons: {} } : r);
    },
  });
  d.push(fixture(name));
  return [...explainPackets(grouper.all(), { reasonsKnown: kernelReportsReasons(kernel) })];
}

const tupleOf = (p: PacketPath) => p.hops.find((h) => h.tuple)?.tuple;
/** An ICMP echo reply (the loader gives ICMP's type << 8 | code as the destination port). */
const isReply = (p: PacketPath) => tupleOf(p)?.proto === 1 && tupleOf(p)?.dport === 0;
const kinds = (ps: PacketPath[]) => ps.map((p) => p.verdict?.kind);

describe('explain: verdicts, clones and drop points on recorded runs', () => {
  it('marks tracepoint hops and names the free location from the host kallsyms (this machine)', () => {
    const ps = explain('local-ping.bin');
    const hops = ps.flatMap((p) => p.hops);
    expect(hops.length).toBeGreaterThan(10);
    expect(hops.every((h) => h.probe_kind === 'tracepoint')).toBe(true);
    const free = hops.find((h) => h.function === 'kfree_skb');
    expect(free?.location).toMatch(/^ping_rcv\+0x[0-9a-f]+$/);
  });

  it('a healthy ping over tracepoints: no drop, the echo reply delivered via its linked clone', () => {
    const ps = explain('local-ping.bin');
    expect(kinds(ps)).not.toContain('dropped');
    const reply = ps.find((p) => isReply(p) && p.parent === undefined && p.drop_reason === 'NO_SOCKET')!;
    expect(reply.verdict).toMatchObject({
      kind: 'delivered',
      summary: 'delivered (raw socket, via a clone)',
      via_clone: true,
      socket: { kind: 'raw' },
      benign: [{ function: 'kfree_skb', reason: 'NO_SOCKET' }],
    });
    const clone = ps.find((p) => p.parent === reply.id)!;
    expect(clone.hops[0]?.function).toBe('skb_copy_datagram_iovec');
    expect(reply.children).toEqual([clone.id]);
    expect(reply.drop).toBeUndefined();
  });

  it('the copy neigh_probe frees while the first request waits for ARP is linked to that request', () => {
    const ps = explain('local-ping-arp.bin');
    const early = ps.find((p) => p.partial)!;
    expect(early.hops.map((h) => h.function)).toEqual(['consume_skb']);
    const request = ps.find((p) => p.id === early.parent)!;
    expect(request.hops[0]?.function).toBe('net_dev_queue');
    expect(request.children).toEqual([early.id]);
    expect(kinds(ps)).not.toContain('dropped');
    expect(
      ps.filter((p) => p.parent === undefined && !p.partial).every((p) => p.verdict?.kind === 'delivered'),
    ).toBe(true);
  });

  it('an nft drop in input over tracepoints: dropped, decided in netfilter, reason NETFILTER_DROP', () => {
    const ps = explain('local-nft-drop.bin');
    expect(ps.length).toBeGreaterThan(0);
    for (const p of ps) {
      expect(p.verdict?.kind).toBe('dropped');
      expect(p.drop).toMatchObject({ reason: 'NETFILTER_DROP', subsystem: 'netfilter' });
      expect(p.drop?.function).toMatch(/^(nf_hook_slow|nft_do_chain)$/);
      expect(p.drop?.location).toMatch(/^(nf_hook_slow|nft_do_chain)\+0x/);
    }
  });

  it('without drop reasons (< 5.17): kfree_skb is the drop, its location the point, and a note says why', () => {
    const ps = explain('local-nft-drop.bin', '5.10.0-32-amd64');
    expect(ps.length).toBeGreaterThan(0);
    for (const p of ps) {
      expect(p.hops.some((h) => h.drop_reason)).toBe(false);
      expect(p.verdict?.kind).toBe('dropped');
      expect(p.drop).toMatchObject({ reason_note: NO_REASON_NOTE, subsystem: 'netfilter' });
      expect(p.drop?.reason).toBeUndefined();
      expect(p.drop?.function).toMatch(/^(nf_hook_slow|nft_do_chain)$/);
    }
  });

  it('a TCP connect to a listener over tracepoints: the SYN delivered to tcp, nothing dropped', () => {
    const ps = explain('local-tcp.bin');
    expect(kinds(ps)).not.toContain('dropped');
    const syn = ps[0]!;
    expect(syn.hops[0]?.tuple?.dport).toBe(8080);
    expect(syn.verdict).toMatchObject({ kind: 'delivered', socket: { kind: 'tcp' } });
  });

  it('scoped to an interface over tracepoints, the echo reply freed NO_SOCKET is unknown, never a drop', () => {
    // the scoped-ping scenario's trace: the copy for ping's socket had no interface, so it was never matched
    const fx = JSON.parse(
      readFileSync(join(import.meta.dirname, '../fixtures/diagnose/scoped-ping.json'), 'utf8'),
    ) as { packet: number; doc: { spec?: unknown; packets: PacketPath[] } };
    const unexplained = fx.doc.packets.map(({ verdict: _v, diagnosis: _d, drop: _p, ...p }) => p);
    const run = { kernelRelease: '6.18.0', spec: { meta: { ifname: 'ppc0' } } };
    const scoped = explainOptionsFor({ ...run, mode: 'tracepoint' });
    expect(scoped.socketCopiesUnseen).toBe(true);
    const reply = [...explainPackets(unexplained, scoped)].find((p) => p.id === fx.packet)!;
    expect(reply.verdict).toMatchObject({ kind: 'unknown', unseen: 'socket-copy', hop: 4 });
    expect(reply.drop).toBeUndefined();
    // unscoped, or with function probes that join copies at skb_clone, the same hops are what they say
    expect(explainOptionsFor({ ...run, mode: 'kprobe' }).socketCopiesUnseen).toBeUndefined();
    expect(
      explainOptionsFor({ kernelRelease: '6.18.0', mode: 'tracepoint' }).socketCopiesUnseen,
    ).toBeUndefined();
    const plain = [...explainPackets(unexplained, { reasonsKnown: true })].find((p) => p.id === fx.packet)!;
    expect(plain.verdict?.kind).toBe('dropped');
  });

  it('a tracepoint run the packet limit stopped: a NO_SOCKET echo reply without its socket copy is unknown', () => {
    // the same hops, unscoped, in a run whose loader stopped at its packet limit: the reply's copy for ping's
    // socket would have been a new packet (tracepoints see a copy first at the socket), and none was let in
    const fx = JSON.parse(
      readFileSync(join(import.meta.dirname, '../fixtures/diagnose/scoped-ping.json'), 'utf8'),
    ) as { packet: number; doc: { packets: PacketPath[] } };
    const unexplained = fx.doc.packets.map(({ verdict: _v, diagnosis: _d, drop: _p, ...p }) => p);
    const done = (reason: string) => [{ t_ms: 300, kind: 'done', data: { reason } }];
    const limited = explainOptionsFor({
      kernelRelease: '6.18.0',
      mode: 'tracepoint',
      events: done('packets'),
    });
    expect(limited.packetLimitStopped).toBe(true);
    const [reply] = [...diagnosePackets(explainPackets(unexplained, limited), undefined, limited)].filter(
      (p) => p.id === fx.packet,
    );
    expect(reply!.verdict).toMatchObject({ kind: 'unknown', unseen: 'socket-copy-limit' });
    expect(reply!.verdict?.summary).toContain('may have come past the packet limit');
    expect(reply!.diagnosis).toMatchObject({ rule: 'socket-copy-out-of-scope' });
    expect(reply!.diagnosis!.advice.join(' ')).toContain('higher packet limit');
    // stopped by duration, or with function probes: the limit hid nothing
    for (const o of [
      { mode: 'tracepoint' as const, events: done('duration') },
      { mode: 'kprobe' as const, events: done('packets') },
    ])
      expect(explainOptionsFor({ kernelRelease: '6.18.0', ...o }).packetLimitStopped).toBeUndefined();
  });

  it.each([
    ['fentry', 'vm61-ping.bin'],
    ['kprobe-multi', 'vm612-ping.bin'],
  ])('%s (%s): copies numbered in-kernel, the reply delivered via copy 1, no drop', (_backend, file) => {
    const ps = explain(file);
    expect(kinds(ps)).not.toContain('dropped');
    const reply = ps.find((p) => isReply(p) && p.drop_reason === 'NO_SOCKET')!;
    expect(reply.verdict?.summary).toBe('delivered (raw socket, via a clone)');
    expect(reply.verdict?.benign?.map((b) => b.reason)).toContain('NO_SOCKET');
    const copies = reply.hops.filter((h) => h.copy === 1).map((h) => h.function);
    expect(copies[0]).toBe('skb_clone'); // the return event on the new skb
    expect(copies).toContain('skb_copy_datagram_iovec');
    expect(reply.hops.filter((h) => !h.probe_kind).length).toBeGreaterThan(10); // function hops unmarked
  });
});

/** Decodes a stream as a live run does: a grouper with a sink (packets leave it once complete), the default
 * profile's `final` functions ending paths, a publish tick every 100 events. */
function explainLive(name: string): { packets: PacketPath[]; late: number } {
  const written: PacketPath[] = [];
  const grouper = new PacketGrouper((p) => written.push(p));
  const finals = new Set(profileEntries('default').flatMap((e) => (e.final ? [e.function] : [])));
  let n = 0;
  const d = new FrameDecoder({
    event: (b, o) => {
      grouper.add(b, o);
      if (++n % 100 === 0) grouper.tick();
    },
    status: (r) => {
      grouper.noteRecord(r);
      if (r.type === 'probe' && finals.has(String(r.name))) grouper.finalProbes.add(Number(r.id));
    },
  });
  d.push(fixture(name));
  grouper.flushAll();
  return { packets: [...explainPackets(written, { reasonsKnown: true })], late: grouper.late };
}

describe('explain on a live run (packets written as they complete)', () => {
  it.each([
    ['fentry', 'vm61-ping.bin'],
    ['kprobe-multi', 'vm612-ping.bin'],
  ])('%s (%s): the reply freed by ping_rcv waits for its clone, which is delivered', (_backend, file) => {
    const { packets, late } = explainLive(file);
    expect(kinds(packets)).not.toContain('dropped');
    const reply = packets.find((p) => isReply(p) && p.drop_reason === 'NO_SOCKET')!;
    expect(reply.verdict?.summary).toBe('delivered (raw socket, via a clone)');
    expect(reply.hops.some((h) => h.copy === 1 && h.function === 'skb_copy_datagram_iovec')).toBe(true);
    expect(late).toBeLessThan(packets.length * 4); // only tails after a final (skb_release_data, kfree_skbmem)
  });
});

describe('clone linking keeps memory bounded', () => {
  it('remembers at most LINK_LIMITS.tuples 5-tuples and perTuple packets each, however many packets pass', () => {
    const linker = new CloneLinker();
    const hop = (i: number, sport: number): Hop => ({
      function: 'net_dev_queue',
      ts_ns: 1000 * i,
      ifindex: 2,
      netns: 1,
      len: 84,
      tuple: { proto: 17, saddr: '10.0.0.1', daddr: '10.0.0.2', sport, dport: 53 },
    });
    // 5000 different 5-tuples, then 10000 packets of one
    for (let i = 0; i < 50_000; i++) {
      const p: PacketPath = { id: i + 1, hops: [hop(i, i < 40_000 ? i % 5000 : 7)], drop_reason: null };
      linker.first(p);
      linker.written(p.id);
    }
    const inner = linker as unknown as { byKey: Map<string, unknown[]>; live: Map<number, unknown> };
    expect(inner.byKey.size).toBe(LINK_LIMITS.tuples);
    expect(Math.max(...[...inner.byKey.values()].map((l) => l.length))).toBe(LINK_LIMITS.perTuple);
    expect(inner.live.size).toBe(0);
  });
});

describe('clone linking only where the kernel cannot link clones', () => {
  /** An event of `struct pktpath_event` (the layout the grouper reads) at `ts` of packet `id`, with its tuple. */
  function event(id: number, probe: number, ts: number, dport: number): Buffer {
    const b = Buffer.alloc(EVENT.size);
    const F = EVENT.fields;
    b.writeBigUInt64LE(BigInt(ts), F.ktime_ns.offset);
    b.writeBigUInt64LE(BigInt(0xffff000000000000 + id * 256), F.skb.offset);
    b.writeUInt32LE(id, F.packet_id.offset);
    b.writeUInt32LE(probe, F.probe_id.offset);
    b.writeUInt32LE(4026531840, F.netns.offset);
    b.writeUInt16LE(EVENT_FLAGS.tuple | (probe === 0 ? EVENT_FLAGS.first : 0), F.flags.offset);
    b[F.l4proto.offset] = 1;
    b[F.ip_version.offset] = 4;
    Buffer.from([10, 0, 0, 1]).copy(b, F.saddr.offset);
    Buffer.from([10, 0, 0, 2]).copy(b, F.daddr.offset);
    b.writeUInt16LE(7, F.sport.offset); // one ping: one echo id
    b.writeUInt16LE(dport, F.dport.offset);
    return b;
  }

  /** Three echo requests of one ping 0.2 s apart, each first seen at ip_rcv_finish (the `routing` profile has
   * no receive function) and freed at consume_skb; `cloneAttached` says whether skb_clone's probe attached. */
  function threeRequests(kind: string, cloneAttached: boolean): PacketPath[] {
    const g = new PacketGrouper();
    g.noteRecord({ type: 'probe', id: 0, name: 'ip_rcv_finish', kind, attached: true });
    g.noteRecord({ type: 'probe', id: 1, name: 'consume_skb', kind: 'raw_tp', attached: true });
    g.noteRecord({ type: 'probe', id: 2, name: 'skb_clone', kind, attached: cloneAttached, clone: true });
    for (let i = 0; i < 3; i++) {
      const t0 = 1e9 + i * 2e8;
      const e = Buffer.concat([event(i + 1, 0, t0, 0x800), event(i + 1, 1, t0 + 5e4, 0x800)]);
      g.add(e, 0);
      g.add(e, EVENT.size);
    }
    return g.all();
  }

  it('with a copy function attached, a ping’s next request first seen mid-stack is a packet, not a clone', () => {
    const ps = threeRequests('kprobe-multi', true);
    expect(ps.map((p) => [p.id, p.hops[0]?.function, p.parent])).toEqual([
      [1, 'ip_rcv_finish', undefined],
      [2, 'ip_rcv_finish', undefined],
      [3, 'ip_rcv_finish', undefined],
    ]);
  });

  it('with none attached (its probe failed, or tracepoints), such a packet is still linked as a clone', () => {
    const ps = threeRequests('kprobe', false);
    expect(ps.map((p) => p.parent)).toEqual([undefined, 1, 1]);
  });
});
