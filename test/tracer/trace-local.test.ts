import { statSync } from 'node:fs';
import { describe, expect, inject } from 'vitest';
import { localShell } from '../lab/exec.js';
import { addNftDrop, createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { gatedIt, missing } from '../support/requirements.js';
import { LOADER, paths, TraceRun, type Ev } from './loader-run.js';
import { exec } from '../lab/exec.js';

// The tracer on this machine's kernel (raw tracepoints + TC; no kprobes here), run directly as root.
const provided = inject('lab');
const gap =
  'unavailable' in provided
    ? provided.unavailable
    : missing({ root: true, tools: ['ip', 'nft', 'ping', 'bpftool'] });
const itRoot = gatedIt(gap);

const nsInode = (ns: string) => statSync(`/run/netns/${ns}`).ino;
const tcOn = (t: Topology, dir = 'ingress') => ({
  interface: t.serverIf,
  netns: `/run/netns/${t.server}`,
  direction: dir,
});

async function traceWhile(config: object, traffic: () => Promise<unknown>) {
  const run = new TraceRun(config);
  await run.waitFor('attached');
  await traffic();
  await new Promise((r) => setTimeout(r, 300)); // let the last frees reach the ring buffer
  const recs = await run.stop();
  const exit = await run.exited;
  return { recs, exit, events: run.events(), stderr: run.stderr };
}

describe('loader probe (this kernel)', () => {
  itRoot('reports what was tested by loading and attaching, BTF drop reasons and tracepoints', async () => {
    const r = await exec(LOADER, ['probe'], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    const p = JSON.parse(r.stdout) as {
      kernel: { release: string };
      btf: { vmlinux: boolean };
      attach: Record<string, { ok: boolean; error?: string }>;
      auto: string;
      dropReasons: { name: string; value: number }[];
      tracepoints: string[];
      skbFunctions: { btf: number };
    };
    expect(p.kernel.release).toBe((await exec('uname', ['-r'])).stdout.trim());
    expect(p.btf.vmlinux).toBe(true);
    // this kernel: tracepoints and TC attach, kprobes cannot (CONFIG_KPROBES unset), tracing progs do not load
    expect(p.attach['raw-tp']).toEqual({ ok: true });
    expect(p.attach.tc).toEqual({ ok: true });
    expect(p.attach.kprobe!.ok).toBe(false);
    expect(p.attach.fentry!.ok).toBe(false);
    expect(p.auto).toBe('none');
    const reasons = p.dropReasons.map((d) => d.name);
    expect(reasons).toContain('NETFILTER_DROP');
    expect(reasons).toContain('NO_SOCKET');
    expect(p.tracepoints).toEqual(
      expect.arrayContaining(['net:netif_receive_skb', 'skb:kfree_skb', 'skb:consume_skb']),
    );
    expect(p.skbFunctions.btf).toBeGreaterThan(500); // from BTF, before intersecting with ftrace
  });
});

describe('loader trace (this kernel: raw tracepoints + TC observer)', () => {
  itRoot(
    'follows a ping: transmit, receive in the server netns, TC ingress, consume; the reply is delivered locally',
    async () => {
      const t = await createPair(localShell);
      try {
        const { recs, exit, events } = await traceWhile(
          { filter: `icmp and host ${t.serverAddr}`, probes: { tc: [tcOn(t)] } },
          () => ping(t, 2),
        );
        expect(exit.code).toBe(0);
        const done = recs.at(-1)!;
        expect(done).toMatchObject({ type: 'done', reason: 'stop', lost: 0 });
        // Packets that crossed the veth. (Without kprobes, an skb copied on the way - e.g. for headroom - shows up
        // as a packet of its own: its path is the copy's short one, ending in consume_skb in the client.)
        const crossed = (p: Ev[]) => p.some((e) => e.name === 'netif_receive_skb');
        const requests = [...paths(events).values()].filter(
          (p) => p[0]!.tuple?.dst === t.serverAddr && crossed(p),
        );
        expect(requests.length).toBe(2);
        for (const p of requests) {
          const names = p.map((e) => e.name);
          expect(names[0]).toBe('net_dev_queue'); // the filter matched at the first probe that saw it
          expect(p[0]!.netns).toBe(nsInode(t.client));
          expect(names).toEqual(
            expect.arrayContaining([
              'net_dev_start_xmit',
              'netif_rx',
              'netif_receive_skb',
              `tc/ingress/${t.serverIf}`,
            ]),
          );
          const rx = p.find((e) => e.name === 'netif_receive_skb')!;
          expect(rx.netns).toBe(nsInode(t.server)); // the netns change along the veth is visible
          expect(p.at(-1)).toMatchObject({ name: 'consume_skb', free: true });
          expect(p.at(-1)!.netns).toBe(nsInode(t.server));
          expect(p[0]!.tuple).toMatchObject({
            ip: 4,
            proto: 'icmp',
            src: t.clientAddr,
            dst: t.serverAddr,
            dport: 8 << 8,
          });
        }
        // the echo replies end in the client: delivered to the ping socket (copied to user space)
        const delivered = events.filter((e) => e.name === 'skb_copy_datagram_iovec');
        expect(delivered.length).toBeGreaterThanOrEqual(2);
        expect(new Set(events.map((e) => e.name))).not.toContain('tc/egress/' + t.serverIf);
      } finally {
        await destroy(t);
      }
    },
  );

  itRoot('an nft drop rule: the path ends at kfree_skb with reason NETFILTER_DROP', async () => {
    const t = await createPair(localShell);
    try {
      await addNftDrop(t);
      const { events } = await traceWhile(
        { filter: `icmp and dst host ${t.serverAddr}`, probes: { tracepoints: 'all' } },
        async () => expect((await ping(t, 1)).received).toBe(0),
      );
      const all = [...paths(events).values()].filter((p) => p.some((e) => e.name === 'netif_receive_skb'));
      expect(all.length).toBe(1);
      for (const p of paths(events).values())
        expect(p.every((e) => e.name !== 'skb_copy_datagram_iovec')).toBe(true);
      const last = all[0]!.at(-1)!;
      expect(last).toMatchObject({ name: 'kfree_skb', free: true, drop: { name: 'NETFILTER_DROP' } });
      expect(last.netns).toBe(nsInode(t.server));
      expect(all[0]!.map((e) => e.name)).toContain('netif_receive_skb');
    } finally {
      await destroy(t);
    }
  });

  itRoot('a filter that matches nothing yields no packets', async () => {
    const t = await createPair(localShell);
    try {
      const { recs, events } = await traceWhile({ filter: `udp and host ${t.serverAddr}` }, async () =>
        expect((await ping(t, 2)).received).toBe(2),
      );
      expect(events).toEqual([]);
      expect(recs.at(-1)).toMatchObject({ type: 'done', packets: 0, events: 0 });
    } finally {
      await destroy(t);
    }
  });

  itRoot(
    'two flows at once get two packet ids each way, never mixed; binary framing decodes to the same',
    async () => {
      const [a, b] = await Promise.all([createPair(localShell), createPair(localShell)]);
      try {
        const cfg = {
          filter: `icmp[icmptype] == icmp-echo and (host ${a.serverAddr} or host ${b.serverAddr})`,
          probes: { tracepoints: 'all' },
        };
        const run = new TraceRun(cfg, []); // binary framing
        await new Promise((r) => setTimeout(r, 150));
        // wait for the attach status frame by decoding what is there
        for (let i = 0; i < 100 && !decode(run.stdout).status.some((s) => s.type === 'attached'); i++)
          await new Promise((r) => setTimeout(r, 50));
        await Promise.all([ping(a, 1), ping(b, 1)]);
        await new Promise((r) => setTimeout(r, 300));
        run.child.stdin.end(); // stdin EOF: the session died
        const exit = await run.exited;
        expect(exit.code).toBe(0);
        const { hello, status, events } = decode(run.stdout);
        expect(hello).toMatchObject({ type: 'hello', framing: 1, eventSize: 104 });
        expect(status.at(-1)).toMatchObject({ type: 'done', reason: 'stdin-eof' });
        const rxProbe = status.find((s) => s.type === 'probe' && s.name === 'netif_receive_skb')!.id;
        const byId = new Map<number, typeof events>();
        for (const e of events) byId.set(e.packet, [...(byId.get(e.packet) ?? []), e]);
        for (const [id, p] of byId) if (!p.some((e) => e.probe === rxProbe)) byId.delete(id); // copies: see above
        expect(byId.size).toBe(2);
        const dsts = [...byId.values()].map((p) => p.find((e) => e.flags & 1)!.daddr).sort();
        expect(dsts).toEqual([a.serverAddr, b.serverAddr].sort());
        for (const p of byId.values()) expect(new Set(p.map((e) => e.skb)).size).toBe(1); // one skb per id
      } finally {
        await Promise.all([destroy(a), destroy(b)]);
      }
    },
  );

  itRoot('stops at the packet limit after the packet finished its path', async () => {
    const t = await createPair(localShell);
    try {
      const run = new TraceRun({ filter: `icmp and dst host ${t.serverAddr}`, limits: { packets: 1 } });
      await run.waitFor('attached');
      const pinged = ping(t, 3);
      const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
      expect(exit).toMatchObject({ code: 0 });
      expect(run.records().at(-1)).toMatchObject({ type: 'done', reason: 'packets', packets: 1 });
      expect(new Set(run.events().map((e: Ev) => e.packet))).toEqual(new Set([1]));
      expect(run.events().at(-1)).toMatchObject({ free: true });
      await pinged;
    } finally {
      await destroy(t);
    }
  });
});

/** Decodes the binary stream (docs/LOADER.md): frames of u32 length | u16 type | u16 0 | payload. */
function decode(buf: Buffer) {
  const status: Record<string, unknown>[] = [];
  const events: { packet: number; probe: number; skb: bigint; flags: number; daddr: string }[] = [];
  let hello: Record<string, unknown> | undefined;
  for (let off = 0; off + 8 <= buf.length;) {
    const len = buf.readUInt32LE(off);
    const type = buf.readUInt16LE(off + 4);
    if (off + len > buf.length) break;
    const p = buf.subarray(off + 8, off + len);
    if (type === 1) hello = JSON.parse(p.toString()) as Record<string, unknown>;
    else if (type === 3) status.push(JSON.parse(p.toString()) as Record<string, unknown>);
    else if (type === 2) {
      events.push({
        skb: p.readBigUInt64LE(8),
        packet: p.readUInt32LE(16),
        probe: p.readUInt32LE(20),
        flags: p.readUInt16LE(44),
        daddr: [...p.subarray(80, 84)].join('.'),
      });
    } else throw new Error(`unknown frame type ${type} at ${off}`);
    off += len;
  }
  return { hello, status, events };
}
