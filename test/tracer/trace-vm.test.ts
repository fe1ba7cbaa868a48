import { describe, expect } from 'vitest';
import { addNftDrop, createPair, destroy, ping } from '../lab/netns.js';
import type { VmSpec } from '../lab/vm.js';
import { labContext } from '../support/lab-context.js';
import { DEFAULT_FUNCTIONS, type Ev, inOrder, paths, type Rec, TraceRun } from './loader-run.js';
import { pushLoader, type VmHost } from './vm-loader.js';

// The function backends (kprobe-multi, fentry, kprobe) on Debian's 6.1 and 6.12 kernels and arm64 in the lab VMs
// (5.10 has none: trace-510.test.ts). One
// trace run per backend serves several checks: a ping that is answered, then one an nft rule drops.
const { state, labIt } = labContext();
const itOn = (name: VmSpec['name']) => labIt({ hosts: [name] });
const TCG = 240_000; // qemu TCG is 10-50x slower than native: generous, bounded

const hosts = new Map<string, Promise<VmHost>>();
const vm = (name: VmSpec['name']) => {
  if (!hosts.has(name)) hosts.set(name, pushLoader(state!, name));
  return hosts.get(name)!;
};

// What may still run on an skb after its last free (the tail of freeing, PROBE_TAIL).
const TAIL = /free|release|destructor/;

/** Traces a ping that is answered, then one that nft drops, with one backend; returns what the loader wrote. */
async function pingThenDrop(host: VmHost, config: object) {
  const t = await createPair(host.shell);
  try {
    const run = new TraceRun({ filter: `icmp and host ${t.serverAddr}`, ...config }, ['--json'], host.via);
    const attached = await run.waitFor('attached', 120_000);
    expect((await ping(t, 1)).received).toBe(1);
    await addNftDrop(t);
    expect((await ping(t, 1)).received).toBe(0);
    await new Promise((r) => setTimeout(r, 1000)); // the last frees reach the ring buffer
    const recs = await run.stop();
    expect((await run.exited).code, run.stderr).toBe(0);
    return { t, attached, recs, events: run.events(), probes: recs.filter((r) => r.type === 'probe') };
  } finally {
    await destroy(t);
  }
}

type Traced = Awaited<ReturnType<typeof pingThenDrop>>;

/** The checks every backend must pass on the answered ping and the dropped one (every kernel here reports drop
 * reasons: 5.17 and later). */
function checkPaths({ t, recs, events }: Traced) {
  expect(recs.at(-1)).toMatchObject({ type: 'done', reason: 'stop', lost: 0, trackFull: 0 });
  const all = [...paths(events).values()];
  // the 5-tuple comes with the first event that sees an IP header (__ip_local_out runs before it is built)
  const tuple = (p: Ev[]) => p.find((e) => e.tuple)?.tuple;
  const isRequest = (p: Ev[]) => tuple(p)?.dst === t.serverAddr && tuple(p)?.dport === 8 << 8;
  const requests = all.filter(isRequest);
  expect(requests.length, JSON.stringify(all.map((p) => p.map((e) => e.name)))).toBe(2);
  const [answered, dropped] = requests as [Ev[], Ev[]];

  // the answered request: client stack → veth → server stack, local delivery, the echo; one end, then only
  // the tail of freeing
  const names = answered.map((e) => e.name);
  expect(
    inOrder(names, ['ip_output', '__dev_queue_xmit', 'ip_rcv', 'ip_local_deliver', 'icmp_rcv', 'icmp_echo']),
    names.join(' '),
  ).toBe(true);
  const rcv = answered.find((e) => e.name === 'ip_rcv')!;
  expect(rcv.netns).not.toBe(answered[0]!.netns); // the netns change along the veth
  const frees = answered.filter((e) => e.free);
  expect(frees.map((e) => e.name)).toEqual(['consume_skb']);
  expect(answered.slice(answered.indexOf(frees[0]!) + 1).every((e) => TAIL.test(e.name))).toBe(true);
  expect(frees[0]!.netns).toBe(rcv.netns);

  // the reply: cloned for ping's raw socket, the original dropped by ping_rcv, the clone read by ping; the clone
  // keeps the packet id and the path ends once both skbs are gone
  const reply = all.find((p) => tuple(p)?.src === t.serverAddr && p.some((e) => e.name === 'icmp_rcv'))!;
  expect(reply).toBeDefined();
  const clone = reply.find((e) => e.name === 'skb_clone' && e.retval !== undefined)!;
  expect(clone, reply.map((e) => e.name).join(' ')).toBeDefined();
  expect(new Set(reply.map((e) => e.skb)).size).toBe(2);
  const read = reply.find((e) => e.name === 'skb_copy_datagram_iovec')!;
  expect(read.skb).toBe(clone.skb); // the clone's events carry the clone's address
  expect(reply.filter((e) => e.free).map((e) => e.skb)).toEqual([clone.skb]);
  expect(all.filter((p) => tuple(p)?.src === t.serverAddr)).toHaveLength(1); // no second id for the clone

  // the dropped request: nft in the server's input hook, then kfree_skb with the reason
  const dn = dropped.map((e) => e.name);
  expect(inOrder(dn, ['ip_rcv', 'ip_local_deliver', 'nf_hook_slow']), dn.join(' ')).toBe(true);
  const end = dropped.find((e) => e.free)!;
  expect(dn.some((n) => n === 'kfree_skb_reason' || n === 'sk_skb_reason_drop')).toBe(true);
  expect(end).toMatchObject({ name: 'kfree_skb', drop: { name: 'NETFILTER_DROP' } });
  expect(end.netns).toBe(dropped.find((e) => e.name === 'ip_rcv')!.netns);
  expect(dn).not.toContain('icmp_rcv');
}

