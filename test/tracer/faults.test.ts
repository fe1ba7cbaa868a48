import { describe, expect, inject } from 'vitest';
import { exec, localShell } from '../lab/exec.js';
import { createPair, destroy, type Topology } from '../lab/netns.js';
import { gatedIt, missing } from '../support/requirements.js';
import { LOADER, TraceRun } from './loader-run.js';

// Cleanup guarantees and bad input, on this machine's kernel.
const provided = inject('lab');
const gap =
  'unavailable' in provided ? provided.unavailable : missing({ root: true, tools: ['ip', 'tc', 'bpftool'] });
const itRoot = gatedIt(gap);

/** The TC filters on the server end's ingress hook: what a trace may add and must remove. */
const ingressFilters = (t: Topology) =>
  exec('ip', ['netns', 'exec', t.server, 'tc', 'filter', 'show', 'dev', t.serverIf, 'ingress']);

/** pktpath programs still loaded (bpftool truncates names to 15 characters). */
async function leftovers(): Promise<string[]> {
  const r = await exec('bpftool', ['-j', 'prog', 'show'], { timeoutMs: 20_000 });
  const progs = JSON.parse(r.stdout) as { name?: string }[];
  return progs
    .map((p) => p.name ?? '')
    .filter((n) => /^(tp_|tc_ingress|tc_egress|kprobe_skb|kmulti_skb|fentry_skb)/.test(n));
}

describe('loader cleanup', () => {
  for (const how of ['stdin-eof', 'SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    itRoot(`leaves no program, link or TC filter after ${how}, within 2 s`, async () => {
      const t = await createPair(localShell);
      try {
        const run = new TraceRun({
          filter: 'icmp',
          probes: { tc: [{ interface: t.serverIf, netns: `/run/netns/${t.server}` }] },
        });
        await run.waitFor('attached');
        expect((await leftovers()).length).toBeGreaterThan(0); // the check can see them while they exist
        const t0 = Date.now();
        if (how === 'stdin-eof') run.child.stdin.end();
        else run.child.kill(how);
        const exit = await run.exited;
        const ms = Date.now() - t0;
        expect(ms).toBeLessThan(2000);
        if (how === 'SIGKILL') expect(exit.signal).toBe('SIGKILL');
        else {
          expect(exit.code).toBe(0);
          expect(run.records().at(-1)).toMatchObject({
            type: 'done',
            reason: how === 'stdin-eof' ? 'stdin-eof' : 'signal',
          });
        }
        // programs are freed asynchronously after their last reference goes
        let left: string[] = [];
        for (let i = 0; i < 40; i++) {
          left = await leftovers();
          if (!left.length) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(left).toEqual([]);
        const tc = await ingressFilters(t);
        expect(tc.stdout.trim()).toBe('');
      } finally {
        await destroy(t);
      }
    });
  }

  itRoot('`loader cleanup` removes a tagged classic TC filter left behind', async () => {
    const t = await createPair(localShell);
    try {
      // what a killed loader leaves on kernels without TCX: pktpath's handle/prio with a program named tc_ingress
      const obj = '/tmp/pktpath-leftover.bpf.o';
      await exec('cp', [LOADER.replace(/pktpath-loader$/, 'pktpath.bpf.o'), obj]);
      const add = await exec('ip', [
        'netns',
        'exec',
        t.server,
        'sh',
        '-c',
        `tc qdisc add dev ${t.serverIf} clsact && tc filter add dev ${t.serverIf} ingress prio 28788 handle 0x7074 bpf da obj ${obj} sec pktpath/tc 2>&1 || tc filter add dev ${t.serverIf} ingress prio 28788 handle 0x7074 bpf da object-pinned /dev/null`,
      ]);
      const before = await ingressFilters(t);
      if (!/tc_ingress/.test(before.stdout)) {
        // iproute2 cannot load CO-RE objects with global data on every version: then this scenario cannot be staged here
        expect(
          add.code === 0 && /tc_ingress/.test(before.stdout),
          `could not stage a leftover filter: ${add.stdout}${add.stderr}`,
        ).toBe(true);
      }
      const r = await exec(LOADER, ['cleanup']);
      expect(JSON.parse(r.stdout)).toMatchObject({ type: 'cleanup', tcFiltersRemoved: 1 });
      const after = await ingressFilters(t);
      expect(after.stdout.trim()).toBe('');
    } finally {
      await destroy(t);
    }
  });
});

