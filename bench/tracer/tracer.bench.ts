// Tracer benchmarks (issues #3, #12): figures and ratios against peers measured in the same run, written to the
// file given as argv[2]. Root; the VM part needs the lab's image and key (`npm run lab:up` once), not the lab up.
//  - vm: ONE boot of a private vm612 with the bench overlay (test/lab/vm-bench.ts: bpftrace and iperf3 on the
//    lab's image; qemu TCG, 1 vCPU, the guest's clock counting instructions: rates are cost, repeatable):
//    - load+attach and detach time of every traceable skb function, pktpath per backend vs bpftrace kprobes on the
//      same functions (the largest halving of the set bpftrace attaches within the limit)
//    - ping -f packets/s untraced vs pktpath and vs bpftrace doing the same tracking, on the default function set
//      and on all skb functions, each with a filter matching nothing (the miss path: every probe fires and
//      evaluates the filter, no packet is tracked) and with one matching the flood
//  - local: iperf3 over veth untraced / pktpath (raw tracepoints; every skb tracked, and a filter matching
//    nothing) / bpftrace doing the same tracking on the same tracepoints; ring-buffer events/s and lost events
// PKTPATH_BENCH_PARTS=vm|local|miss (comma-separated; 'bpftrace' is an old name of part of 'vm') runs only those;
// PKTPATH_BENCH_ATTACH=<backend> sets the miss part's attach mode (default auto).
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { localShell, sh, type Shell } from '../../test/lab/exec.js';
import { createPair, destroy, type Topology } from '../../test/lab/netns.js';
import { DEFAULT_FUNCTIONS, LOADER, TraceRun, type Rec } from '../../test/tracer/loader-run.js';
import { VM_LOADER, type VmHost } from '../../test/tracer/vm-loader.js';
import { bootBenchVm612, type BenchVm } from '../../test/lab/vm-bench.js';
import { labCacheDir, stopVm } from '../../test/lab/vm.js';
import { writeResult } from '../write-result.js';

const out = process.argv[2] ?? 'bench/results/tracer-tracer.json';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const ratio = (x: number | null, y: number | null, d = 2) => (x && y ? round(x / y, d) : null);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
/** An address no packet of the bench carries (TEST-NET-1): the filter runs on every skb and never matches. */
const NOWHERE = '192.0.2.99';

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
 * the loader itself: what is measured is the loader, not this script); returns the `done` record. The wait for
 * the attach is one blocking call: polling over ssh would load the 1-vCPU guest while it attaches. */
async function withTrace<T>(config: object, shell: Shell, loader: string, body: () => Promise<T>) {
  const f = `/tmp/pktpath-bench-${process.pid}.out`;
  const cfg = JSON.stringify(config).replace(/'/g, "'\\''");
  const run = shell(
    `rm -f ${f} ${f}.stop ${f}.exit; (echo '${cfg}'; while [ ! -e ${f}.stop ] && [ ! -e ${f}.exit ]; do sleep 0.2; done) | ` +
      `{ ${loader} trace --json > ${f} 2> ${f}.err; touch ${f}.exit; }`,
    { timeoutMs: 900_000 },
  );
  await shell(`until grep -q '"type":"attached"' ${f} 2>/dev/null || [ -e ${f}.exit ]; do sleep 0.2; done`, {
    timeoutMs: 600_000,
  });
  if ((await shell(`grep -q '"type":"attached"' ${f}`)).code !== 0) {
    await run;
    throw new Error(`loader did not attach: ${await sh(shell, `tail -c 2000 ${f} ${f}.err`)}`);
  }
  const v = await body();
  await shell(`touch ${f}.stop`);
  await run;
  const [attached = '', tail = '', ...tps] = (
    await sh(
      shell,
      `grep -m1 '"type":"attached"' ${f}; grep -v '"type":"event"' ${f} | tail -1; ` +
        `grep '"type":"probe".*"kind":"raw_tp"' ${f}; rm -f ${f} ${f}.*`,
    )
  )
    .trim()
    .split('\n');
  // which build of the eBPF object ran, on which backend, and its tracepoints (those a function covers too)
  const { object, backend } = JSON.parse(attached) as { object: string; backend: string };
  const tracepoints = tps.map((l) => JSON.parse(l) as { name: string; coveredBy?: string[] });
  return { v, done: JSON.parse(tail) as Done, object, backend, tracepoints };
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
      'n=0; while kill -0 $p 2>/dev/null; do [ $((n % 50)) = 0 ] && kill -INT $p; n=$((n+1)); sleep 0.2; done',
      'wait $p; rc=$?; read t2 _ < /proc/uptime',
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
    // names bpftrace cannot attach by name (two kernel symbols of one name, e.g. IPv4's and IPv6's add_grec)
    failedProbes: Number(m[6]),
    attachMs: attached ? ms(m[3], m[4]) : null,
    detachMs: attached ? ms(m[4], m[5]) : null,
    ...(attached ? {} : { error: r.stdout.split('\n').slice(1).join(' ').trim() || `exit ${m[2]}` }),
  };
}

