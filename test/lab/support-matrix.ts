import { AUTO_FENTRY_MAX } from '../../main/api/trace.js';
import { paths, TraceRun, type Ev, type Rec } from '../tracer/loader-run.js';
import { pushLoader, type VmHost } from '../tracer/vm-loader.js';
import type { LabHostName, LabState } from './lab.js';
import { addNftDrop, createPair, destroy, ping, type Topology } from './netns.js';

/**
 * The support matrix (docs/SUPPORT-MATRIX.md), measured on the lab: each kernel's probe document, then one tiny
 * trace per backend it attaches — a ping that is answered and one an nft rule drops, with a return probe, stack
 * ids and a TC observer — and what each trace actually delivered. Nothing here is written by hand: a row says what
 * the loader did on that kernel just now (test/lab/support-matrix.test.ts checks the committed file against a
 * fresh measurement).
 */
export const MATRIX_HOSTS: readonly LabHostName[] = ['vm510', 'vm61', 'vm612', 'local', 'vmarm64'];
export const BACKENDS = ['kprobe-multi', 'fentry', 'kprobe', 'tracepoints'] as const;
type Backend = (typeof BACKENDS)[number];

export interface HostFacts {
  host: LabHostName;
  release: string;
  arch: string;
  btf: boolean;
  lockdown: string;
  dropReasonNames: number;
  auto: string;
}

export interface BackendRow {
  host: LabHostName;
  backend: Backend;
  /** `yes` or why the probe says it cannot attach. */
  attaches: string;
  /** `ok` (both pings followed, the drop seen) or how the trace failed. */
  trace: string;
  dropReason: string;
  retValues: string;
  stacks: string;
  tcObserver: string;
}

export interface HostMatrix {
  facts: HostFacts;
  rows: BackendRow[];
}

interface ProbeDoc {
  kernel: { release: string };
  arch: string;
  btf: { vmlinux: boolean };
  attach: Record<string, { ok: boolean; error?: string }>;
  auto: string;
  dropReasons: unknown[];
}

const PROBE_KIND: Record<Backend, string> = {
  'kprobe-multi': 'kprobe-multi',
  fentry: 'fentry',
  kprobe: 'kprobe',
  tracepoints: 'raw-tp',
};

/** Probe, then one trace per backend, on one lab host. */
export async function measureHost(state: LabState, name: LabHostName): Promise<HostMatrix> {
  const host = await pushLoader(state, name, `/tmp/pktpath-loader-matrix`);
  const p = await host.shell(`${host.via.at(-1)} probe`, { timeoutMs: 180_000 });
  if (p.code !== 0) throw new Error(`${name}: probe exited ${p.code}: ${p.stderr}`);
  const doc = JSON.parse(p.stdout) as ProbeDoc;
  // the lab VMs' init mounts no securityfs: mount it to read the lockdown mode (this machine has it)
  const lockdown = await host.shell(
    'S=/sys/kernel/security; mountpoint -q $S || mount -t securityfs securityfs $S 2>/dev/null; cat $S/lockdown 2>/dev/null || echo "no lockdown LSM"',
  );
  const facts: HostFacts = {
    host: name,
    release: doc.kernel.release,
    arch: doc.arch,
    btf: doc.btf.vmlinux,
    lockdown: /\[(\w+)\]/.exec(lockdown.stdout)?.[1] ?? lockdown.stdout.trim(),
    dropReasonNames: doc.dropReasons.length,
    auto: doc.auto,
  };
  const rows: BackendRow[] = [];
  for (const backend of BACKENDS) {
    const a = doc.attach[PROBE_KIND[backend]];
    if (!a?.ok) rows.push(notAttached(name, backend, a?.error ?? 'not probed'));
    else rows.push({ host: name, backend, attaches: 'yes', ...(await traceOnce(host, backend)) });
  }
  return { facts, rows };
}

function notAttached(host: LabHostName, backend: Backend, error: string): BackendRow {
  const na = '—';
  return {
    host,
    backend,
    attaches: `no (${error})`,
    trace: na,
    dropReason: na,
    retValues: na,
    stacks: na,
    tcObserver: na,
  };
}

/** The functions of the function backends' trace: the path's spine, a return probe, both drop-function names. */
const FUNCTIONS = [
  'ip_rcv',
  'ip_local_deliver',
  'icmp_rcv',
  { name: 'ip_route_input_noref', ret: true },
  'kfree_skb_reason',
  'sk_skb_reason_drop',
];

function traceConfig(t: Topology, backend: Backend) {
  const fn = backend !== 'tracepoints';
  return {
    filter: `icmp and dst host ${t.serverAddr}`,
    ...(fn ? { attach: backend } : {}),
    options: { stack: true },
    probes: {
      functions: fn ? FUNCTIONS : 'none',
      tracepoints: 'all',
      tc: [{ interface: t.serverIf, netns: `/run/netns/${t.server}`, direction: 'ingress' }],
    },
  };
}

type Measured = Omit<BackendRow, 'host' | 'backend' | 'attaches'>;

