import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject } from 'vitest';
import type { Run } from '../../main/api/trace.js';
import { pathVariants } from '../../main/core/compare/compare-runs.js';
import { createCore, type CoreService } from '../../main/core/service/create-core.js';
import { localShell, sh } from '../lab/exec.js';
import { createPair, destroy, type Topology } from '../lab/netns.js';
import { gatedIt, missing } from '../support/requirements.js';

// The core on `local` (this kernel, raw tracepoints): fragments and cut packets reach the contract's packet
// records, and run variants put complete paths first.
const provided = inject('lab');
const gap =
  'unavailable' in provided
    ? provided.unavailable
    : missing({ root: true, tools: ['ip', 'python3', 'ss', 'bash'] });
const itRoot = gatedIt(gap);

let core: CoreService;
let home: string;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'pktpath-flags-'));
  core = await createCore({ home, knownHostsFiles: [] });
});
afterAll(async () => {
  await core?.close();
  rmSync(home, { recursive: true, force: true });
});

async function traceLocal(filter: string, packets: number | undefined, traffic: () => Promise<unknown>) {
  const ended = new Promise<Run>((resolve, reject) => {
    const off = core.onEvent((event, e) => {
      if (event !== 'trace.end') return;
      off();
      if (e.run && !e.error) resolve(e.run);
      else reject(new Error(e.error?.message ?? 'no run'));
    });
  });
  const tracing = new Promise<void>((resolve) => {
    const off = core.onEvent((event, payload) => {
      if (event === 'trace.progress' && payload.phase === 'tracing') {
        off();
        resolve();
      }
    });
  });
  const { runId } = await core.call('trace.start', {
    host: 'local',
    filter,
    mode: 'tracepoint',
    limits: { ...(packets ? { packets } : {}), durationS: 6 },
  });
  await tracing;
  await traffic();
  if (!packets) {
    await new Promise((r) => setTimeout(r, 300));
    await core.call('trace.stop', { runId });
  }
  return ended;
}

async function unreadUdpSocket(t: Topology, port: number): Promise<void> {
  await sh(
    localShell,
    `ip netns exec ${t.server} python3 -c 'import socket,time
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("${t.serverAddr}",${port})); time.sleep(120)' > /dev/null 2>&1 &
for i in $(seq 50); do ip netns exec ${t.server} ss -uln | grep -q ":${port}" && exit 0; sleep 0.1; done; exit 1`,
  );
}
const sendUdp = (t: Topology, port: number) =>
  sh(localShell, `ip netns exec ${t.client} bash -c 'echo pktpath > /dev/udp/${t.serverAddr}/${port}'`);

describe('packet records: partial and cut (core on local)', () => {
  itRoot(
    'a datagram queued before the attach is a partial packet; variants list complete paths first',
    async () => {
      const t = await createPair(localShell);
      try {
        const port = 40000 + Math.floor(Math.random() * 20000);
        await unreadUdpSocket(t, port);
        await sendUdp(t, port); // queued before the trace: only its free will be seen
        const run = await traceLocal(`udp and dst port ${port}`, undefined, async () => {
          await sendUdp(t, port);
          await sh(localShell, `sleep 0.2; kill $(ip netns pids ${t.server})`); // purges the queue
        });
        const fragments = run.packets.filter((p) => p.partial);
        const whole = run.packets.filter((p) => !p.partial);
        expect(fragments.map((p) => p.hops.map((h) => h.function))).toContainEqual(['kfree_skb']);
        for (const p of fragments) expect(p.hops).toHaveLength(1);
        expect(whole.length).toBeGreaterThanOrEqual(1);
        expect(whole.some((p) => p.hops[0]!.function === 'net_dev_queue' && p.hops.length > 3)).toBe(true);
        for (const p of run.packets) expect(p.cut).toBe(false);
        const variants = pathVariants(run.packets);
        expect(variants[0]!.partial).toBeUndefined();
        expect(variants[0]!.functions[0]).toBe('net_dev_queue');
        expect(variants.at(-1)!.partial).toBe(true);
      } finally {
        await destroy(t);
      }
    },
  );

  itRoot('a packet still in flight when the packet-limit grace expires is marked cut', async () => {
    const t = await createPair(localShell);
    try {
      const port = 40000 + Math.floor(Math.random() * 20000);
      await unreadUdpSocket(t, port); // never read: the datagram is never freed while tracing
      const run = await traceLocal(`udp and dst port ${port}`, 1, () => sendUdp(t, port));
      const cut = run.packets.filter((p) => p.cut);
      expect(cut).toHaveLength(1);
      expect(cut[0]!.partial).toBe(false);
      expect(cut[0]!.hops.map((h) => h.function)).toContain('netif_receive_skb');
      expect(run.events.find((e) => e.kind === 'done')?.data).toMatchObject({
        reason: 'packets',
        cutCount: 1,
      });
      expect(pathVariants(run.packets).find((v) => v.packet_ids.includes(cut[0]!.id))?.partial).toBe(true);
    } finally {
      await destroy(t);
    }
  });
});

describe('filter.check on local (no root needed)', () => {
  itRoot('compiles with the host’s loader: ok, a syntax error, and what only libpcap knows', async () => {
    expect(await core.call('filter.check', { host: 'local', filter: 'icmp and host 10.0.0.1' })).toEqual({
      ok: true,
    });
    expect(await core.call('filter.check', { host: 'local', filter: '' })).toEqual({ ok: true });
    const bad = await core.call('filter.check', { host: 'local', filter: 'tcp port 80 and' });
    expect(bad).toEqual({ ok: false, error: "can't parse filter expression: syntax error" });
    // only the Ethernet view can express it: the raw-IP view rejects every packet instead of refusing the filter
    expect(await core.call('filter.check', { host: 'local', filter: 'ether host 1:2:3:4:5:6' })).toEqual({
      ok: true,
    });
    // passes a syntax check, but only libpcap knows the VLAN id's range
    const bad2 = await core.call('filter.check', { host: 'local', filter: 'vlan 5000' });
    expect(bad2).toEqual({ ok: false, error: 'VLAN tag 5000 greater than maximum 4095' });
    await expect(core.call('filter.check', { host: 'nosuchhost', filter: 'icmp' })).rejects.toThrow(
      /nosuchhost/,
    );
  });
});
