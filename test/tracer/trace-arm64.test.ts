import { describe, expect } from 'vitest';
import { addNftDrop, createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { labContext } from '../support/lab-context.js';
import { paths, TraceRun } from './loader-run.js';
import { nsInode, pushLoader, type VmHost } from './vm-loader.js';

// The aarch64 loader on Debian's arm64 6.12 kernel (vmarm64, qemu-system-aarch64/TCG): what the function-backend
// tests in trace-vm.test.ts and faults-vm.test.ts do not cover there — the probe document of an arm64 host, and
// the tracepoint backend (raw tracepoints + the TC observer) with no function probe at all.
const { state, labIt } = labContext();
const it = labIt({ hosts: ['vmarm64'] });
const TCG = 240_000;

let pushed: Promise<VmHost> | undefined;
const vm = () => (pushed ??= pushLoader(state!, 'vmarm64', '/tmp/pktpath-loader-arm64'));

/** Raw tracepoints and a TC ingress observer on the server's veth; function probes: none. */
const tracepointsOnly = (t: Topology, filter: string) => ({
  filter,
  probes: {
    functions: 'none',
    tracepoints: 'all',
    tc: [{ interface: t.serverIf, netns: `/run/netns/${t.server}`, direction: 'ingress' }],
  },
});

describe('the aarch64 loader on Debian 6.12 arm64 (vmarm64)', () => {
  it(
    'probe: an aarch64 host with BTF, tracepoints and TC attaching, drop reasons from its own BTF',
    async () => {
      const host = await vm();
      const r = await host.shell(`${host.via.at(-1)} probe`, { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const p = JSON.parse(r.stdout) as {
        arch: string;
        kernel: { release: string };
        btf: { vmlinux: boolean };
        attach: Record<string, { ok: boolean; error?: string }>;
        dropReasons: { value: number; name: string }[];
        functions: { name: string }[];
      };
      expect(p.arch).toBe('aarch64');
      expect(p.kernel.release).toBe(state!.hosts.vmarm64!.kernelRelease);
      expect(p.kernel.release).toMatch(/-arm64$/);
      expect(p.btf.vmlinux).toBe(true);
      for (const kind of ['raw-tp', 'tc', 'tcx', 'fentry', 'kprobe'])
        expect(p.attach[kind], kind).toEqual({ ok: true });
      expect(p.attach['kprobe-multi']).toMatchObject({
        ok: false,
        error: expect.stringMatching(/not supported/i),
      });
      expect(p.dropReasons).toContainEqual({ value: expect.any(Number) as unknown, name: 'NETFILTER_DROP' });
      expect(p.functions.map((f) => f.name)).toEqual(
        expect.arrayContaining(['ip_rcv', 'sk_skb_reason_drop']),
      );
    },
    TCG,
  );

  it(
    'tracepoint backend: a ping crosses the veth (netns change, TC ingress, consumed); an nft drop ends at kfree_skb with NETFILTER_DROP',
    async () => {
      const host = await vm();
      const t = await createPair(host.shell);
      try {
        const run = new TraceRun(
          tracepointsOnly(t, `icmp and dst host ${t.serverAddr}`),
          ['--json'],
          host.via,
        );
        const attached = await run.waitFor('attached', 120_000);
        expect(attached).toMatchObject({ failed: 0 });
        expect((await ping(t, 1)).received).toBe(1);
        await addNftDrop(t);
        expect((await ping(t, 1)).received).toBe(0);
        await new Promise((r) => setTimeout(r, 1000)); // the last frees reach the ring buffer
        const recs = await run.stop();
        expect((await run.exited).code, run.stderr).toBe(0);
        expect(recs.at(-1)).toMatchObject({ type: 'done', reason: 'stop', lost: 0 });
        // no function probe at all: raw tracepoints and the TC observer only
        const kinds = new Set(recs.filter((r) => r.type === 'probe').map((r) => r.kind));
        expect(kinds.has('raw_tp')).toBe(true);
        for (const fn of ['kprobe', 'kprobe-multi', 'fentry']) expect(kinds.has(fn)).toBe(false);

        const [client, server] = [await nsInode(host, t.client), await nsInode(host, t.server)];
        const crossed = [...paths(run.events()).values()].filter((p) =>
          p.some((e) => e.name === 'netif_receive_skb'),
        );
        expect(crossed.length, JSON.stringify(crossed.map((p) => p.map((e) => e.name)))).toBe(2);
        const [answered, dropped] = crossed as [(typeof crossed)[0], (typeof crossed)[0]];
        for (const p of crossed) {
          const names = p.map((e) => e.name);
          expect(names[0]).toBe('net_dev_queue');
          expect(p[0]!.netns).toBe(client);
          expect(names).toEqual(expect.arrayContaining(['net_dev_start_xmit', `tc/ingress/${t.serverIf}`]));
          expect(p.find((e) => e.name === 'netif_receive_skb')!.netns).toBe(server);
          expect(p[0]!.tuple).toMatchObject({ proto: 'icmp', src: t.clientAddr, dst: t.serverAddr });
        }
        expect(answered.at(-1)).toMatchObject({ name: 'consume_skb', free: true });
        expect(dropped.at(-1)).toMatchObject({
          name: 'kfree_skb',
          free: true,
          drop: { name: 'NETFILTER_DROP' },
        });
        expect(dropped.at(-1)!.netns).toBe(server);
      } finally {
        await destroy(t);
      }
    },
    TCG,
  );
});