/** pktpath per backend vs bpftrace kprobes on every traceable skb function; returns the set bpftrace managed. */
async function attachBench(host: VmHost, b: BenchVm, names: string[]) {
  const pktpath = [];
  for (const backend of ['kprobe-multi', 'fentry', 'kprobe']) pktpath.push(await attachDetach(host, backend));
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
  const result = {
    functions: names.length,
    pktpath,
    bpftrace: runs,
    measured: bt.attached
      ? `bpftrace attached ${bt.functions - bt.failedProbes} of ${names.length} functions; pktpath attached all ${names.length}`
      : 'bpftrace attached no set within the limit',
    speedupVsBpftrace: Object.fromEntries(
      pktpath.map((p) => [
        String(p.backend),
        {
          attach: ratio(bt.attachMs, p.attachMs, 1),
          detach: ratio(bt.detachMs, p.detachMs, 1),
          // per function, when bpftrace managed only part of the set
          attachPerFunction: ratio(
            bt.attachMs && bt.attachMs / bt.functions,
            p.attachMs / Math.max(1, p.attached),
            1,
          ),
        },
      ]),
    ),
  };
  // no set at all: the tracking runs try the whole set, and fail loudly if bpftrace cannot attach it
  return { result, managed: bt.attached ? set : names };
}

interface SkbFn {
  name: string;
  /** 1-based argument position of the struct sk_buff * (`pktpath-loader probe`) */
  pos: number;
}
// What the loader adds to every function list to keep tracking right (bpf/loader/trace_plan.c): copies, whose
// return probe joins the new skb to its packet, and where an sk_buff struct goes back to its cache (tracking ends)
const CLONE_FUNCS = ['skb_clone', 'skb_copy', '__pskb_copy_fclone', 'skb_copy_expand'];
const END_FUNCS = ['kfree_skbmem', 'napi_skb_cache_put'];
// The tracepoints the core attaches with every function set (tracepoints: 'all'; bpf/pktpath.bpf.c TP_*)
const TRACEPOINTS = [
  'net:netif_receive_skb',
  'net:netif_rx',
  'net:napi_gro_receive_entry',
  'net:net_dev_queue',
  'net:net_dev_start_xmit',
  'net:net_dev_xmit',
  'skb:kfree_skb',
  'skb:consume_skb',
  'skb:skb_copy_datagram_iovec',
  'net:netif_receive_skb_entry',
  'net:netif_rx_entry',
  'net:netif_receive_skb_list_entry',
];

/** a.b.c.d as the u32 a little-endian guest reads from those four bytes. */
const leU32 = (ip: string) =>
  `0x${ip
    .split('.')
    .reverse()
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .join('')}`;

