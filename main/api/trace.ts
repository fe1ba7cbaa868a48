import { z } from 'zod';
import { HostNameSchema } from './hosts.js';
import { DiagnosisSchema, DropPointSchema, HostContextSchema, PacketVerdictSchema } from './explain.js';
import { LimitFindingsSchema, LoadCheckSchema } from './limits.js';
import { IfnameSchema, MAX_TC_POINTS, NetnsRefSchema, TcPointSchema } from './trace-scope.js';

/**
 * Trace runs, packets and paths. Packet and hop records use snake_case because they are also the CLI's
 * `trace --json` output, whose field names issue 4 fixes; everything else in the contract is camelCase.
 */

export const AttachModeSchema = z.enum(['auto', 'kprobe-multi', 'fentry', 'kprobe', 'tracepoint']);
export type AttachMode = z.infer<typeof AttachModeSchema>;

export const PROFILE_NAMES = [
  'default',
  'ingress',
  'egress',
  'netfilter',
  'routing',
  'drops',
  'tc',
  'bridge',
  'tunnels',
  'all-skb',
] as const;
export const ProfileNameSchema = z.enum(PROFILE_NAMES);
export type ProfileName = z.infer<typeof ProfileNameSchema>;

/** Which functions to probe: a built-in profile or probe-set text (the kp_func.list successor, see probeset/). */
export const ProbeSelectionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('profile'), name: ProfileNameSchema }),
  z.object({ kind: z.literal('text'), text: z.string(), source: z.string().optional() }),
]);
export type ProbeSelection = z.infer<typeof ProbeSelectionSchema>;

/** Checked in the kernel before the pcap filter (grammar and parsers: trace-scope.ts). */
export const MetaFilterSchema = z.object({
  netns: NetnsRefSchema.optional(),
  ifname: IfnameSchema.optional(),
  ifindex: z.int().positive().optional(),
  mark: z
    .object({
      value: z.int().nonnegative().max(0xffffffff),
      mask: z.int().nonnegative().max(0xffffffff).default(0xffffffff),
    })
    .optional(),
});

export type MetaFilter = z.input<typeof MetaFilterSchema>;

export const TraceLimitsSchema = z.object({
  packets: z.int().positive().optional(),
  durationS: z.number().positive().optional(),
  events: z.int().positive().optional(),
});

/** The most packet bytes the loader copies per capture (PKTPATH_MAX_SNAPLEN in bpf/pktpath.h). */
export const MAX_SNAPLEN = 256;
/** The bytes a capture asked without a size records (the CLI's bare `--capture`, the Trace view's checkbox, every
 * multi-host trace, whose flows are stitched on them): Ethernet + IP + TCP headers with room to spare. */
export const DEFAULT_SNAPLEN = 128;

/** A run's id: also its file name in the data dir, so boring; a client may choose it (`trace.start`). */
export const RunIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{7,79}$/, 'a run id is 8 to 80 lowercase letters, digits and "-"');

export const TraceSpecSchema = z.object({
  host: HostNameSchema,
  /** pcap-filter expression (tcpdump syntax), compiled on the host by the loader; empty matches everything. */
  filter: z.string().default(''),
  meta: MetaFilterSchema.default({}),
  probes: ProbeSelectionSchema.default({ kind: 'profile', name: 'default' }),
  mode: AttachModeSchema.default('auto'),
  limits: TraceLimitsSchema.default({}),
  /** Copy up to `snaplen` bytes of each packet at its first sight and at each 5-tuple change (NAT), for pcapng
   * export. Absent or 0: no bytes are captured. */
  capture: z.object({ snaplen: z.int().min(0).max(MAX_SNAPLEN) }).optional(),
  /** false: no read-only host context capture at start and end (`trace --no-context`); absent = captured. */
  context: z.boolean().optional(),
  /** TC observers beside the probes (`trace --tc`): their hops are named `tc/DIRECTION/IFACE`. */
  tc: z.array(TcPointSchema).max(MAX_TC_POINTS).default([]),
});
export type TraceSpec = z.infer<typeof TraceSpecSchema>;
export type TraceSpecInput = z.input<typeof TraceSpecSchema>;

