import { describe, expect } from 'vitest';
import { addNftDrop, createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { labContext } from '../support/lab-context.js';
import { DEFAULT_FUNCTIONS, paths, TraceRun, type Ev } from './loader-run.js';
import { pushLoader, type VmHost } from './vm-loader.js';

// Debian 11's 5.10 (vm510, issue 13): a kernel without atomic fetch-and-add (5.12), bpf_get_attach_cookie and
// bpf_get_func_ip (5.15), or kfree_skb drop reasons (5.17). The loader runs its compat object there (per-CPU packet
// ids, a delete-arbitrated refcount, kfree_skb read with two arguments); the function backends are refused, in
// words, by the probe and by `auto`, and the tracepoint backend with the TC observer traces.
const { state, labIt } = labContext();
const it = labIt({ hosts: ['vm510'] });
const TCG = 240_000;

let pushed: Promise<VmHost> | undefined;
const vm = () => (pushed ??= pushLoader(state!, 'vm510'));

/** The default profile's functions (refused here) with every tracepoint and a TC ingress observer on the server. */
const config = (t: Topology, filter: string, extra: object = {}) => ({
  filter,
  probes: {
    functions: DEFAULT_FUNCTIONS,
    tracepoints: 'all',
    tc: [{ interface: t.serverIf, netns: `/run/netns/${t.server}`, direction: 'ingress' }],
  },
  ...extra,
});

async function nsInode(host: VmHost, ns: string): Promise<number> {
  const r = await host.shell(`stat -L -c %i /run/netns/${ns}`);
  expect(r.code, r.stderr).toBe(0);
  return Number(r.stdout.trim());
}

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

describe('the loader on Debian 11’s 5.10 (vm510): compat object, tracepoints and TC', () => {
  it(
    'probe: kprobe, kprobe-multi and fentry refused naming the helper the kernel lacks; raw tracepoints and TC attach; no drop reasons',
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
        kprobe: refused('bpf_get_attach_cookie', 'kprobe'),
        'kprobe-multi': refused('bpf_get_attach_cookie', 'kprobe-multi'),
        fentry: refused('bpf_get_func_ip', 'fentry'),
        'raw-tp': { ok: true },
        tc: { ok: true },
      });
      expect(p.auto).toBe('none');
      expect(p.dropReasons).toEqual([]);
    },
    TCG,
  );

  it(
    'a ping crosses the veth (netns change, TC ingress, consumed); an nft drop ends at kfree_skb with its location and no reason; functions refused in words',
    async () => {
      const host = await vm();
      const t = await createPair(host.shell);
      try {
        const run = new TraceRun(config(t, `icmp and dst host ${t.serverAddr}`), ['--json'], host.via);
        const attached = await run.waitFor('attached', 120_000);
        // the compat object runs; every function backend was refused by its feature test, in words
        expect(attached).toMatchObject({ object: 'compat', backend: 'raw-tp' });
        const why = (attached.fallbacks as { backend: string; error: string }[]).map((f) => f.backend);
        expect(why).toEqual(['kprobe-multi', 'fentry', 'kprobe']);
        for (const f of attached.fallbacks as { error: string }[])
          expect(f.error).toMatch(/^feature test: load: this kernel's eBPF has no bpf_get_/);
        expect((await ping(t, 1)).received).toBe(1);
        await addNftDrop(t);
        expect((await ping(t, 1)).received).toBe(0);
        await new Promise((r) => setTimeout(r, 1000)); // the last frees reach the ring buffer
        const recs = await run.stop();
        expect((await run.exited).code, run.stderr).toBe(0);
        expect(recs.at(-1)).toMatchObject({ type: 'done', reason: 'stop', lost: 0, trackFull: 0 });
        const funcs = recs.filter((r) => r.type === 'probe' && !['raw_tp', 'tc'].includes(r.kind as string));
        expect(funcs.map((p) => p.name)).toEqual(expect.arrayContaining(DEFAULT_FUNCTIONS));
        // functions 5.10 lacks (sk_skb_reason_drop…) say so; the rest say why no backend took them
        for (const p of funcs)
          expect(`${p.name as string}: ${p.error as string}`).toMatch(
            /: (no function attach kind works on this kernel|no such function taking a struct sk_buff \* in BTF)$/,
          );
        expect(funcs.find((p) => p.name === 'ip_rcv')).toMatchObject({
          attached: false,
          error: 'no function attach kind works on this kernel',
        });

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
