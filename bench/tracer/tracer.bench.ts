// Tracer benchmarks (issue #3): figures and ratios against peers measured in the same run, written to the file
// given as argv[2]. Needs the lab up (`npm run lab:up`) and root.
//  - vm612: load+attach and detach time of every traceable skb function, per backend
//  - vm612: ping -f packet rate untraced / default probes / all skb functions
//  - here: iperf3 over veth untraced / pktpath (raw tracepoints, every skb tracked) / bpftrace doing the same
//    tracking on the same tracepoints; ring-buffer events/s to stdout and lost events
//  - vm612 + bench overlay (test/lab/vm-bench.ts): attach/detach of every traceable skb function, pktpath per
//    backend vs bpftrace kprobes on the same functions (bpftrace is only in the overlay, not in the lab image)
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { localShell, sh, type Shell } from '../../test/lab/exec.js';
import { readLabState } from '../../test/lab/lab.js';
import { createPair, destroy, type Topology } from '../../test/lab/netns.js';
import { DEFAULT_FUNCTIONS, LOADER, TraceRun, type Rec } from '../../test/tracer/loader-run.js';
import { pushLoader, VM_LOADER, type VmHost } from '../../test/tracer/vm-loader.js';
import { bootBenchVm612, type BenchVm } from '../../test/lab/vm-bench.js';
import { stopVm } from '../../test/lab/vm.js';
import { createReadStream } from 'node:fs';

const out = process.argv[2] ?? 'bench/results/tracer-tracer.json';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function attachDetach(host: VmHost, attach: string) {
  const run = new TraceRun(
    {
      filter: 'icmp',
      attach,
      probes: { tracepoints: 'none', functions: 'all' },
      limits: { durationMs: 200 },
    },
    ['--json'],
    host.via,
  );
  const t0 = Date.now();
  await run.exited;
  const recs = run.records();
  const a = recs.find((r) => r.type === 'attached') as Rec & {
    ms: number;
    attached: number;
    requested: number;
  };
  const d = recs.find((r) => r.type === 'detached') as Rec & { ms: number };
  return {
    backend: a.backend,
    attached: a.attached,
    requested: a.requested,
    attachMs: a.ms,
    detachMs: d.ms,
    wallMs: Date.now() - t0,
  };
}

/** ping -f for a fixed count, packets/s from ping's own elapsed time. */
async function flood(shell: Shell, t: Topology, count: number) {
  const r = await sh(shell, `ip netns exec ${t.client} ping -n -q -f -c ${count} ${t.serverAddr}`, 600_000);
  const m = /(\d+) received.*time (\d+)ms/s.exec(r);
  if (!m) throw new Error(`ping -f: ${r}`);
  return round(Number(m[1]) / (Number(m[2]) / 1000), 0);
}

type Done = Rec & { events: number; eventsWritten: number; lost: number; elapsedMs: number };

/** Runs `body` while the loader traces, its stream going to a file on the traced host (a consumer as fast as
 * the loader itself: what is measured is the loader, not this script); returns the `done` record. */
