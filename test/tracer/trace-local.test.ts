import { statSync } from 'node:fs';
import { describe, expect, inject } from 'vitest';
import { localShell, sh } from '../lab/exec.js';
import { addNftDrop, createPair, destroy, ping, tcpListen, type Topology } from '../lab/netns.js';
import { gatedIt, missing } from '../support/requirements.js';
import { LOADER, paths, TraceRun, type Ev } from './loader-run.js';
import { exec } from '../lab/exec.js';

// The tracer on this machine's kernel (raw tracepoints + TC; no kprobes here), run directly as root.
const provided = inject('lab');
const gap =
  'unavailable' in provided
    ? provided.unavailable
    : missing({ root: true, tools: ['ip', 'nft', 'ping', 'bpftool', 'python3', 'ss', 'bash', 'nc'] });
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

  itRoot('a packet limit ends the run only after the packets in flight reached their free', async () => {
    const t = await createPair(localShell);
    try {
      const limit = 5;
      const run = new TraceRun({ filter: `icmp and host ${t.serverAddr}`, limits: { packets: limit } });
      await run.waitFor('attached');
      const pinged = ping(t, 8, 0.05);
      const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
      expect(exit).toMatchObject({ code: 0 });
      const done = run.records().at(-1)!;
      expect(done).toMatchObject({ type: 'done', reason: 'packets' });
      const cut = new Set(done.cut as number[]);
      const byId = paths(run.events());
      // the limit counts whole paths; fragments (first seen at their free) never take a slot
      expect([...byId.values()].filter((p) => !p[0]!.partial)).toHaveLength(limit);
      expect(done.packets).toBe(byId.size);
      for (const [id, p] of byId) {
        // each path is whole: its last event is the free, or the loader says it was cut by the grace expiring
        if (!cut.has(id))
          expect(p.at(-1), `packet ${id}: ${p.map((e) => e.name).join(' ')}`).toMatchObject({ free: true });
      }
      expect(cut.size).toBe(0); // ICMP over a veth is freed well within the grace
      await pinged;
    } finally {
      await destroy(t);
    }
  });

  itRoot(
    'TC hooks alone (no free tracepoint asked for): each echo request is a packet of its own, ended at its free',
    async () => {
      const t = await createPair(localShell);
      try {
        // each request's skb is freed in the server before the next is sent: the next one usually gets the same
        // address, which an unended tracking entry would file under the first packet
        const tcOnly = {
          filter: `icmp and host ${t.serverAddr}`,
          attach: 'tc',
          probes: { tracepoints: 'none', tc: [tcOn(t)] },
        };
        const { recs, events } = await traceWhile(tcOnly, async () =>
          expect((await ping(t, 6)).received).toBe(6),
        );
        const attached = recs.find((r) => r.type === 'attached')!;
        expect(attached.trackingEnds).toEqual(['kfree_skb', 'consume_skb', 'kmem_cache_free']);
        expect(recs.filter((r) => r.type === 'probe').map((r) => r.name)).toEqual([
          `tc/ingress/${t.serverIf}`,
        ]);
        expect(events.map((e) => e.name)).toEqual(Array(6).fill(`tc/ingress/${t.serverIf}`)); // quiet: no hops
        expect(new Set(events.map((e) => e.packet)).size).toBe(6);
        expect(recs.at(-1)).toMatchObject({ type: 'done', packets: 6, freed: 6, live: 0, cutCount: 0 });

        // a packet limit ends such a run at the packet's free, not when the grace expires
        const run = new TraceRun({ ...tcOnly, limits: { packets: 1 } });
        await run.waitFor('attached');
        const t0 = Date.now();
        await ping(t, 1);
        expect(await run.exited).toMatchObject({ code: 0 });
        expect(run.records().at(-1)).toMatchObject({
          type: 'done',
          reason: 'packets',
          cutCount: 0,
          freed: 1,
        });
        expect(Date.now() - t0).toBeLessThan(1000);

        // asked for, a free tracepoint is a hop as always (and not attached twice)
        const withFree = await traceWhile(
          { ...tcOnly, probes: { tracepoints: ['consume_skb'], tc: [tcOn(t)] } },
          async () => expect((await ping(t, 2)).received).toBe(2),
        );
        expect(withFree.recs.find((r) => r.type === 'attached')!.trackingEnds).toEqual([
          'kfree_skb',
          'kmem_cache_free',
        ]);
        const served = [...paths(withFree.events).values()].filter((p) => p[0]!.name.startsWith('tc/'));
        expect(served.map((p) => p.map((e) => e.name))).toEqual(
          Array(2).fill([`tc/ingress/${t.serverIf}`, 'consume_skb']),
        );
      } finally {
        await destroy(t);
      }
    },
  );

  itRoot(
    'TCP segments freed where no tracepoint sees it end their tracking: the next skb at the address is a new packet',
    async () => {
      const t = await createPair(localShell);
      try {
        const port = 8080;
        await tcpListen(t, port);
        const connections = 30;
        // each connection's data segment is freed by TCP (__kfree_skb, no tracepoint) and its address often goes
        // to the server's FIN or ACK next: without an end there, that reply joined the data segment's path
        const { recs, events } = await traceWhile(
          { filter: `tcp and host ${t.serverAddr} and port ${port}` },
          () =>
            sh(
              localShell,
              `for i in $(seq ${connections}); do echo pktpath | ip netns exec ${t.client} nc -N -w 2 ${t.serverAddr} ${port} || exit 1; done`,
            ),
        );
        const byId = [...paths(events).values()];
        expect(byId.length).toBeGreaterThanOrEqual(connections * 3);
        for (const p of byId) {
          const tuples = p.flatMap((e) => (e.tuple ? [e.tuple] : []));
          const reversed = tuples.some((u) => u.src === tuples[0]!.dst && u.sport === tuples[0]!.dport);
          expect(
            reversed,
            p.map((e) => `${e.name} ${e.tuple ? JSON.stringify(e.tuple) : ''}`).join('\n'),
          ).toBe(false);
        }
        // every segment's skb ended (freed or its struct released), but for a few: TCP defers the free of a
        // segment it read to the CPU that allocated it, until that CPU's next softirq (untracked before: ~2 each)
        const done = recs.at(-1)!;
        expect(done.live, JSON.stringify(done)).toBeLessThanOrEqual(4);
        expect(recs.find((r) => r.type === 'attached')!.trackingEnds).toContain('kmem_cache_free');
      } finally {
        await destroy(t);
      }
    },
  );

  itRoot(
    'a packet never freed in view is reported cut once the 1 s grace after the limit expires',
    async () => {
      const t = await createPair(localShell);
      try {
        const port = 40000 + Math.floor(Math.random() * 20000);
        await unreadUdpSocket(t, port); // the datagram waits in its receive queue: never freed while tracing
        const run = new TraceRun({ filter: `udp and dst port ${port}`, limits: { packets: 1 } });
        await run.waitFor('attached');
        const t0 = Date.now();
        await sendUdp(t, port);
        const exit = await Promise.race([
          run.exited,
          new Promise((r) => setTimeout(() => r('timeout'), 8000)),
        ]);
        expect(exit).toMatchObject({ code: 0 });
        expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
        const done = run.records().at(-1)!;
        expect(done).toMatchObject({ type: 'done', reason: 'packets', cutCount: 1 });
        const p = paths(run.events()).get((done.cut as number[])[0]!)!;
        expect(p[0]!.partial).toBeUndefined(); // the whole packet, not the fragment of its copy
        expect(p.map((e) => e.name)).toContain('netif_receive_skb');
        expect(p.some((e) => e.free)).toBe(false);
      } finally {
        await destroy(t);
      }
    },
  );

  itRoot(
    'an skb from before the attach, first seen at its free, is flagged partial; a whole path is not',
    async () => {
      const t = await createPair(localShell);
      try {
        const port = 40000 + Math.floor(Math.random() * 20000);
        await unreadUdpSocket(t, port);
        await sendUdp(t, port); // queued before the attach: the trace will only see its free
        const run = new TraceRun({ filter: `udp and dst port ${port}` });
        await run.waitFor('attached');
        await sendUdp(t, port); // seen from its transmit on
        await new Promise((r) => setTimeout(r, 200));
        await sh(localShell, `kill $(ip netns pids ${t.server})`); // closing the socket purges both
        await new Promise((r) => setTimeout(r, 300));
        await run.stop();
        const byId = [...paths(run.events()).values()];
        expect(byId).toHaveLength(2);
        const [whole, fragment] = byId.sort((a, b) => b.length - a.length) as [Ev[], Ev[]];
        expect(fragment.map((e) => e.name)).toEqual(['kfree_skb']);
        expect(fragment[0]).toMatchObject({ first: true, partial: true, free: true });
        expect(whole[0]).toMatchObject({ name: 'net_dev_queue', first: true });
        expect(whole.some((e) => e.partial)).toBe(false);
        expect(whole.at(-1)).toMatchObject({ name: 'kfree_skb', free: true });
      } finally {
        await destroy(t);
      }
    },
  );
});

