import type { ProbeEntry } from '../../api/probeset.js';
import type { AttachMode, FellBack, ProbeFacts, TraceSpec } from '../../api/trace.js';
import type { TcPoint } from '../../api/trace-scope.js';
import { CoreError } from '../errors.js';
import { formatProbeSetErrors, parseProbeSet } from '../probeset/parse-probe-set.js';
import { profileEntries } from '../probeset/profiles.js';

/** The trace config the loader reads on stdin (docs/LOADER.md, version 1). */
export interface LoaderConfig {
  version: 1;
  filter: string;
  /** An inode, or /run/netns/NAME (the loader stats it on the host). */
  netns?: number | string;
  interface?: string | number;
  mark?: number;
  markMask?: number;
  attach: Exclude<AttachMode, 'tracepoint'> | 'raw-tp';
  probes: {
    tracepoints: 'all' | 'none';
    functions: 'all' | 'none' | LoaderFunction[];
    /** TC points as the spec has them, the netns as a path (netnsRef). */
    tc?: (Omit<TcPoint, 'netns'> & { netns?: string })[];
  };
  limits: { packets?: number; durationMs?: number; events?: number };
  options: { stack: boolean; dropStack: boolean };
  /** Packet bytes per capture record; absent = none. */
  capture?: { snaplen: number };
}

/** One function probe: its name alone, or with what the loader needs per function (absent = off / from BTF). */
export type LoaderFunction =
  string | ({ name: string; pos?: number } & Partial<Record<'ret' | 'stack', true>>);

/** The loader's entry for one probe-set line: `arg`, `ret` and `stack` go to that function only. */
function loaderFunction(e: ProbeEntry, pos: number | undefined): LoaderFunction {
  if (!pos && !e.ret && !e.stack) return e.function;
  return {
    name: e.function,
    ...(pos ? { pos } : {}),
    ...(e.ret ? { ret: true as const } : {}),
    ...(e.stack ? { stack: true as const } : {}),
  };
}

/** The probe set of a spec: a profile's entries, or the user's text (errors → one line with line:column). */
export function probeEntries(spec: TraceSpec): ProbeEntry[] | 'all' {
  if (spec.probes.kind === 'profile')
    return spec.probes.name === 'all-skb' ? 'all' : profileEntries(spec.probes.name);
  const { entries, errors } = parseProbeSet(spec.probes.text);
  if (errors.length)
    throw new CoreError('invalid-request', formatProbeSetErrors(spec.probes.source ?? 'probe set', errors));
  if (!entries.length)
    throw new CoreError('invalid-request', `${spec.probes.source ?? 'probe set'} lists no function`);
  return entries;
}

/**
 * Builds the loader's config. Argument positions: an explicit `arg=N` wins, else the host's probe facts (its BTF),
 * else the loader's own BTF lookup. `tracepoint` mode attaches no function probes (raw tracepoints only).
 */
export function loaderConfig(
  spec: TraceSpec,
  entries: ProbeEntry[] | 'all',
  facts?: ProbeFacts,
): LoaderConfig {
  const posOf = new Map(facts?.functions.map((f) => [f.name, f.pos]));
  const functions: LoaderConfig['probes']['functions'] =
    spec.mode === 'tracepoint'
      ? 'none'
      : entries === 'all'
        ? 'all'
        : entries.map((e) => loaderFunction(e, e.arg ?? posOf.get(e.function)));
  const { meta, limits } = spec;
  const iface = meta.ifname ?? meta.ifindex;
  return {
    version: 1,
    filter: spec.filter,
    ...(meta.netns !== undefined ? { netns: netnsRef(meta.netns) } : {}),
    ...(iface !== undefined ? { interface: iface } : {}),
    ...(meta.mark ? { mark: meta.mark.value, markMask: meta.mark.mask } : {}),
    attach: spec.mode === 'tracepoint' ? 'raw-tp' : spec.mode,
    probes: {
      tracepoints: 'all',
      functions,
      ...(spec.tc.length
        ? { tc: spec.tc.map((t) => ({ ...t, ...(t.netns ? { netns: netnsRef(t.netns) as string } : {}) })) }
        : {}),
    },
    limits: {
      ...(limits.packets ? { packets: limits.packets } : {}),
      ...(limits.durationS ? { durationMs: Math.round(limits.durationS * 1000) } : {}),
      ...(limits.events ? { events: limits.events } : {}),
    },
    // `stack` is per function (above): the run-wide option would put a stack on every event. A stack at every
    // drop: its frames name the function that decided it where only tracepoints attach (drop-stacks.ts)
    options: { stack: false, dropStack: true },
    ...(spec.capture?.snaplen ? { capture: { snaplen: spec.capture.snaplen } } : {}),
  };
}

/** A netns for the loader: an inode as it is, a name as the file `ip netns add` made for it. */
const netnsRef = (n: number | string): number | string => (typeof n === 'number' ? n : `/run/netns/${n}`);

/** The loader's backend name → the contract's attach mode (`raw-tp`/`tc`/`none` = tracepoints only). */
export function modeOfBackend(backend: unknown, requested: AttachMode): AttachMode {
  switch (backend) {
    case 'kprobe-multi':
    case 'fentry':
    case 'kprobe':
      return backend;
    case 'raw-tp':
    case 'tc':
    case 'none':
      return 'tracepoint';
    default:
      return requested;
  }
}

/**
 * A function a backend other than the run's first one took, with why the ones before refused it, from the
 * loader's `probe` record (docs/LOADER.md); undefined for a probe attached first time or not at all.
 */
export function fellBackOf(rec: Record<string, unknown>): FellBack | undefined {
  if (!rec.attached || !Array.isArray(rec.fallbacks) || !rec.fallbacks.length) return undefined;
  // the loader's errors name their backend: "fentry: module functions need kprobe"
  const reason = (rec.fallbacks as { error?: unknown }[]).map((f) => String(f.error)).join('; ');
  return { function: String(rec.name), backend: String(rec.kind), reason };
}