/**
 * bpftrace doing pktpath's tracking for `icmp and host ADDR` on the probes pktpath attaches for `fns`: at each
 * probe the skb address is looked up; untracked, the filter runs on the IPv4 header (skb->head +
 * network_header: version, protocol, saddr/daddr) and a match starts tracking; a tracked skb prints one line
 * (id, function, nsecs); tracking ends where the struct is released (kfree_skbmem, napi_skb_cache_put), as
 * pktpath's does with those attached. Not done, unlike pktpath: Ethernet view of the filter (the IP header is
 * read directly), clones joining their packet (pktpath's kretprobes on CLONE_FUNCS), the event's netns,
 * ifindex, len, mark and 5-tuple, drop reasons; the line goes through perf buffers and is formatted by bpftrace.
 * bpftrace 0.17 has no raw tracepoints: the tracepoints are perf ones (the kernel fills their record first).
 * Functions are kprobes by name, one perf kprobe each (bpftrace 0.17 uses kprobe-multi only for wildcards); one
 * program per skb position (`func`, unlike `probe`, keeps it from being compiled per function); a name with two
 * kernel symbols does not attach.
 */
function trackingScript(fns: SkbFn[], addr: string): string {
  const a = leU32(addr);
  const body = (skb: string, where: string, end: boolean) =>
    [
      `{ $s = (uint64)${skb}; $id = @t[$s];`,
      '  if ($id == 0) { $k = (struct sk_buff *)$s; $ip = (struct iphdr *)($k->head + $k->network_header);',
      `    if ($ip->version == 4 && $ip->protocol == 1 && ($ip->saddr == ${a} || $ip->daddr == ${a})) {`,
      '      @n = @n + 1; $id = @n; @t[$s] = $id; } }',
      `  if ($id != 0) { printf("%d %s %llu\\n", $id, ${where}, nsecs);${end ? ' delete(@t[$s]);' : ''} } }`,
    ].join('\n');
  const blocks = [];
  for (const end of [false, true])
    for (let pos = 1; pos <= 5; pos++) {
      const at = fns.filter((f) => f.pos === pos && END_FUNCS.includes(f.name) === end);
      if (at.length)
        blocks.push(
          `${at.map((f) => `kprobe:${f.name}`).join(',\n')}\n${body(`arg${pos - 1}`, 'func', end)}`,
        );
    }
  blocks.push(
    `${TRACEPOINTS.map((t) => `tracepoint:${t}`).join(',\n')}\n${body('args->skbaddr', 'probe', false)}`,
  );
  blocks.push('BEGIN { printf("attached\\n"); }', 'END { clear(@t); clear(@n); }');
  return blocks.join('\n') + '\n';
}

/** Runs `body` while bpftrace runs `script` on the bench VM (its output to a file there, as the loader's);
 * returns the lines it printed, its lost events and its attach/detach time (guest clock, as above). */