async function withTrace<T>(config: object, shell: Shell, loader: string, body: () => Promise<T>) {
  const file = `/tmp/pktpath-bench-${process.pid}.out`;
  const cfg = JSON.stringify(config).replace(/'/g, "'\\''");
  const run = shell(
    `rm -f ${file}; (echo '${cfg}'; while [ ! -e ${file}.stop ]; do sleep 0.2; done) | ${loader} trace --json > ${file}; rm -f ${file}.stop`,
    { timeoutMs: 900_000 },
  );
  for (let i = 0; i < 1800; i++) {
    if ((await shell(`grep -q '"type":"attached"' ${file}`)).code === 0) break;
    await sleep(200);
  }
  const v = await body();
  await shell(`touch ${file}.stop`);
  await run;
  const tail = await sh(shell, `grep -v '"type":"event"' ${file} | tail -1; rm -f ${file}`);
  return { v, done: JSON.parse(tail) as Done };
}

async function vmBench() {
  const state = readLabState();
  if (!state?.hosts.vm612) return { skipped: 'vm612 not up (npm run lab:up)' };
  const host = await pushLoader(state, 'vm612');
  const attach = [];
  for (const b of ['kprobe-multi', 'fentry', 'kprobe']) attach.push(await attachDetach(host, b));
  const t = await createPair(host.shell);
  try {
    const N = 3000;
    const untraced = await flood(host.shell, t, N);
    const filter = `icmp and host ${t.serverAddr}`;
    const def = await withTrace(
      { filter, probes: { functions: DEFAULT_FUNCTIONS } },
      host.shell,
      VM_LOADER,
      () => flood(host.shell, t, N),
    );
    const all = await withTrace({ filter, probes: { functions: 'all' } }, host.shell, VM_LOADER, () =>
      flood(host.shell, t, N),
    );
    return {
      attachDetachAllSkbFunctions: attach,

      pingFlood: {
        packets: N,
        untracedPps: untraced,
        defaultPps: def.v,
        allPps: all.v,
        defaultRatio: round(def.v / untraced),
        allRatio: round(all.v / untraced),
        lost: { default: def.done.lost, all: all.done.lost },
      },
    };
  } finally {
    await destroy(t);
  }
}

/** The committed loader into the bench VM (binary over ssh's stdin). */
async function pushToBench(b: BenchVm): Promise<VmHost> {
  const [file = 'ssh', ...args] = b.ssh;
  const child = spawn(file, [...args, `cat > ${VM_LOADER} && chmod +x ${VM_LOADER}`], {
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  createReadStream(LOADER).pipe(child.stdin);
  const code = await new Promise((r) => child.on('close', r));
  if (code !== 0) throw new Error(`push loader to the bench VM: exit ${String(code)}`);
  return { name: 'vm612', shell: b.shell, via: [...b.ssh, VM_LOADER] };
}

/**
 * bpftrace with an empty kprobe on each function. Attach = start to the moment BEGIN's line shows up: bpftrace
 * triggers BEGIN before attaching, but reads its output buffer only once every probe is attached ("Attaching N
 * probes..." is printed before). Detach = SIGINT to exit. Timed on the guest (busybox: /proc/uptime, 10 ms;
 * polled every 0.2 s), so ssh latency stays out.
 */
async function bpftraceAttachDetach(b: BenchVm, functions: string[], timeoutS: number) {
  // printf's escape is bpftrace's own, written literally (no shell echo in between)
  const script = `${functions.map((f) => `kprobe:${f}`).join(',\n')}\n{ }\nBEGIN { printf("attached\\n"); }\n`;
  await b.shell('cat > /tmp/bench.bt', { input: script });
  const r = await b.shell(
    [
      'ulimit -n 1048576; read t0 _ < /proc/uptime',
      'BPFTRACE_MAX_PROBES=100000 bpftrace /tmp/bench.bt > /tmp/bt.out 2> /tmp/bt.err & p=$!',
      `i=0; while ! grep -q attached /tmp/bt.out && kill -0 $p 2>/dev/null && [ $i -lt ${timeoutS * 5} ]; do sleep 0.2; i=$((i+1)); done`,
      'read t1 _ < /proc/uptime; ok=0; grep -q attached /tmp/bt.out && ok=1',
      'kill -INT $p 2>/dev/null; wait $p; rc=$?; read t2 _ < /proc/uptime',
      'echo "RESULT $ok $rc $t0 $t1 $t2 $(grep -c "could not attach" /tmp/bt.err)"; grep -v WARNING /tmp/bt.err | tail -2',
    ].join('\n'),
    { timeoutMs: (timeoutS + 900) * 1000 },
  );
  const m = /RESULT (\d) (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stdout);
  if (!m) throw new Error(`bpftrace bench: ${r.stdout} ${r.stderr}`);
  const attached = m[1] === '1';
  const ms = (x: string | undefined, y: string | undefined) => Math.round((Number(y) - Number(x)) * 1000);
  return {
    functions: functions.length,
    attached,
    failedProbes: Number(m[6]),
    attachMs: attached ? ms(m[3], m[4]) : null,
    detachMs: attached ? ms(m[4], m[5]) : null,
    ...(attached ? {} : { error: r.stdout.split('\n').slice(1).join(' ').trim() || `exit ${m[2]}` }),
  };
}

/** pktpath per backend vs bpftrace kprobes, all traceable skb functions, in a vm612 booted with the overlay. */
async function bpftraceBench() {
  if (!readLabState()) return { skipped: 'lab not set up (npm run lab:up)' };
  const b = await bootBenchVm612();
  try {
    const host = await pushToBench(b);
    const probe = JSON.parse(await sh(host.shell, `${VM_LOADER} probe`, 300_000)) as {
      functions: { name: string }[];
    };
    const names = probe.functions.map((f) => f.name);
    const pktpath = [];
    for (const backend of ['kprobe-multi', 'fentry', 'kprobe'])
      pktpath.push(await attachDetach(host, backend));
    // the full set first; if bpftrace cannot attach it within the limit, the largest halving it handles
    const runs = [];
    let set = names;
    for (;;) {
      const r = await bpftraceAttachDetach(b, set, 20 * 60);
      runs.push(r);
      if (r.attached || set.length < 100) break;
      set = set.slice(0, Math.floor(set.length / 2));
    }
    const bt = runs[runs.length - 1] ?? runs[0];
    if (!bt) throw new Error('no bpftrace run');
    const ratio = (x: number | null, y: number | null) => (x && y ? round(x / y, 1) : null);
    return {
      functions: names.length,
      pktpath,
      bpftrace: runs,
      measured: bt.attached
        ? `bpftrace attached ${bt.functions} of ${names.length} functions; pktpath attached all ${names.length}`
        : 'bpftrace attached no set within the limit',
      speedupVsBpftrace: Object.fromEntries(
        pktpath.map((p) => [
          String(p.backend),
          {
            attach: ratio(bt.attachMs, p.attachMs),
            detach: ratio(bt.detachMs, p.detachMs),
            // per function, when bpftrace managed only part of the set
            attachPerFunction: ratio(
              bt.attachMs && bt.attachMs / bt.functions,
              p.attachMs / Math.max(1, p.attached),
            ),
          },
        ]),
      ),
    };
  } finally {
    await stopVm(b.vm);
  }
}

async function iperf(t: Topology, seconds: number) {
  await sh(localShell, `ip netns exec ${t.server} iperf3 -s -1 -D -B ${t.serverAddr}`);
  await sleep(300);
  const j = JSON.parse(
    await sh(localShell, `ip netns exec ${t.client} iperf3 -c ${t.serverAddr} -t ${seconds} -J`, 60_000),
  ) as { end: { sum_received: { bits_per_second: number } } };
  return round(j.end.sum_received.bits_per_second / 1e9, 3);
}

// The same tracking as pktpath's raw-tracepoint probes: an id per skb address at first sight, one line per hop,
// forgotten when freed, or when its struct goes back to the slab where no tracepoint saw the free (TCP's).
const BPFTRACE = `
tracepoint:net:netif_receive_skb, tracepoint:net:netif_rx, tracepoint:net:net_dev_queue,
tracepoint:net:net_dev_start_xmit, tracepoint:net:net_dev_xmit
{ $s = (uint64)args->skbaddr; if (@t[$s] == 0) { @n = @n + 1; @t[$s] = @n; } printf("%d %s %llu\\n", @t[$s], probe, nsecs); }
tracepoint:skb:consume_skb, tracepoint:skb:kfree_skb
{ $s = (uint64)args->skbaddr; if (@t[$s] != 0) { printf("%d %s %llu\\n", @t[$s], probe, nsecs); delete(@t[$s]); } }
tracepoint:kmem:kmem_cache_free { $s = (uint64)args->ptr; if (@t[$s] != 0) { delete(@t[$s]); } }
END { clear(@t); clear(@n); }`;

async function localBench() {
  const t = await createPair(localShell);
  const S = 4;
  try {
    const untraced = await iperf(t, S);
    // every packet matches: the tracepoint set on every skb of the flow, through the ring buffer to stdout
    const cfg = {
      filter: '',
      probes: {
        tracepoints: [
          'netif_receive_skb',
          'netif_rx',
          'net_dev_queue',
          'net_dev_start_xmit',
          'net_dev_xmit',
          'consume_skb',
          'kfree_skb',
        ],
      },
    };
    const traced = await withTrace(cfg, localShell, LOADER, () => iperf(t, S));
    const bt = spawn('bpftrace', ['-e', BPFTRACE], { stdio: ['ignore', 'pipe', 'pipe'] });
    let btLines = 0,
      btErr = '';
    bt.stdout.on('data', (d: Buffer) => {
      for (const c of d) if (c === 10) btLines++;
    });
    bt.stderr.on('data', (d: Buffer) => (btErr += d.toString()));
    for (let i = 0; i < 100 && btLines === 0 && !/Attaching/.test(btErr); i++) await sleep(100);
    await sleep(2000); // bpftrace prints "Attaching" before it has attached
    const btRate = await iperf(t, S);
    bt.kill('SIGINT');
    await new Promise((r) => bt.on('close', r));
    const lostBt = /Lost (\d+) events/.exec(btErr);
    const d = traced.done;
    return {
      iperf3Gbps: { untraced, pktpath: traced.v, bpftrace: btRate },
      ratios: {
        pktpathVsUntraced: round(traced.v / untraced),
        bpftraceVsUntraced: round(btRate / untraced),
        pktpathVsBpftrace: round(traced.v / btRate),
      },
      ringBuffer: {
        events: d.eventsWritten,
        eventsPerSecond: round(d.eventsWritten / (d.elapsedMs / 1000), 0),
        lost: d.lost,
        bpftraceLines: btLines,
        bpftraceLost: lostBt ? Number(lostBt[1]) : 0,
      },
    };
  } finally {
    await sh(localShell, `pkill -f 'iperf3 -s -1 -D -B ${t.serverAddr}' || true`).catch(() => undefined);
    await destroy(t);
  }
}

// PKTPATH_BENCH_PARTS=local: only the local part (no lab VMs), e.g. after a change to the tracepoint programs
const parts = process.env.PKTPATH_BENCH_PARTS?.split(',');
const skipped = { skipped: 'PKTPATH_BENCH_PARTS' } as const;
const vm = parts && !parts.includes('vm') ? skipped : await vmBench();
const vsBpftrace = parts && !parts.includes('bpftrace') ? skipped : await bpftraceBench();
const local = await localBench();
const result = {
  at: new Date().toISOString(),
  vm612: vm,
  vm612VsBpftrace: vsBpftrace,
  local,
  summary: {
    vm612: vm,
    vm612VsBpftrace:
      'speedupVsBpftrace' in vsBpftrace
        ? { measured: vsBpftrace.measured, speedupVsBpftrace: vsBpftrace.speedupVsBpftrace }
        : vsBpftrace,
    local: { ratios: local.ratios, ringBuffer: local.ringBuffer, iperf3Gbps: local.iperf3Gbps },
  },
};
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result.summary, null, 2));
