/* SPDX-License-Identifier: MIT */
/* What this kernel's eBPF can do that decides which object and programs the loader uses, each learned by asking
 * the kernel itself (a tiny program load, the host's BTF), never from the version string. */
#ifndef KERNEL_FEATURES_H
#define KERNEL_FEATURES_H
#include <stdbool.h>

/* BPF_ATOMIC | BPF_FETCH (Linux 5.12): without it the loader opens the compat object (PKTPATH_NO_FETCH). */
bool kernel_has_atomic_fetch(void);
/* The bpf_rdonly_cast kfunc (6.2): with it the loader opens the direct object (PKTPATH_DIRECT), whose probes load
 * sk_buff fields with plain instructions instead of a helper call each. */
bool kernel_has_rdonly_cast(void);
/* bpf_get_attach_cookie for kprobe programs (5.15): without it kprobes find their probe by address, and have no
 * return probes (a kretprobe cannot tell which function returned). */
bool kernel_has_attach_cookie(void);
/* Whether the raw tracepoint `name` passes at least `nargs` arguments (its btf_trace_<name> prototype). */
bool tracepoint_has_args(const char *name, int nargs);
/* Whether argument `arg` (0-based) of the raw tracepoint `name` is a pointer to `struct sname`. */
bool tracepoint_arg_is_struct(const char *name, int arg, const char *sname);
#endif