async function withBpftrace<T>(b: BenchVm, script: string, body: () => Promise<T>) {
  const f = '/tmp/bench-track';
  await sh(b.shell, `rm -f ${f}.*`);
  await b.shell(`cat > ${f}.bt`, { input: script });
  const run = b.shell(
    [
      'ulimit -n 1048576; read t0 _ < /proc/uptime',
      // perf buffers of 8 MiB, as pktpath's ring buffer
      `BPFTRACE_MAX_PROBES=100000 BPFTRACE_PERF_RB_PAGES=2048 bpftrace ${f}.bt > ${f}.out 2> ${f}.err & p=$!`,
      `while ! grep -q '^attached$' ${f}.out && kill -0 $p 2>/dev/null; do sleep 0.2; done`,
      `read t1 _ < /proc/uptime; touch ${f}.ready`,
      `while [ ! -e ${f}.stop ] && kill -0 $p 2>/dev/null; do sleep 0.2; done`,
      // a SIGINT now and then goes unanswered (bpftrace 0.17): while bpftrace still waits for output 5 s later
      // it is sent again, and detaching is timed from the last one
      'k=0; n=0; while kill -0 $p 2>/dev/null; do',
      '  if [ $((n % 25)) = 0 ] && { [ $k = 0 ] || grep -q do_epoll_wait /proc/$p/wchan; }; then',
      '    kill -INT $p; k=$((k+1)); read t2 _ < /proc/uptime; fi; n=$((n+1)); sleep 0.2; done; read t3 _ < /proc/uptime',
      `echo "RESULT $t0 $t1 $t2 $t3 $(grep -cE '^[0-9]+ [^ ]+ [0-9]+$' ${f}.out) $(grep -c 'could not attach' ${f}.err) $k"`,
      `cat ${f}.out ${f}.err | sed -n 's/.*Lost \\([0-9]*\\) events.*/LOST \\1/p'; grep -v WARNING ${f}.err | tail -3`,
    ].join('\n'),
    { timeoutMs: 60 * 60_000 },
  );
  await b.shell(`until [ -e ${f}.ready ]; do sleep 0.2; done`, { timeoutMs: 30 * 60_000 });
  if ((await b.shell(`grep -q '^attached$' ${f}.out`)).code !== 0) {
    const r = await run;
    throw new Error(`bpftrace did not attach: ${r.stdout} ${r.stderr}`);
  }
  const v = await body();
  await b.shell(`touch ${f}.stop`);
  const r = await run;
  const m = /RESULT ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+) (\d+)/.exec(r.stdout);
  if (!m || m[7] === '0')
    throw new Error(`bpftrace failed or exited during the run: ${r.stdout} ${r.stderr}`);
  const ms = (x: string | undefined, y: string | undefined) => Math.round((Number(y) - Number(x)) * 1000);
  return {
    v,
    lines: Number(m[5]),
    failedProbes: Number(m[6]),
    lost: [...r.stdout.matchAll(/^LOST (\d+)$/gm)].reduce((s, x) => s + Number(x[1]), 0),
    attachMs: ms(m[1], m[2]),
    detachMs: ms(m[3], m[4]),
    sigintsUnanswered: Number(m[7]) - 1,
  };
}

const FLOOD = 20_000; // ping -f requests per run: ~1 s untraced, under ~1 min with every function tracked

/** The rate now (untraced, or under a trace already attached): the median of three floods. The guest's rate drifts over a run (by a third in one),
 * so each traced run is set against untraced runs right before and after it. */
async function untraced(host: VmHost, t: Topology) {
  const r = [];
  for (let i = 0; i < 3; i++) r.push(await flood(host.shell, t, FLOOD));
  return median(r);
}

/** One set × filter: ping -f untraced, under pktpath, untraced, under bpftrace, untraced. */
async function floodPair(
  b: BenchVm,
  host: VmHost,
  t: Topology,
  set: { functions: 'all' | string[]; bpftrace: SkbFn[] },
  addr: string,
) {
  const fl = () => flood(host.shell, t, FLOOD);
  const u0 = await untraced(host, t);
  const p = await withTrace(
    { filter: `icmp and host ${addr}`, probes: { functions: set.functions } },
    host.shell,
    VM_LOADER,
    fl,
  );
  const u1 = await untraced(host, t);
  const bt = await withBpftrace(b, trackingScript(set.bpftrace, addr), fl);
  const u2 = await untraced(host, t);
  return {
    untracedPps: [u0, u1, u2],
    pktpath: { pps: p.v, events: p.done.events, eventsWritten: p.done.eventsWritten, lost: p.done.lost },
    bpftrace: {
      pps: bt.v,
      lines: bt.lines,
      lost: bt.lost,
      functions: set.bpftrace.length - bt.failedProbes,
      attachMs: bt.attachMs,
      detachMs: bt.detachMs,
      sigintsUnanswered: bt.sigintsUnanswered,
    },
    pktpathRatio: ratio(p.v, (u0 + u1) / 2),
    bpftraceRatio: ratio(bt.v, (u1 + u2) / 2),
    pktpathVsBpftrace: ratio(p.v, bt.v),
  };
}

