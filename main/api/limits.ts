import { z } from 'zod';

/**
 * What limits tracing on a host, in words: the preflight's findings (main/core/probe/preflight*.ts). Each one is
 * detected on the host itself (files it reads, the loader's own results), never inferred from the version string.
 */
export const LimitIdSchema = z.enum([
  /** No /sys/kernel/btf/vmlinux: no function probes, no CO-RE. */
  'no-btf',
  /** Kernel lockdown (integrity or confidentiality) and what it blocks. */
  'lockdown',
  /** The kernel has no kprobes (CONFIG_KPROBES off): no kprobe or kprobe-multi backend. */
  'no-kprobes',
  /** No fprobe (CONFIG_FPROBE off): no kprobe-multi. */
  'no-fprobe',
  /** An attach kind the loader's probe tried was refused by the kernel (e.g. the tracing program type). */
  'attach-refused',
  /** The login user cannot become root with the host's privilege method. */
  'no-root',
  /** ~/.cache (where the loader is uploaded) is read-only or not writable. */
  'cache-readonly',
  /** ~/.cache is on a noexec mount: commands the login user runs itself (filter checks) fail. */
  'cache-noexec',
  /** /run, /tmp and /var/tmp are all noexec: root cannot run its verified copy of the loader. */
  'no-exec-dir',
  /** tracefs is not mounted (the loader mounts it when it can). */
  'tracefs-unmounted',
  'selinux',
  'apparmor',
  /** The loader's programs do not load on this kernel (below the loader's floor). */
  'loader-refused',
  /** BPF helpers some backends need are missing from this kernel. */
  'helpers-missing',
  /** The loader probe itself failed; its message. */
  'probe-failed',
]);
export type LimitId = z.infer<typeof LimitIdSchema>;

export const LimitSeveritySchema = z.enum([
  /** Tracing cannot run (or cannot run as configured) until this is fixed. */
  'error',
  /** Tracing runs, with less than it could. */
  'warning',
  /** Worth knowing; nothing is lost. */
  'info',
]);
export type LimitSeverity = z.infer<typeof LimitSeveritySchema>;

export const LimitFindingSchema = z.object({
  id: LimitIdSchema,
  severity: LimitSeveritySchema,
  /** One line: what is limited and why. */
  summary: z.string(),
  /** What to do about it. */
  advice: z.string(),
  /** What was read on the host that shows it (file contents, command results), verbatim. */
  evidence: z.array(z.string()).default([]),
});
export type LimitFinding = z.infer<typeof LimitFindingSchema>;
export type LimitFindingInput = z.input<typeof LimitFindingSchema>;

export const LimitFindingsSchema = z.array(LimitFindingSchema);

/** The loader's trial load of its own programs (one raw tracepoint, detached at once): the kernel's verdict. */
export const LoadCheckSchema = z.object({ ok: z.boolean(), error: z.string().optional() });
export type LoadCheck = z.infer<typeof LoadCheckSchema>;