/** 200+ invalid configs and filters: each must give one JSON error line, exit code 2, attach nothing. */
function badInputs(): { name: string; input: string }[] {
  const out: { name: string; input: string }[] = [];
  const add = (name: string, input: string) => out.push({ name, input });
  const valid = { filter: 'icmp', limits: { durationMs: 100 } };
  // not JSON / wrong shape
  for (const s of [
    '',
    ' ',
    '{',
    '}',
    '[',
    '{"filter":',
    '{"filter":"icmp"',
    'null',
    '1',
    '"x"',
    '[]',
    'true',
    '{,}',
    '{"a" 1}',
    "{'filter':'icmp'}",
    '{"filter":"icmp",}',
    '{"filter":"\\x"}',
    '{"filter":"\\u12"}',
    '{"filter":01}',
    '{"filter":-}',
    '{"filter":1e}',
    '{"filter":.5}',
    '{"filter":NaN}',
    '{"filter":Infinity}',
    '{"filter":"a\u0001b"}',
    '\u0000{}',
  ])
    add(`syntax ${JSON.stringify(s)}`, s);
  add('deep nesting', '['.repeat(100) + ']'.repeat(100));
  // wrong types and values for every key
  const wrong: Record<string, unknown[]> = {
    filter: [1, true, null, [], {}, 'x'.repeat(5000)],
    netns: [0, -1, 1.5, 'relative/path', '/nonexistent/netns', true, 2 ** 33, []],
    interface: [0, -3, '', 'x'.repeat(16), 'a/b', 'a b', true, [], 2 ** 31],
    mark: [-1, 1.5, 'x', 2 ** 32, null],
    attach: ['', 'kprobes', 'AUTO', 1, null, ['auto'], 'tc'],
    probes: [1, 'all', [], null],
    limits: [1, 'x', [], null],
    options: [1, 'x', []],
    version: [0, 2, '1', 1.5],
    unknownKey: [1, 'x'],
  };
  for (const [k, vals] of Object.entries(wrong))
    for (const v of vals)
      add(`${k}=${JSON.stringify(v)?.slice(0, 30)}`, JSON.stringify({ ...valid, [k]: v }));
  add('markMask without mark', JSON.stringify({ ...valid, markMask: 255 }));
  add('markMask 0', JSON.stringify({ ...valid, mark: 1, markMask: 0 }));
  const probes: unknown[] = [
    { tracepoints: 'some' },
    { tracepoints: [1] },
    { tracepoints: [''] },
    { tracepoints: ['no_such_tp'] },
    { tracepoints: ['a;b'] },
    { functions: 'some' },
    { functions: [1] },
    { functions: [{}] },
    { functions: [{ name: 'ip_rcv', pos: 0 }] },
    { functions: [{ name: 'ip_rcv', pos: 6 }] },
    { functions: [{ name: 'ip_rcv', pos: '1' }] },
    { functions: [{ name: 'ip rcv' }] },
    { functions: [{ name: 'ip_rcv', extra: 1 }] },
    { functions: [''] },
    { tc: 'eth0' },
    { tc: [{}] },
    { tc: [{ interface: '' }] },
    { tc: [{ interface: 'lo', direction: 'up' }] },
    { tc: [{ interface: 'lo', netns: 'relative' }] },
    { tc: [{ interface: 'lo', x: 1 }] },
    { tc: [{ interface: 'x'.repeat(20) }] },
    { other: 1 },
  ];
  for (const p of probes)
    add(`probes=${JSON.stringify(p).slice(0, 40)}`, JSON.stringify({ ...valid, probes: p }));
  const limits: unknown[] = [
    { packets: -1 },
    { packets: 1.5 },
    { packets: 'x' },
    { durationMs: -5 },
    { events: null },
    { foo: 1 },
    { packets: 2 ** 40 },
  ];
  for (const l of limits) add(`limits=${JSON.stringify(l)}`, JSON.stringify({ ...valid, limits: l }));
  const options: unknown[] = [
    { stack: 1 },
    { trackMax: 100 },
    { trackMax: 2 ** 30 },
    { ringbufBytes: 5000 },
    { ringbufBytes: 1024 },
    { x: 1 },
  ];
  for (const o of options) add(`options=${JSON.stringify(o)}`, JSON.stringify({ ...valid, options: o }));
  add('attach tc without probes.tc', JSON.stringify({ ...valid, attach: 'tc' }));
  // filters libpcap rejects
  const filters = [
    'icmp and',
    'host',
    'port 99999',
    'tcp port',
    'ip6 and icmp[icmptype] == 1 or',
    '((icmp)',
    'icmp)',
    'src net 10.0.0.0/33',
    'ether host zz:zz',
    'vlan and and',
    'tcp[0:5] = 1',
    'udp[0:3] = 1',
    'portrange 5-',
    'less',
    'greater x',
    'proto nosuch',
    'host 1.2.3.4.5',
    'net 300.0.0.0',
    'icmp[icmptype] = ',
    'len >',
    'not',
    '!',
    '&&',
    'tcp and (',
    'ip[0] & = 1',
    '1 +',
    'ip host',
    'dst port -1',
    'mask 255.255.255.0',
    'gateway',
    'tcp[tcpflags] & tcp-nosuchflag != 0',
    'src and dst',
    'icmp6[icmp6type] == 999x',
    'arp and host',
    'ip proto',
    'ip6 protochain',
    'broadcast and multicast and',
    'vlan 5000', // neither view: only libpcap knows the VLAN id's range
    'wlan type',
    'ether[0:5] = 1',
  ];
  for (const f of filters) add(`filter ${JSON.stringify(f)}`, JSON.stringify({ ...valid, filter: f }));
  // generated: every key of the valid config with a random wrong type
  const types = [1, -1, 0.5, 'str', true, false, null, [], [1, 'x'], { a: 1 }];
  const keys = ['interface', 'mark', 'attach', 'probes', 'limits', 'options', 'netns', 'version'];
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  while (out.length < 230) {
    const k = keys[rnd(keys.length)]!;
    const v = types[rnd(types.length)];
    const input = JSON.stringify({ ...valid, [k]: v });
    // skip the few random pairs that are valid (e.g. interface 1, mark 0, version 1)
    if (
      (k === 'interface' && v === 1) ||
      (k === 'mark' && (v === 1 || v === 0)) ||
      (k === 'version' && v === 1)
    )
      continue;
    add(`random ${k}=${JSON.stringify(v)}`, input);
  }
  return out;
}