/** ping -f untraced vs pktpath vs bpftrace: default and all functions × a filter matching nothing / the flood. */
async function floodBench(b: BenchVm, host: VmHost, fns: SkbFn[], managed: string[]) {
  const known = new Map(fns.map((f) => [f.name, f]));
  const pick = (names: string[]) => [...new Set(names)].flatMap((n) => known.get(n) ?? []);
  const sets = {
    default: {
      functions: DEFAULT_FUNCTIONS,
      bpftrace: pick([...DEFAULT_FUNCTIONS, ...CLONE_FUNCS, ...END_FUNCS]),
    },
    all: { functions: 'all' as const, bpftrace: pick([...managed, ...CLONE_FUNCS, ...END_FUNCS]) },
  };
  const t = await createPair(host.shell);
  try {
    const runs: Record<string, Awaited<ReturnType<typeof floodPair>>> = {};
    for (const [name, set] of Object.entries(sets)) {
      runs[`${name}NonMatching`] = await floodPair(b, host, t, set, NOWHERE);
      runs[`${name}Matching`] = await floodPair(b, host, t, set, t.serverAddr);
    }
    return {
      packets: FLOOD,
      filters: { nonMatching: `icmp and host ${NOWHERE}`, matching: `icmp and host ${t.serverAddr}` },
      functions: {
        pktpathAll: fns.length,
        bpftraceDefault: sets.default.bpftrace.length,
        bpftraceAll: sets.all.bpftrace.length,
      },
      runs,
    };
  } finally {
    await destroy(t);
  }
}

/** Runs `body` in one boot of vm612 with the bench overlay and the committed loader pushed. */
async function inBenchVm<T>(body: (b: BenchVm, host: VmHost) => Promise<T>) {
  if (!existsSync(join(labCacheDir(), 'vm612', 'meta.json')))
    return { skipped: 'no vm612 image (npm run lab:up once)' } as const;
  const b = await bootBenchVm612();
  try {
    return await body(b, await pushToBench(b));
  } finally {
    await stopVm(b.vm);
  }
}

/** The whole VM part in one boot of vm612 with the bench overlay. */
function vmBench() {
  return inBenchVm(async (b, host) => {
    const probe = JSON.parse(await sh(host.shell, `${VM_LOADER} probe`, 300_000)) as { functions: SkbFn[] };
    const fns = probe.functions.map(({ name, pos }) => ({ name, pos }));
    const attach = await attachBench(
      host,
      b,
      fns.map((f) => f.name),
    );
    const pingFlood = await floodBench(b, host, fns, attach.managed);
    return { kernel: b.vm.kernelRelease, attachDetachAllSkbFunctions: attach.result, pingFlood };
  });
}

/** PKTPATH_BENCH_PARTS=miss: pktpath's miss path alone, in one boot (the filter matching nothing, each run against
 * untraced right before and after): ~6 min, for iterating on bpf/. No peer tool runs; the peer is pktpath itself
 * with every tracepoint named (so none is left out for a function that covers it), alternated with the default
 * run: that A/B says what leaving them out is worth in one boot. */
