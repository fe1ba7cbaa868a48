import { describe, expect } from 'vitest';
import { addNftDrop, createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { labContext } from '../support/lab-context.js';
import { DEFAULT_FUNCTIONS, type Ev, inOrder, paths, TraceRun } from './loader-run.js';
import { nsInode, pushLoader, type VmHost } from './vm-loader.js';

// Debian 11's 5.10 (vm510, issue 13): a kernel without atomic fetch-and-add (5.12), bpf_get_attach_cookie and
// bpf_get_func_ip (5.15), or kfree_skb drop reasons (5.17). The loader runs its compat object there (per-CPU packet
// ids, a delete-arbitrated refcount, kfree_skb read with two arguments); kprobes find their probe by the function's
// address (no return probes), fentry and kprobe-multi are refused in words, and tracepoints and TC trace too.
const { state, labIt } = labContext();
const it = labIt({ hosts: ['vm510'] });
const TCG = 240_000;

let pushed: Promise<VmHost> | undefined;
const vm = () => (pushed ??= pushLoader(state!, 'vm510'));

/** Functions (the default profile's, or none) with every tracepoint and a TC ingress observer on the server. */
const config = (
  t: Topology,
  filter: string,
  extra: object = {},
  functions: readonly string[] | 'none' = DEFAULT_FUNCTIONS,
) => ({
  filter,
  probes: {
    functions,
    tracepoints: 'all',
    tc: [{ interface: t.serverIf, netns: `/run/netns/${t.server}`, direction: 'ingress' }],
  },
  ...extra,
});

/** The kernel function holding a text address (the `--json` stream leaves `location` as an address). */
async function symbolAt(host: VmHost, addr: string): Promise<string> {
  const a = addr.replace(/^0x/, '').padStart(16, '0');
  // fixed-width lowercase hex compares as strings; /proc/kallsyms is not sorted, so keep the closest below
  const r = await host.shell(
    `awk -v a=${a} '$1 <= a && $1 > b && $2 ~ /^[tT]$/ { b = $1; s = $3 } END { print s }' /proc/kallsyms`,
  );
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('the loader on Debian 11’s 5.10 (vm510): compat object, kprobes by address, tracepoints and TC', () => {
  it(
    'probe: kprobe-multi and fentry refused naming the helper the kernel lacks; kprobe, raw tracepoints and TC attach; no drop reasons',
    async () => {
      const host = await vm();
      const r = await host.shell(`${host.via.at(-1)} probe`, { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      const p = JSON.parse(r.stdout) as {
        kernel: { release: string };
        attach: Record<string, { ok: boolean; error?: string }>;
        auto: string;
        dropReasons: unknown[];
      };
      expect(p.kernel.release).toBe(state!.hosts.vm510!.kernelRelease);
      const refused = (helper: string, kind: string) => ({
        ok: false,
        error: `load: this kernel's eBPF has no ${helper} (the tracer's ${kind} programs need it)`,
      });
      expect(p.attach).toMatchObject({
        kprobe: { ok: true }, // found by address where there is no cookie
        'kprobe-multi': refused('bpf_get_attach_cookie', 'kprobe-multi'),
        fentry: refused('bpf_get_func_ip', 'fentry'),
        'raw-tp': { ok: true },
        tc: { ok: true },
      });
      expect(p.auto).toBe('kprobe');
      expect(p.dropReasons).toEqual([]);
    },
    TCG,
  );

  it(
    'tracepoints and TC: a ping crosses the veth (netns change, TC ingress, consumed); an nft drop ends at kfree_skb with its location and no reason',
    async () => {
      const host = await vm();
      const t = await createPair(host.shell);
      try {
        const run = new TraceRun(
          config(t, `icmp and dst host ${t.serverAddr}`, { attach: 'raw-tp' }, 'none'),
          ['--json'],
          host.via,
        );
        const attached = await run.waitFor('attached', 120_000);
        expect(attached).toMatchObject({ object: 'compat', backend: 'raw-tp' }); // the compat object runs
        expect((await ping(t, 1)).received).toBe(1);
        await addNftDrop(t);
        expect((await ping(t, 1)).received).toBe(0);
        await new Promise((r) => setTimeout(r, 1000)); // the last frees reach the ring buffer
        const recs = await run.stop();
        expect((await run.exited).code, run.stderr).toBe(0);
        expect(recs.at(-1)).toMatchObject({ type: 'done', reason: 'stop', lost: 0, trackFull: 0 });
        expect(
          recs.filter((r) => r.type === 'probe' && !['raw_tp', 'tc'].includes(r.kind as string)),
        ).toEqual([]);

        const [client, server] = [await nsInode(host, t.client), await nsInode(host, t.server)];
        const crossed = [...paths(run.events()).values()].filter((p) =>
          p.some((e) => e.name === 'netif_receive_skb'),
        );
        expect(crossed.length, JSON.stringify(crossed.map((p) => p.map((e) => e.name)))).toBe(2);
        const [answered, dropped] = crossed as [Ev[], Ev[]];
        expect(answered[0]!.packet).not.toBe(dropped[0]!.packet); // per-CPU ids: still one per packet
        for (const p of crossed) {
          const names = p.map((e) => e.name);
          expect(names[0]).toBe('net_dev_queue');
          expect(p[0]!.netns).toBe(client);
          expect(names).toEqual(expect.arrayContaining(['net_dev_start_xmit', `tc/ingress/${t.serverIf}`]));
          expect(p.find((e) => e.name === 'netif_receive_skb')!.netns).toBe(server);
          expect(p[0]!.tuple).toMatchObject({ proto: 'icmp', src: t.clientAddr, dst: t.serverAddr });
        }
        expect(answered.at(-1)).toMatchObject({ name: 'consume_skb', free: true });
        // 5.10's kfree_skb has no reason: the event carries none, but its location names the dropping caller
        const end = dropped.at(-1)!;
        expect(end).toMatchObject({ name: 'kfree_skb', free: true });
        expect(end.drop).toBeUndefined();
        expect(await symbolAt(host, String(end.location))).toBe('nf_hook_slow');
        expect(end.netns).toBe(server);
      } finally {
        await destroy(t);
      }
    },
    TCG,
  );

  it(
    'auto picks kprobe, each function found by its address (no cookies before 5.15), no return probes: the ping and the nft drop with their functions',
    async () => {
      const host = await vm();
      const t = await createPair(host.shell);
      try {
        const run = new TraceRun(config(t, `icmp and host ${t.serverAddr}`), ['--json'], host.via);
        const attached = await run.waitFor('attached', 120_000);
        expect(attached).toMatchObject({ object: 'compat', backend: 'kprobe' });
        expect((attached.fallbacks as { backend: string }[]).map((f) => f.backend)).toEqual([
          'kprobe-multi',
          'fentry',
        ]);
        expect((await ping(t, 1)).received).toBe(1);
        await addNftDrop(t);
        expect((await ping(t, 1)).received).toBe(0);
        await new Promise((r) => setTimeout(r, 1000));
        const recs = await run.stop();
        expect((await run.exited).code, run.stderr).toBe(0);
        expect(recs.at(-1)).toMatchObject({ type: 'done', reason: 'stop', lost: 0, trackFull: 0 });
        const probes = recs.filter((r) => r.type === 'probe');
        // every function 5.10 has is attached; those it lacks say so
        for (const p of probes.filter((x) => x.kind === 'kprobe' && !x.attached))
          expect(`${p.name as string}: ${p.error as string}`).toMatch(/no such function/);
        expect(probes.filter((x) => x.kind === 'kprobe' && x.attached).length).toBeGreaterThan(30);
        // a kretprobe could not tell which function returned: the copy functions run on entry only
        expect(probes.find((p) => p.name === 'skb_clone')).toMatchObject({ attached: true, ret: false });

        const all = [...paths(run.events()).values()];
        // the 5-tuple comes with the first event that sees an IP header
        const first = (p: Ev[]) => p.find((e) => e.tuple)?.tuple;
        // without return probes a clone is not joined to its packet in the loader's stream (the core links it):
        // the request's copy queued for ARP shows up on its own, at its free; the originals are those received
        const requests = all.filter(
          (p) =>
            first(p)?.dst === t.serverAddr &&
            first(p)?.dport === 8 << 8 &&
            p.some((e) => e.name === 'ip_rcv'),
        );
        expect(requests.length, JSON.stringify(all.map((p) => p.map((e) => e.name)))).toBe(2);
        const [answered, dropped] = requests as [Ev[], Ev[]];
        const names = answered.map((e) => e.name);
        expect(
          inOrder(names, [
            'ip_output',
            '__dev_queue_xmit',
            'ip_rcv',
            'ip_local_deliver',
            'icmp_rcv',
            'icmp_echo',
          ]),
          names.join(' '),
        ).toBe(true);
        const dn = dropped.map((e) => e.name);
        expect(inOrder(dn, ['ip_rcv', 'ip_local_deliver', 'nf_hook_slow', 'kfree_skb']), dn.join(' ')).toBe(
          true,
        );
        expect(dn).not.toContain('icmp_rcv');
        const at = dropped.find((e) => e.location !== undefined)!;
        expect(await symbolAt(host, String(at.location))).toBe('nf_hook_slow');
      } finally {
        await destroy(t);
      }
    },
    TCG,
  );

  it(
    'limits.packets ends the run after that many whole packets (the compat limit slots)',
    async () => {
      const host = await vm();
      const t = await createPair(host.shell);
      try {
        const run = new TraceRun(
          config(t, `icmp and dst host ${t.serverAddr}`, { limits: { packets: 3 } }),
          ['--json'],
          host.via,
        );
        await run.waitFor('attached', 120_000);
        await ping(t, 6);
        const { code } = await run.exited;
        expect(code, run.stderr).toBe(0);
        const recs = run.records();
        expect(recs.at(-1)).toMatchObject({ type: 'done', reason: 'packets' });
        const ids = new Set(
          run
            .events()
            .filter((e) => e.first && !e.partial)
            .map((e) => e.packet),
        );
        expect(ids.size).toBe(3);
      } finally {
        await destroy(t);
      }
    },
    TCG,
  );
});