describe('bad input', () => {
  itRoot(
    '200+ invalid configs and filters: one-line JSON error, exit 2, nothing attached',
    async () => {
      const cases = badInputs();
      expect(cases.length).toBeGreaterThanOrEqual(200);
      const failures: string[] = [];
      for (let i = 0; i < cases.length; i += 8) {
        await Promise.all(
          cases.slice(i, i + 8).map(async (c) => {
            const r = await exec(LOADER, ['trace', '--json'], { input: c.input, timeoutMs: 10_000 });
            const lines = r.stdout.split('\n').filter(Boolean);
            let rec: { type?: string; error?: string } = {};
            try {
              rec = JSON.parse(lines[0] ?? '') as typeof rec;
            } catch {
              /* reported below */
            }
            if (r.code !== 2 || lines.length !== 1 || rec.type !== 'error' || !rec.error)
              failures.push(`${c.name}: exit ${r.code ?? r.signal}, stdout ${r.stdout.slice(0, 200)}`);
          }),
        );
      }
      expect(failures).toEqual([]);
      expect(await leftovers()).toEqual([]);
    },
    180_000,
  );

  itRoot('the same valid config is accepted (the bad-input checks can pass)', async () => {
    const r = await exec(LOADER, ['trace', '--json'], {
      input: JSON.stringify({ filter: 'icmp', probes: { tracepoints: ['kfree_skb'] } }),
      timeoutMs: 10_000,
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).at(-1)).toMatch(/"type":"done","reason":"stdin-eof"/);
  });
});