function missBench() {
  return inBenchVm(async (b, host) => {
    const t = await createPair(host.shell);
    try {
      type Run = { ratios: number[]; untracedPps: number[]; pps: number[]; object: string; backend: string };
      const runs: Record<string, Run & { ratio?: number | null; coveredTracepoints?: string[] }> = {};
      let named: string[] = [];
      const once = async (name: string, functions: string[] | 'all', tracepoints: string[] | 'all') => {
        const u0 = await untraced(host, t);
        const config = {
          filter: `icmp and host ${NOWHERE}`,
          probes: { functions, tracepoints },
          ...(process.env.PKTPATH_BENCH_ATTACH && { attach: process.env.PKTPATH_BENCH_ATTACH }),
        };
        // three floods under one attach, as untraced (the median: one odd flood does not move it)
        const p = await withTrace(config, host.shell, VM_LOADER, () => untraced(host, t));
        const u1 = await untraced(host, t);
        if (tracepoints === 'all' && !named.length) named = p.tracepoints.map((x) => x.name);
        const r = (runs[name] ??= {
          ratios: [],
          untracedPps: [],
          pps: [],
          object: p.object,
          backend: p.backend,
        });
        const rt = ratio(p.v, (u0 + u1) / 2);
        if (rt !== null) r.ratios.push(rt); // a flood that measured nothing is left out, not averaged in as 0
        r.untracedPps.push(u0, u1);
        r.pps.push(p.v);
        const covered = p.tracepoints.filter((x) => x.coveredBy).map((x) => x.name);
        if (covered.length) r.coveredTracepoints = covered;
      };
      for (let round = 0; round < 2; round++) {
        await once('default', DEFAULT_FUNCTIONS, 'all');
        await once('defaultEveryTracepointNamed', DEFAULT_FUNCTIONS, named);
      }
      await once('all', 'all', 'all');
      for (const r of Object.values(runs))
        r.ratio = r.ratios.length ? round(r.ratios.reduce((a, x) => a + x, 0) / r.ratios.length, 2) : null;
      return { kernel: b.vm.kernelRelease, filter: `icmp and host ${NOWHERE}`, runs };
    } finally {
      await destroy(t);
    }
  });
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

/** iperf3 while the BPFTRACE script runs here: the rate, its lines and its lost events. */
async function localBpftrace(t: Topology, seconds: number) {
  const bt = spawn('bpftrace', ['-e', BPFTRACE], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0,
    err = '';
  bt.stdout.on('data', (d: Buffer) => {
    for (const c of d) if (c === 10) lines++;
  });
  bt.stderr.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 100 && lines === 0 && !/Attaching/.test(err); i++) await sleep(100);
  await sleep(2000); // bpftrace prints "Attaching" before it has attached
  const rate = await iperf(t, seconds);
  bt.kill('SIGINT');
  await new Promise((r) => bt.on('close', r));
  const lost = /Lost (\d+) events/.exec(err);
  return { rate, lines, lost: lost ? Number(lost[1]) : 0 };
}

const LOCAL_TRACEPOINTS = [
  'netif_receive_skb',
  'netif_rx',
  'net_dev_queue',
  'net_dev_start_xmit',
  'net_dev_xmit',
  'consume_skb',
  'kfree_skb',
];

/** Rounds of the local part: iperf3 over veth on two cores swings by a quarter between single runs (0.76–1.00 for
 * the same code across four runs), so each traced run is set against the untraced runs right before and after it,
 * and the median of the rounds is reported with its range. */
const LOCAL_ROUNDS = 3;

/** The median of per-round ratios and their range: what the local part reports for each traced run. */
function roundRatios(rs: (number | null)[]) {
  const xs = rs.filter((x): x is number => x !== null);
  return {
    median: xs.length ? median(xs) : null,
    min: xs.length ? Math.min(...xs) : null,
    max: xs.length ? Math.max(...xs) : null,
    rounds: xs,
  };
}

async function localBench() {
  const t = await createPair(localShell);
  const S = 4;
  try {
    const trace = (filter: string) =>
      withTrace({ filter, probes: { tracepoints: LOCAL_TRACEPOINTS } }, localShell, LOADER, () =>
        iperf(t, S),
      );
    const rounds = [];
    let before = await iperf(t, S);
    for (let i = 0; i < LOCAL_ROUNDS; i++) {
      // the miss path: the filter runs on every skb of the flow (TCP, so all of it) and matches none
      const miss = await trace(`tcp and host ${NOWHERE}`);
      const mid = await iperf(t, S);
      // every packet matches: the tracepoint set on every skb of the flow, through the ring buffer to a file
      const traced = await trace('');
      const mid2 = await iperf(t, S);
      const bt = await localBpftrace(t, S);
      const after = await iperf(t, S);
      rounds.push({ before, miss, mid, traced, mid2, bt, after });
      before = after;
    }
    const last = rounds.at(-1);
    if (!last) throw new Error('local bench: no round ran');
    const d = last.traced.done;
    return {
      iperf3Gbps: rounds.map((r) => ({
        untraced: [r.before, r.mid, r.mid2, r.after],
        pktpathNonMatching: r.miss.v,
        pktpath: r.traced.v,
        bpftrace: r.bt.rate,
      })),
      filters: { matching: '', nonMatching: `tcp and host ${NOWHERE}` },
      ratios: {
        pktpathNonMatchingVsUntraced: roundRatios(rounds.map((r) => ratio(r.miss.v, (r.before + r.mid) / 2))),
        pktpathVsUntraced: roundRatios(rounds.map((r) => ratio(r.traced.v, (r.mid + r.mid2) / 2))),
        bpftraceVsUntraced: roundRatios(rounds.map((r) => ratio(r.bt.rate, (r.mid2 + r.after) / 2))),
        pktpathVsBpftrace: roundRatios(rounds.map((r) => ratio(r.traced.v, r.bt.rate))),
      },
      ringBuffer: {
        events: d.eventsWritten,
        eventsPerSecond: round(d.eventsWritten / (d.elapsedMs / 1000), 0),
        lost: d.lost,
        nonMatchingEvents: rounds.map((r) => r.miss.done.eventsWritten),
        nonMatchingLost: rounds.map((r) => r.miss.done.lost),
        bpftraceLines: rounds.map((r) => r.bt.lines),
        bpftraceLost: rounds.map((r) => r.bt.lost),
      },
    };
  } finally {
    await sh(localShell, `pkill -f 'iperf3 -s -1 -D -B ${t.serverAddr}' || true`).catch(() => undefined);
    await destroy(t);
  }
}

// 'bpftrace' was the VM part's second boot before both went into one
const parts = process.env.PKTPATH_BENCH_PARTS?.split(',').map((p) => (p === 'bpftrace' ? 'vm' : p));
const skipped = { skipped: 'PKTPATH_BENCH_PARTS' } as const;
const vm = parts && !parts.includes('vm') ? skipped : await vmBench();
const miss = parts?.includes('miss') ? await missBench() : undefined;
const local = parts && !parts.includes('local') ? skipped : await localBench();
const result = { at: new Date().toISOString(), vm612: vm, local, ...(miss && { vm612Miss: miss }) };
const pingSummary = (p: Awaited<ReturnType<typeof floodBench>>) =>
  Object.fromEntries(
    Object.entries(p.runs).map(([k, r]) => [
      k,
      {
        pktpathRatio: r.pktpathRatio,
        bpftraceRatio: r.bpftraceRatio,
        pktpathVsBpftrace: r.pktpathVsBpftrace,
        lost: { pktpath: r.pktpath.lost, bpftrace: r.bpftrace.lost },
      },
    ]),
  );
const summary = {
  vm612:
    'pingFlood' in vm && vm.pingFlood && vm.attachDetachAllSkbFunctions
      ? {
          attach: {
            measured: vm.attachDetachAllSkbFunctions.measured,
            speedupVsBpftrace: vm.attachDetachAllSkbFunctions.speedupVsBpftrace,
          },
          pingFlood: pingSummary(vm.pingFlood),
        }
      : vm,
  ...(miss && { vm612Miss: miss }),
  local:
    'ratios' in local
      ? { ratios: local.ratios, ringBuffer: local.ringBuffer, iperf3Gbps: local.iperf3Gbps }
      : local,
};
writeResult(out, { ...result, summary });
console.log(JSON.stringify(summary, null, 2));