async function traceOnce(host: VmHost, backend: Backend): Promise<Measured> {
  const t = await createPair(host.shell);
  try {
    const via = [...host.via.slice(0, -1), `PKTPATH_LOADER_DEBUG=1 ${host.via.at(-1) ?? ''}`];
    const run = new TraceRun(traceConfig(t, backend), ['--json'], via);
    const attached = await run.waitFor('attached', 180_000).catch(() => undefined);
    if (!attached) return failed(run.records(), run.stderr);
    // a loaded TCG guest can miss ping's 1 s wait: a few tries for the answered one (the matrix measures features)
    let answered = false;
    for (let i = 0; i < 3 && !answered; i++) answered = (await ping(t, 1)).received === 1;
    await addNftDrop(t);
    const dropped = (await ping(t, 1)).received === 0;
    await new Promise((r) => setTimeout(r, 1500)); // the last frees reach the ring buffer
    await run.stop();
    const { code } = await run.exited;
    if (code !== 0) return failed(run.records(), run.stderr);
    return features(run.events(), backend, answered && dropped);
  } finally {
    await destroy(t);
  }
}

/** A trace that did not run: the loader's error, with the verifier's verdict when there is one. */
function failed(recs: Rec[], stderr: string): Measured {
  const error = String(recs.find((r) => r.type === 'error')?.error ?? 'no attached record');
  const log = stderr.split('\n');
  const end = log.findIndex((l) => /^processed \d+ insns/.test(l));
  const verifier = end > 0 ? `; verifier: ${(log[end - 1] ?? '').trim()}` : '';
  const na = '—';
  return { trace: `fails: ${error}${verifier}`, dropReason: na, retValues: na, stacks: na, tcObserver: na };
}

function features(events: Ev[], backend: Backend, trafficOk: boolean): Measured {
  const all = [...paths(events).values()];
  const requests = all.filter((p) => p.some((e) => e.name === 'netif_receive_skb' || e.name === 'ip_rcv'));
  const end = (p: Ev[]) => p.find((e) => e.free);
  const drops = requests.map(end).filter((e) => e?.name === 'kfree_skb');
  const consumed = requests.map(end).some((e) => e?.name === 'consume_skb');
  const ok = trafficOk && requests.length >= 2 && drops.length >= 1 && consumed;
  const reason = drops[0]?.drop?.name;
  const rets = events.filter((e) => e.name === 'ip_route_input_noref' && e.retval !== undefined);
  const stacked = events.some((e) => typeof e.stack === 'number' && e.stack >= 0);
  return {
    trace: ok ? 'ok' : `incomplete: ${JSON.stringify(requests.map((p) => p.map((e) => e.name)))}`,
    dropReason: reason
      ? `yes (${reason})`
      : drops.length
        ? 'no (kfree_skb without a reason)'
        : 'no drop seen',
    retValues:
      backend === 'tracepoints'
        ? 'n/a'
        : rets.length
          ? `yes (ip_route_input_noref = ${String(rets[0]?.retval)})`
          : 'no',
    stacks: stacked ? 'yes' : 'no',
    tcObserver: events.some((e) => e.name.startsWith('tc/ingress/')) ? 'yes' : 'no',
  };
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const row = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;

/** docs/SUPPORT-MATRIX.md from measurements: deterministic (no dates, no timings), so a re-measure can diff it. */
export function renderMatrix(hosts: readonly HostMatrix[]): string {
  const out = [
    '# Support matrix',
    '',
    'Generated by `npm run lab:matrix` from the test lab (docs/LAB.md); **not written by hand**.',
    'Each kernel is probed by the committed loader (`resources/<arch>/pktpath-loader probe`), then traced once per',
    'backend it attaches: a ping that is answered and one an nft rule drops, with a return probe on',
    '`ip_route_input_noref`, `options.stack` and a TC ingress observer (test/lab/support-matrix.ts). A cell says what',
    'that trace delivered. `test/lab/support-matrix.test.ts` measures the lab again and fails when this file disagrees.',
    '',
    '## Kernels',
    '',
    row([
      'lab host',
      'kernel',
      'arch',
      'BTF',
      'lockdown',
      'drop-reason names (BTF)',
      `\`auto\` picks (up to ${AUTO_FENTRY_MAX} functions)`,
    ]),
    row(['---', '---', '---', '---', '---', '---', '---']),
    ...hosts.map(({ facts: f }) =>
      row([f.host, f.release, f.arch, f.btf ? 'yes' : 'no', f.lockdown, String(f.dropReasonNames), f.auto]),
    ),
    '',
    '## Backends and features',
    '',
    '`tracepoints` is the raw-tracepoint backend (net:*, skb:*) alone, with no function probe. Drop reasons come from',
    'the `skb:kfree_skb` tracepoint; return values need a return probe (kretprobe, fexit, kprobe-multi return).',
    '',
    row([
      'kernel',
      'arch',
      'backend',
      'attaches',
      'trace',
      'drop reasons',
      'ret values',
      'stacks',
      'TC observer',
    ]),
    row(['---', '---', '---', '---', '---', '---', '---', '---', '---']),
  ];
  for (const { facts, rows } of hosts)
    for (const r of rows)
      out.push(
        row([
          facts.release,
          facts.arch,
          r.backend,
          r.attaches,
          r.trace,
          r.dropReason,
          r.retValues,
          r.stacks,
          r.tcObserver,
        ]),
      );
  return out.join('\n') + '\n';
}

/** Every matrix host, measured side by side (one VM does not wait for another). */
export async function measureMatrix(state: LabState): Promise<HostMatrix[]> {
  const missing = MATRIX_HOSTS.filter((h) => !state.hosts[h]);
  if (missing.length) throw new Error(`lab hosts not up: ${missing.join(', ')} (npm run lab:up)`);
  return Promise.all(MATRIX_HOSTS.map((h) => measureHost(state, h)));
}
