import type { RunEvent } from '../../api/trace.js';

/** Bounds on what a (possibly hostile) loader's `stack` record may put in a run. */
const MAX_FRAMES = 64;
const MAX_FRAME_CHARS = 200;

/** Frames of the tracing machinery itself (the BPF program, the tracepoint, kprobe or trampoline dispatch that ran
 * it): above the traced function, never part of the packet's story. */
const TRACING_FRAME =
  /^(bpf_prog_|bpf_trace_run|__bpf_trace_|bpf_trampoline|__bpf_prog_enter|trace_call_bpf|perf_trace_|kprobe_|kretprobe_|pre_handler_kretprobe|ftrace_|arch_ftrace|fprobe_|rethook_|0x)/;

/** The kernel frames of a symbolized stack, innermost first, without the leading tracing frames. */
export function kernelFrames(frames: readonly unknown[]): string[] {
  const named = frames
    .slice(0, MAX_FRAMES)
    .filter((f): f is string => typeof f === 'string')
    .map((f) => f.slice(0, MAX_FRAME_CHARS));
  const first = named.findIndex((f) => !TRACING_FRAME.test(f));
  return first < 0 ? [] : named.slice(first);
}

/** Per record list: how far it was read, and the stacks found so far (a live run's list grows). */
const memo = new WeakMap<readonly RunEvent[], { read: number; stacks: Map<number, string[]> }>();

/** Stack id → kernel frames, from a run's `stack` records (the loader symbolizes each new stack on the host from
 * /proc/kallsyms: docs/LOADER.md). Reads each record list once, and only what was added since. */
export function runStacks(events: readonly RunEvent[]): Map<number, string[]> {
  const m = memo.get(events) ?? { read: 0, stacks: new Map<number, string[]>() };
  memo.set(events, m);
  for (const e of events.slice(m.read)) {
    const id = e.data?.id;
    if (e.kind === 'stack' && Number.isInteger(id) && Array.isArray(e.data?.frames))
      m.stacks.set(id as number, kernelFrames(e.data.frames as unknown[]));
  }
  m.read = events.length;
  return m.stacks;
}