/** Every function probe attached, except names this kernel lacks (auto: fentry's refusals go to kprobe). */
function checkAttached(r: Traced, backend: string) {
  expect(r.attached).toMatchObject({ backend });
  // a tracepoint fired inside an attached function is left out, neither attached nor failed
  const covered = r.probes.filter((p) => p.coveredBy);
  expect(covered.find((p) => p.name === 'net_dev_queue')).toMatchObject({
    kind: 'raw_tp',
    attached: false,
    coveredBy: ['__dev_queue_xmit'],
  });
  for (const p of covered) expect(p).not.toHaveProperty('error');
  const failed = r.probes.filter((p) => !p.attached && !p.coveredBy);
  for (const p of failed) expect(`${p.name as string}: ${p.error as string}`).toMatch(/no such function/);
  expect(r.attached.failed).toBe(failed.length);
  const funcs = r.probes.filter((p) => p.kind === backend);
  expect(funcs.length).toBeGreaterThan(20);
  expect(funcs.every((p) => p.kind === backend)).toBe(true);
  // clone tracking: the copy functions are probed on return as well
  for (const name of ['skb_clone', 'skb_copy'])
    expect(r.probes.find((p) => p.name === name)).toMatchObject({ attached: true, ret: true, clone: true });
}

const probeOf = async (host: VmHost) => {
  const r = await host.shell(`${host.via.at(-1)} probe`, { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as {
    kernel: { release: string };
    attach: Record<string, { ok: boolean }>;
    auto: string;
  };
};

// an explicit list: `ret` on a function that returns while the skb lives on (0: routed), and one name this
// kernel may not have (6.1 has no sk_skb_reason_drop): reported failed, the trace goes on
const explicit = {
  functions: [
    'ip_output',
    '__dev_queue_xmit',
    'ip_rcv',
    'ip_local_deliver',
    'icmp_rcv',
    'icmp_echo',
    'nf_hook_slow',
    'kfree_skb_reason',
    'sk_skb_reason_drop',
    'consume_skb',
    'ping_rcv',
    'skb_copy_datagram_iovec',
    { name: 'ip_route_input_noref', ret: true },
  ],
};

function checkRet(r: Traced) {
  const route = r.events.filter((e) => e.name === 'ip_route_input_noref');
  const withRet = route.filter((e) => e.retval !== undefined);
  expect(withRet.length).toBeGreaterThanOrEqual(2); // both requests were routed (the drop comes later)
  expect(withRet.every((e) => e.retval === 0)).toBe(true);
  expect(route.length).toBe(withRet.length * 2); // one entry and one return event each
  expect(r.probes.find((p) => p.name === 'ip_route_input_noref')).toMatchObject({
    attached: true,
    ret: true,
  });
}

/** The kernels without kprobe-multi, where `auto` picks fentry. */
const FENTRY_KERNELS = [
  {
    name: 'vm61',
    title: 'Debian 6.1 (vm61: kprobe, fentry; no kprobe-multi)',
    kprobeMultiError: /not supported/i,
    absent: 'sk_skb_reason_drop',
    object: 'full', // no bpf_rdonly_cast before 6.2: sk_buff fields through helper reads
  },
  {
    // arm64 (issue 13): the aarch64 loader for real. Debian's arm64 6.12 has no CONFIG_FPROBE (arm64 lacks
    // DYNAMIC_FTRACE_WITH_REGS, which fprobe needs before 6.14), so no kprobe-multi there either.
    name: 'vmarm64',
    title: 'Debian 6.12 on arm64 (vmarm64, qemu-system-aarch64: kprobe, fentry; no kprobe-multi)',
    kprobeMultiError: /not supported/i,
    absent: 'kfree_skb_reason', // 6.11 made it an inline wrapper of sk_skb_reason_drop
    object: 'direct',
  },
] as const;

for (const { name, title, kprobeMultiError, absent, object } of FENTRY_KERNELS)
  describe(`tracer on ${title}`, () => {
    itOn(name)(
      `probe reports the attach kinds that really work; auto picks fentry and follows ping, clone and nft drop`,
      async () => {
        const host = await vm(name);
        const p = await probeOf(host);
        expect(p.kernel.release).toBe(state!.hosts[name]!.kernelRelease);
        expect([p.attach['kprobe-multi']!.ok, p.attach.fentry!.ok, p.attach.kprobe!.ok]).toEqual([
          false,
          true,
          true,
        ]);
        expect(p.auto).toBe('fentry');
        const config = { probes: { functions: DEFAULT_FUNCTIONS } };
        const r = await pingThenDrop(host, config);
        checkAttached(r, 'fentry');
        expect(r.attached.object).toBe(object); // the build of the eBPF object this kernel calls for
        // the default set's module function: fentry refuses it, kprobe takes it
        expect(r.probes.find((p) => p.name === 'veth_xmit')).toMatchObject({
          kind: 'kprobe',
          attached: true,
          fallbacks: [{ backend: 'fentry', error: 'fentry: module functions need kprobe' }],
        });
        // auto tried kprobe-multi first and says why it moved on
        expect(r.attached.fallbacks).toEqual([
          { backend: 'kprobe-multi', error: expect.stringMatching(kprobeMultiError) as unknown },
        ]);
        checkPaths(r);
      },
      TCG,
    );

    itOn(name)(
      `kprobe (with kretprobes): the same paths, return values, a missing function reported`,
      async () => {
        const config = { attach: 'kprobe', probes: explicit };
        const r = await pingThenDrop(await vm(name), config);
        expect(r.attached).toMatchObject({ backend: 'kprobe', fallbacks: [] });
        expect(r.probes.find((p) => p.name === absent)).toMatchObject({
          attached: false,
          error: expect.stringMatching(/no such function/) as unknown,
        });
        checkPaths(r);
        checkRet(r);
      },
      TCG,
    );
  });

describe('tracer on Debian 6.12 (vm612: kprobe-multi, fentry, kprobe)', () => {
  itOn('vm612')(
    'probe gives each traceable function its C signature from BTF (checked against bpftool’s raw dump)',
    async () => {
      const host = await vm('vm612');
      const r = await host.shell(`${host.via.at(-1)} probe`, { timeoutMs: 120_000 });
      const p = JSON.parse(r.stdout) as { functions: { name: string; signature?: string }[] };
      expect(p.functions.length).toBeGreaterThan(1000);
      expect(p.functions.every((f) => f.signature?.includes(`${f.name}(`))).toBe(true);
      expect(r.stdout.length).toBeLessThan(400_000); // ~2k signatures: the probe document stays small
      // ip_rcv's declaration rebuilt from the raw BTF records: FUNC -> FUNC_PROTO -> params -> PTR -> STRUCT
      const raw = await host.shell(
        'bpftool btf dump file /sys/kernel/btf/vmlinux > /tmp/btf.raw; ' +
          "proto=$(grep -m1 \"FUNC 'ip_rcv' \" /tmp/btf.raw | sed 's/.*type_id=\\([0-9]*\\).*/\\1/'); " +
          'grep -A5 "^\\[$proto\\] FUNC_PROTO" /tmp/btf.raw',
        { timeoutMs: 120_000 },
      );
      const lines = raw.stdout.trim().split('\n');
      const ret = Number(/ret_type_id=(\d+)/.exec(lines[0]!)![1]);
      const params = lines
        .slice(1)
        .map((l) => /^\s+'(\w+)' type_id=(\d+)/.exec(l))
        .filter((m) => m !== null)
        .map((m) => ({ name: m[1]!, type: Number(m[2]) }));
      const typeLine = async (id: number) =>
        (await host.shell(`grep -m1 "^\\[${id}\\] " /tmp/btf.raw`)).stdout.trim();
      const cType = async (id: number): Promise<string> => {
        const l = await typeLine(id);
        const ptr = /^\[\d+\] PTR '\(anon\)' type_id=(\d+)/.exec(l);
        if (ptr) return `${await cType(Number(ptr[1]))} *`;
        const named = /^\[\d+\] (STRUCT|INT) '(\w+)'/.exec(l);
        if (!named) throw new Error(`unexpected BTF type: ${l}`);
        return named[1] === 'STRUCT' ? `struct ${named[2]}` : named[2]!;
      };
      const args = await Promise.all(params.map(async (a) => `${await cType(a.type)}${a.name}`));
      const expected = `${await cType(ret)} ip_rcv(${args.join(', ')})`.replace(/\* (\w)/g, '*$1');
      expect(params.map((a) => a.name)).toEqual(['skb', 'dev', 'pt', 'orig_dev']);
      expect(p.functions.find((f) => f.name === 'ip_rcv')?.signature).toBe(expected);
    },
    TCG,
  );

  itOn('vm612')(
    'probe reports all three; auto picks fentry for the default set (kprobe taking veth_xmit) and follows ping, clone and nft drop',
    async () => {
      const host = await vm('vm612');
      const p = await probeOf(host);
      expect([p.attach['kprobe-multi']!.ok, p.attach.fentry!.ok, p.attach.kprobe!.ok]).toEqual([
        true,
        true,
        true,
      ]);
      // the least cost per hit for a small set, though kprobe-multi works here
      expect(p.auto).toBe('fentry');
      const r = await pingThenDrop(host, { probes: { functions: DEFAULT_FUNCTIONS } });
      checkAttached(r, 'fentry');
      // 6.2+: the direct object, whose probes load sk_buff fields without a helper call each
      expect(r.attached).toMatchObject({ fallbacks: [], object: 'direct' });
      expect(r.probes.find((p) => p.name === 'veth_xmit')).toMatchObject({
        kind: 'kprobe',
        attached: true,
        fallbacks: [{ backend: 'fentry', error: 'fentry: module functions need kprobe' }],
      });
      checkPaths(r);
    },
    TCG,
  );

  itOn('vm612')(
    'kprobe-multi (attached by address): the same paths; auto takes it for every skb function, a set above 128',
    async () => {
      const host = await vm('vm612');
      const r = await pingThenDrop(host, {
        attach: 'kprobe-multi',
        probes: { functions: DEFAULT_FUNCTIONS },
      });
      checkAttached(r, 'kprobe-multi');
      expect(r.attached).toMatchObject({ backend: 'kprobe-multi', fallbacks: [], object: 'direct' });
      checkPaths(r);
      const all = new TraceRun(
        { filter: 'icmp and host 192.0.2.99', probes: { functions: 'all' } },
        ['--json'],
        host.via,
      );
      const attached = await all.waitFor('attached', 120_000);
      await all.stop();
      expect((await all.exited).code, all.stderr).toBe(0);
      expect(attached).toMatchObject({ backend: 'kprobe-multi' });
      expect(Number(attached.attached)).toBeGreaterThan(1000);
    },
    TCG,
  );

  itOn('vm612')(
    'fentry (with fexit): the same paths and return values',
    async () => {
      const r = await pingThenDrop(await vm('vm612'), { attach: 'fentry', probes: explicit });
      expect(r.attached).toMatchObject({ backend: 'fentry', object: 'direct' });
      checkPaths(r);
      checkRet(r);
    },
    TCG,
  );

  itOn('vm612')(
    'kprobe: the same paths',
    async () => {
      const r = await pingThenDrop(await vm('vm612'), {
        attach: 'kprobe',
        probes: { functions: DEFAULT_FUNCTIONS },
      });
      checkAttached(r, 'kprobe');
      checkPaths(r);
    },
    TCG,
  );
});

export type { Rec };