export const FiveTupleSchema = z.object({
  proto: z.int().min(0).max(255),
  saddr: z.string(),
  daddr: z.string(),
  sport: z.int().min(0).max(65535),
  dport: z.int().min(0).max(65535),
});

/**
 * One hop: a kernel function (or tracepoint) that saw the packet. `ts_ns` is the host's ktime in ns; as a JSON
 * number it is exact up to 2^53 ns (~104 days of uptime) and within a few ns beyond, which Δt tolerates.
 */
export const HopSchema = z
  .object({
    function: z.string().min(1),
    ts_ns: z.number().nonnegative(),
    ifindex: z.int().nonnegative(),
    netns: z.int().nonnegative(),
    len: z.int().nonnegative(),
    cpu: z.int().nonnegative().optional(),
    mark: z.int().nonnegative().optional(),
    tuple: FiveTupleSchema.optional(),
    drop_reason: z.string().optional(),
    stack_id: z.int().optional(),
    ret: z.number().optional(),
    /** What saw it: a kernel function (absent = function), a tracepoint, or the TC observer. */
    probe_kind: z.enum(['function', 'tracepoint', 'tc']).optional(),
    /** kfree_skb: the caller that freed the skb (the tracepoint's `location`), `symbol+0xoff` from the host's
     * kallsyms, or the bare address when it has no symbol. */
    location: z.string().optional(),
    /** Which skb of the packet: 0 (or absent) the original, n the n-th clone/copy that joined it. */
    copy: z.int().nonnegative().optional(),
    /** Names as the host knew them when the packet passed (from the run's host context). */
    ifname: z.string().optional(),
    netns_name: z.string().optional(),
    /** The task this hop ran in, where the kernel tells it (recvmsg's copy to user space runs in the receiving
     * process): process id, thread id and the thread's name (`comm`, at most 15 bytes; anyone can set it). */
    task: z.object({ pid: z.int().positive(), tid: z.int().positive(), comm: z.string().max(64) }).optional(),
  })
  .loose();
export type Hop = z.infer<typeof HopSchema>;

/**
 * Packet bytes the loader copied (docs/LOADER.md, frame type 4). Kept in run files with their packet and written
 * by the pcapng export; the contract's packet records never carry them (summaries say `captured`).
 */
export const PacketCaptureSchema = z.object({
  ts_ns: z.number().nonnegative(),
  /** The probe that saw the packet when the bytes were copied. */
  function: z.string(),
  /** Where the bytes start: `ether` = the MAC header (Ethernet), `raw` = the IP header. */
  link: z.enum(['ether', 'raw']),
  /** The packet's length from that header on (pcap "original length"). */
  len: z.int().nonnegative(),
  /** base64 of the copied bytes (at most the run's snaplen, linear data only). */
  data: z.string(),
});
export type PacketCapture = z.infer<typeof PacketCaptureSchema>;

export const PacketPathSchema = z
  .object({
    id: z.int().nonnegative(),
    hops: z.array(HopSchema),
    drop_reason: z.string().nullable(),
    /** A fragment: first seen at a free/release function (an skb from before the attach), so its path before is
     * unknown. Absent in runs recorded before the flag existed. */
    partial: z.boolean().optional(),
    /** The trace ended (packet-limit grace expired, stop, duration) while this packet was still in flight: its
     * path lacks its free. */
    cut: z.boolean().optional(),
    /** The host it was traced on (multi-host runs; absent = the run's host). */
    host: z.string().optional(),
    /** What its path means (docs/CLI.md "Explain"); absent in runs recorded before explain existed. */
    verdict: PacketVerdictSchema.optional(),
    /** A packet of this run this one is a clone/copy of (tracepoint-only runs, where a clone gets its own id). */
    parent: z.int().nonnegative().optional(),
    children: z.array(z.int().nonnegative()).optional(),
    drop: DropPointSchema.optional(),
    diagnosis: DiagnosisSchema.optional(),
  })
  .loose();
