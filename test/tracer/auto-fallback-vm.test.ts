import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { labTarget } from '../lab/lab.js';
import { addNftDrop, createPair, destroy, ping, type Topology } from '../lab/netns.js';
import { sshShell } from '../lab/ssh-client.js';
import { hostsAddArgs } from '../support/hosts-add-args.js';
import { labContext } from '../support/lab-context.js';
import { paths, TraceRun, type Ev } from './loader-run.js';
import { pushLoader } from './vm-loader.js';

// `auto` on Debian 6.1 (no kprobe-multi): fentry for a small set, and every function fentry refuses — module
// functions, more than 6 arguments — attached by kprobe instead, reported per function. Per-function `ret` and
// `stack` from a probe set reach that function only. Once with the loader itself, once through the CLI.
const { lab, labIt } = labContext();
const it = labIt({ hosts: ['vm61'] });
const TCG = 300_000; // qemu TCG is 10-50x slower than native: generous, bounded
const LONG = 600_000; // 300 fentry attaches and detaches under TCG (~50 s each way idle)
const scratch = mkdtempSync(join(tmpdir(), 'pktpath-autofallback-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** An nft inet table whose input chain only counts: nf_tables is loaded, nft_do_chain_inet runs, nothing drops. */
const countingNft = (t: Topology) => addNftDrop(t, 'icmp type echo-request counter');

// vmlinux functions fentry takes; two module functions (veth, nf_tables) and two with more than 6 arguments
// (fib_validate_source: 8, __inet_lookup_listener: 10) that fentry on x86-64 6.1 refuses
const FENTRY_OK = ['ip_output', '__dev_queue_xmit', 'ip_rcv', 'ip_route_input_noref', 'icmp_rcv'];
const MODULE = ['veth_xmit', 'nft_do_chain_inet'];
const MANY_ARGS = ['fib_validate_source', '__inet_lookup_listener'];
const COPIES = new Set(['skb_clone', 'skb_copy', '__pskb_copy_fclone', 'skb_copy_expand']);

/** The built CLI as a user runs it, with this file's own data dir; `onStderr` sees stderr as it grows. */
function cli(args: string[], onStderr?: (all: string) => void, limitMs = TCG - 20_000) {
  const env = {
    ...process.env,
    HOME: join(scratch, 'home'),
    PKTPATH_HOME: join(scratch, 'pktpath'),
    SSH_AUTH_SOCK: '',
  };
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [resolve('bin/pktpath.mjs'), ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d; // not inside `onStderr?.(…)`: without a listener that argument is never evaluated
      onStderr?.(stderr);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end();
  });
}

let hostAdded = false;
/** vm61 in the CLI's inventory as `vm61-autofallback` (once per file). */
async function addHostOnce(): Promise<void> {
  if (hostAdded) return;
  const add = await cli(hostsAddArgs('vm61-autofallback', lab().hosts.vm61!, lab().privateKey));
  expect(add.code, add.stderr).toBe(0);
  hostAdded = true;
}

describe('auto on Debian 6.1 (vm61: fentry and kprobe, no kprobe-multi)', () => {
  it(
    'attaches every function: fentry where it can, kprobe for module and >6-argument functions; the ping path shows them',
    async () => {
      const host = await pushLoader(lab(), 'vm61', '/tmp/pktpath-loader-autofallback');
      const t = await createPair(host.shell);
      try {
        await countingNft(t);
        const run = new TraceRun(
          {
            filter: `icmp and host ${t.serverAddr}`,
            probes: { functions: [...FENTRY_OK, ...MODULE, ...MANY_ARGS] },
          },
          ['--json'],
          host.via,
        );
        const attached = await run.waitFor('attached', 240_000);
        expect((await ping(t, 1)).received).toBe(1);
        await new Promise((r) => setTimeout(r, 1000)); // the last frees reach the ring buffer
        const recs = await run.stop();
        expect((await run.exited).code, run.stderr).toBe(0);

        const probes = recs.filter((r) => r.type === 'probe' && r.kind !== 'raw_tp');
        const byName = (n: string) => probes.find((p) => p.name === n)!;
        expect(attached).toMatchObject({ backend: 'fentry', failed: 0 });
        expect(attached.fallbacks).toEqual([
          { backend: 'kprobe-multi', error: expect.stringMatching(/not supported/i) as unknown },
        ]);
        expect(probes.filter((p) => !p.attached)).toEqual([]);
        for (const n of FENTRY_OK) expect(byName(n)).toMatchObject({ kind: 'fentry', attached: true });
        expect(byName('ip_rcv').fallbacks).toBeUndefined();
        for (const n of MODULE)
          expect(byName(n)).toMatchObject({
            kind: 'kprobe',
            attached: true,
            fallbacks: [{ backend: 'fentry', error: 'fentry: module functions need kprobe' }],
          });
        for (const n of MANY_ARGS)
          expect(byName(n)).toMatchObject({
            kind: 'kprobe',
            attached: true,
            fallbacks: [{ backend: 'fentry', error: expect.stringMatching(/^fentry: /) as unknown }],
          });
        const counts = attached.backends as Record<string, number>;
        expect(counts.kprobe).toBe(MODULE.length + MANY_ARGS.length);
        expect(counts.fentry).toBe(probes.length - counts.kprobe!);

        // the answered request, in order: out through the veth (a module function), routed on the server side
        // (fib_validate_source has 8 arguments), through the inet nft chain (a module function), delivered
        const request = [...paths(run.events()).values()].find((p: Ev[]) =>
          p.some((e) => e.tuple?.dst === t.serverAddr && e.tuple.dport === 8 << 8),
        )!;
        const names = request.map((e) => e.name);
        const want = [
          'ip_output',
          '__dev_queue_xmit',
          'veth_xmit',
          'ip_rcv',
          'ip_route_input_noref',
          'fib_validate_source',
          'nft_do_chain_inet',
          'icmp_rcv',
        ];
        expect(
          names.filter((n) => want.includes(n)),
          names.join(' '),
        ).toEqual(want);
      } finally {
        await destroy(t);
      }
    },
    TCG,
  );

  it(
    'through the CLI: `ret` and `stack` of one probe-set line reach that function only, and the fallback is reported',
    async () => {
      await addHostOnce();
      const probeSet = join(scratch, 'probes.txt');
      writeFileSync(
        probeSet,
        // six module functions (veth, tun, vxlan, geneve, bridge, conntrack): fentry refuses all six for one reason
        'ip_output\n__dev_queue_xmit\nveth_xmit\ntun_net_xmit\nvxlan_xmit\ngeneve_xmit\nbr_forward\nnf_conntrack_in\n' +
          'ip_rcv\nip_route_input_noref ret stack\nicmp_rcv\nconsume_skb\n',
      );
      const t = await createPair(sshShellOf());
      try {
        let attached = false;
        let stderrSoFar = '';
        const tracing = cli(
          [
            'trace',
            'vm61-autofallback',
            '--filter',
            `icmp and host ${t.serverAddr}`,
            '--probes',
            probeSet,
            '--count',
            '2',
            '--duration',
            '120',
            '--accept-new-host-key',
            '--json',
          ],
          (e) => {
            stderrSoFar = e;
            attached ||= /^tracing on /m.test(e);
          },
        );
        let done = false;
        void tracing.then(() => (done = true));
        while (!done && !attached) await new Promise((r) => setTimeout(r, 100));
        await new Promise((r) => setTimeout(r, 500)); // the lines the CLI writes with "tracing on" (one tick)
        const asTracingStarts = stderrSoFar;
        for (let i = 0; i < 20 && !done; i++) await ping(t, 1, 0.2);
        const r = await tracing;
        expect(r.code, r.stderr).toBe(0);
        // the user is told which functions another backend took, and why, as tracing starts (lines of one write):
        // one reason said once for the six, the first five named
        expect(asTracingStarts).toMatch(
          /^tracing on .*\n(?: {2}.*\n)* {2}fell back: veth_xmit, tun_net_xmit, vxlan_xmit, geneve_xmit, br_forward and 1 more → kprobe \(fentry: module functions need kprobe\)$/m,
        );
        const doc = JSON.parse(r.stdout) as {
          mode: string;
          packets: {
            hops: {
              function: string;
              ret?: number;
              stack_id?: number;
              drop_reason?: string;
              tuple?: unknown;
            }[];
          }[];
        };
        expect(doc.mode).toBe('fentry');
        const hops = doc.packets.flatMap((p) => p.hops);
        // (the copy functions the loader always adds return the copy: their `ret` is its address)
        const withRet = hops.filter((h) => h.ret !== undefined && !COPIES.has(h.function));
        // (every drop event carries a stack too: the core asks for them, `dropStack`)
        const withStack = hops.filter((h) => h.stack_id !== undefined && h.drop_reason === undefined);
        expect(withRet.length).toBeGreaterThanOrEqual(1);
        expect(withRet.map((h) => [h.function, h.ret])).toEqual(
          withRet.map(() => ['ip_route_input_noref', 0]),
        );
        expect(withStack.length).toBeGreaterThanOrEqual(2); // the entry and the return
        expect(new Set(withStack.map((h) => h.function))).toEqual(new Set(['ip_route_input_noref']));
        // the request crossed the veth: veth_xmit, attached by kprobe, is in its path
        const request = doc.packets.find((p) => p.hops.some((h) => h.function === 'icmp_rcv'))!;
        const names = request.hops.map((h) => h.function);
        expect(names.indexOf('veth_xmit'), names.join(' ')).toBeGreaterThan(
          names.indexOf('__dev_queue_xmit'),
        );
        expect(names.indexOf('ip_rcv')).toBeGreaterThan(names.indexOf('veth_xmit'));
      } finally {
        await destroy(t);
      }
    },
    TCG,
  );

  it(
    'through the CLI: a 5 s trace of 300 functions by fentry ends done, the loader given as long to detach as it took to attach',
    async () => {
      await addHostOnce();
      const probed = await cli(['probe', 'vm61-autofallback', '--json', '--accept-new-host-key']);
      expect(probed.code, probed.stderr).toBe(0);
      const facts = JSON.parse(probed.stdout) as { functions: { name: string; module?: string }[] };
      // vmlinux functions fentry takes one trampoline each: under TCG ~0.15 s apiece to attach and as much to
      // detach — far past the fixed 10 s the core used to give a stopping loader before killing it
      const names = facts.functions.filter((f) => !f.module).map((f) => f.name);
      expect(names.length).toBeGreaterThan(1000);
      const probeSet = join(scratch, 'many.txt');
      writeFileSync(probeSet, names.slice(0, 300).join('\n') + '\n');
      const r = await cli(
        [
          'trace',
          'vm61-autofallback',
          '--filter',
          'icmp and host 192.0.2.77',
          '--probes',
          probeSet,
          '--mode',
          'fentry',
          '--duration',
          '5',
          '--accept-new-host-key',
        ],
        undefined,
        LONG - 20_000,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^tracing on vm61-autofallback \(fentry: \d+\/\d+ probes attached\)/m);
      expect(r.stderr).toMatch(
        /^stopping on vm61-autofallback: detaching: attaching took \d+ s, detaching takes about as long$/m,
      );
      expect(r.stderr).not.toMatch(/killed/);
    },
    LONG,
  );
});

function sshShellOf() {
  return sshShell(labTarget(lab(), 'vm61'), lab().runtimeDir);
}