describe('loader: filters with link-layer primitives (only the Ethernet view can express them)', () => {
  const macOf = async (ns: string, dev: string) =>
    (await sh(localShell, `ip netns exec ${ns} cat /sys/class/net/${dev}/address`)).trim();

  itRoot('check-filter accepts arp, ether, vlan, mpls; refuses only what neither view compiles', async () => {
    for (const f of ['arp', 'ether host 1:2:3:4:5:6', 'vlan 10 and icmp', 'mpls', 'ether broadcast']) {
      const r = await exec(LOADER, ['check-filter', f]);
      expect({ f, out: r.stdout.trim(), code: r.code }).toEqual({ f, out: '{"ok":true}', code: 0 });
    }
    const bad = await exec(LOADER, ['check-filter', 'ether host 1:2:3:4:5:6 and vlan 5000']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({ ok: false, error: 'VLAN tag 5000 greater than maximum 4095' });
  });

  itRoot('`arp` between two namespaces shows the ARP request and reply, and no IP packet', async () => {
    const t = await createPair(localShell);
    try {
      // fresh namespaces: the first ping resolves the server's address with ARP first
      const { events, exit } = await traceWhile({ filter: 'arp' }, () => ping(t, 1));
      expect(exit.code).toBe(0);
      const clientNs = nsInode(t.client);
      const serverNs = nsInode(t.server);
      const byId = [...paths(events).values()].filter((p) => !p[0]!.partial);
      // every packet matched in the Ethernet view, carries no IP tuple, and stays within our two namespaces
      for (const p of byId) {
        expect(p[0]).toMatchObject({ first: true, view: 'l2' });
        expect(p.some((e) => e.tuple)).toBe(false);
      }
      const crossed = (from: number, to: number) =>
        byId.filter(
          (p) =>
            p[0]!.name === 'net_dev_queue' &&
            p[0]!.netns === from &&
            p.some((e) => e.name === 'netif_receive_skb' && e.netns === to),
        );
      expect(crossed(clientNs, serverNs).length).toBeGreaterThanOrEqual(1); // who-has, client -> server
      expect(crossed(serverNs, clientNs).length).toBeGreaterThanOrEqual(1); // is-at, server -> client
    } finally {
      await destroy(t);
    }
  });

  itRoot(
    '`ether src` of the client veth MAC matches the client’s packets only, at their transmit',
    async () => {
      const t = await createPair(localShell);
      try {
        const mac = await macOf(t.client, t.clientIf);
        const { events } = await traceWhile({ filter: `ether src ${mac} and icmp` }, () => ping(t, 2));
        const byId = [...paths(events).values()].filter((p) => !p[0]!.partial);
        const requests = byId.filter((p) => p.some((e) => e.name === 'netif_receive_skb'));
        expect(requests.length).toBe(2);
        for (const p of requests) {
          expect(p[0]).toMatchObject({
            name: 'net_dev_queue',
            first: true,
            view: 'l2',
            netns: nsInode(t.client),
          });
          expect(p[0]!.tuple).toMatchObject({ proto: 'icmp', src: t.clientAddr, dst: t.serverAddr });
        }
        // the echo replies come from the server's MAC: none of them matched
        expect(byId.some((p) => p[0]!.tuple?.src === t.serverAddr)).toBe(false);
        // and another MAC matches nothing: the Ethernet view really filters
        const other = await traceWhile({ filter: 'ether host 02:00:5e:00:53:01' }, () => ping(t, 1));
        expect(other.events).toEqual([]);
      } finally {
        await destroy(t);
      }
    },
  );
});

/** A UDP socket in the server namespace that never reads: datagrams stay queued until its process dies. */
async function unreadUdpSocket(t: Topology, port: number): Promise<void> {
  await sh(
    localShell,
    `ip netns exec ${t.server} python3 -c 'import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("${t.serverAddr}",${port})); print("ok",flush=True); time.sleep(120)' > /dev/null 2>&1 &
for i in $(seq 50); do ip netns exec ${t.server} ss -uln | grep -q ":${port}" && exit 0; sleep 0.1; done; exit 1`,
  );
}

async function sendUdp(t: Topology, port: number): Promise<void> {
  await sh(localShell, `ip netns exec ${t.client} bash -c 'echo pktpath > /dev/udp/${t.serverAddr}/${port}'`);
}

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