export type PacketPath = z.infer<typeof PacketPathSchema>;

export const TracePhaseSchema = z.enum([
  'connecting',
  'deploying',
  'attaching',
  'tracing',
  'stopping',
  'done',
  'failed',
]);
export type TracePhase = z.infer<typeof TracePhaseSchema>;

/** A function that another backend than the run's took: `backend` took it, `reason` says why the others refused. */
export const FellBackSchema = z.object({ function: z.string(), backend: z.string(), reason: z.string() });
export type FellBack = z.infer<typeof FellBackSchema>;

/** Failures or fallbacks grouped by what befell them (every field but the function: reason, backend), the largest
 *  group first, functions in the order given: how the CLI and the Trace view say hundreds of them without
 *  repeating a reason per function. */
export function groupByReason<T extends { function: string; reason: string }>(
  items: readonly T[],
): (Omit<T, 'function'> & { functions: string[] })[] {
  const groups = new Map<string, Omit<T, 'function'> & { functions: string[] }>();
  for (const { function: fn, ...outcome } of items) {
    const key = JSON.stringify(outcome);
    const g = groups.get(key) ?? { ...outcome, functions: [] };
    g.functions.push(fn);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.functions.length - a.functions.length);
}

export const TraceProgressEventSchema = z.object({
  runId: z.string().min(1),
  phase: TracePhaseSchema,
  attached: z.int().nonnegative().optional(),
  total: z.int().nonnegative().optional(),
  failures: z.array(z.object({ function: z.string(), reason: z.string() })).optional(),
  /** Tracepoints left out because an attached function probe sees the same point (not counted in `total`). */
  covered: z.array(z.object({ tracepoint: z.string(), by: z.array(z.string()) })).optional(),
  /** Functions another backend than the run's took, and why the ones before it refused them (e.g. a module
   *  function under fentry, taken by kprobe). */
  fellBack: z.array(FellBackSchema).optional(),
  lost: z.int().nonnegative().optional(),
  message: z.string().optional(),
});
export type TraceProgressEvent = z.infer<typeof TraceProgressEventSchema>;

/** Why a run ended, for people: what stopped it and, for limits, after how long. */
export const TraceEndReasonSchema = z.object({
  kind: z.enum(['packet-limit', 'duration', 'event-limit', 'stopped', 'link-lost', 'error']),
  /** One line, e.g. "duration elapsed (12 s)", "packet limit reached (100) after 6.1 s", "loader error: …". */
  message: z.string(),
});
export type TraceEndReason = z.infer<typeof TraceEndReasonSchema>;

/** A run as the core knows it now (`trace.status`): what a face that missed events (a reconnect) resyncs from. */
export const TraceStatusSchema = z.object({
  runId: z.string().min(1),
  phase: TracePhaseSchema,
  packets: z.int().nonnegative(),
  lost: z.int().nonnegative(),
  /** Set once the run has ended (the host detached). */
  endedAt: z.iso.datetime().optional(),
  reason: TraceEndReasonSchema.optional(),
});
export type TraceStatus = z.infer<typeof TraceStatusSchema>;

/** Packets new or grown since the previous batch (the whole path each time, so a late subscriber needs no history). */
export const TracePacketsEventSchema = z.object({
  runId: z.string().min(1),
  packets: z.array(PacketPathSchema),
});
export type TracePacketsEvent = z.infer<typeof TracePacketsEventSchema>;

/** Loader status records kept with a run (attach results, failures, lost counts, the final summary). */
export const RunEventSchema = z
  .object({
    t_ms: z.number().nonnegative(),
    kind: z.string().min(1),
    message: z.string().optional(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type RunEvent = z.infer<typeof RunEventSchema>;

export const RunSchema = z.object({
  id: z.string().min(1),
  host: HostNameSchema,
  spec: TraceSpecSchema,
  /** The attach kind actually used (auto resolved). */
  mode: AttachModeSchema,
  startedAt: z.iso.datetime(),
  endedAt: z.iso.datetime().optional(),
  kernelRelease: z.string().optional(),
  lost: z.int().nonnegative().default(0),
  events: z.array(RunEventSchema).default([]),
  /** The group of runs started together on several hosts (`trace.startGroup`), if any. */
  group: z.string().optional(),
  /** Read-only host context at start and end (issue 9; docs/SESSION-FORMAT.md). */
  context: HostContextSchema.optional(),
  packets: z.array(PacketPathSchema).default([]),
});
export type Run = z.infer<typeof RunSchema>;
export type RunInput = z.input<typeof RunSchema>;

const AttachResultSchema = z.object({ ok: z.boolean(), error: z.string().optional() }).loose();

/**
 * What `pktpath-loader probe` prints (docs/LOADER.md), kept as the loader's own document so nothing is lost in
 * translation; the core adds `probedAt`. Tolerant of fields a later loader adds.
 */
export const ProbeFactsSchema = z
  .object({
    loader: z.object({ version: z.string(), framing: z.int() }).loose(),
    kernel: z.object({ release: z.string(), version: z.string().optional() }).loose(),
    arch: z.string(),
    btf: z.object({ vmlinux: z.boolean(), modules: z.int().nonnegative().default(0) }).loose(),
    /** Each attach kind the loader tried with a tiny program: kprobe-multi, fentry, kprobe, raw-tp, tcx, tc. */
    attach: z.record(z.string(), AttachResultSchema),
    /** The function backend `auto` puts first on this kernel for a set of up to AUTO_FENTRY_MAX functions, or
     *  `none` (then only tracepoints and TC work); `autoPicks` says what it takes for larger sets. */
    auto: z.string(),
    skbFunctions: z
      .object({
        /** BTF functions taking a `struct sk_buff *` in argument 1-5. */
        btf: z.int().nonnegative(),
        /** Of those, the ones ftrace can attach to (`available_filter_functions`). */
        traceable: z.int().nonnegative(),
        availableFilterFunctions: AttachResultSchema.optional(),
      })
      .loose(),
    /** The traceable skb functions, with the skb argument position from BTF. */
    functions: z
      .array(
        z
          .object({
            name: z.string(),
            pos: z.int().min(1).max(5),
            module: z.string().optional(),
            /** C declaration from the host's BTF, e.g. `int ip_rcv(struct sk_buff *skb, …)`. */
            signature: z.string().optional(),
          })
          .loose(),
      )
      .default([]),
    dropReasons: z.array(z.object({ value: z.int().nonnegative(), name: z.string() })).default([]),
    /** `net:*` and `skb:*` tracepoints. */
    tracepoints: z.array(z.string()).default([]),
    probedAt: z.iso.datetime().optional(),
    /** Added by the core: whether the loader's programs load on this kernel (kept with the cached facts). */
    loadCheck: LoadCheckSchema.optional(),
    /** Added by the core on every `probe.run`: everything that limits tracing on the host, in words. */
    limits: LimitFindingsSchema.optional(),
  })
  .loose();
export type ProbeFacts = z.infer<typeof ProbeFactsSchema>;

/** Up to this many functions `auto` puts fentry first (the least cost per hit); above, kprobe-multi, else kprobe.
 *  The loader's AUTO_FENTRY_MAX (bpf/loader/trace_load.c; test/unit/core/auto-picks.test.ts checks they agree). */
export const AUTO_FENTRY_MAX = 128;

/** What `auto` takes on this kernel, in words: `fentry`, or `fentry (up to 128 functions; kprobe-multi above)`. */
export function autoPicks(f: Pick<ProbeFacts, 'auto' | 'attach'>): string {
  if (f.auto === 'none') return 'none: tracepoints and TC only';
  const ok = (k: string) => f.attach[k]?.ok === true;
  const large = ok('kprobe-multi') ? 'kprobe-multi' : ok('kprobe') ? 'kprobe' : f.auto;
  return large === f.auto ? f.auto : `${f.auto} (up to ${AUTO_FENTRY_MAX} functions; ${large} above)`;
}
