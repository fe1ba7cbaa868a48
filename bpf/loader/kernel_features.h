/* SPDX-License-Identifier: MIT */
/* What this kernel's eBPF can do that decides which object and programs the loader uses, each learned by asking
 * the kernel itself (a tiny program load, the host's BTF), never from the version string. */
#ifndef KERNEL_FEATURES_H
#define KERNEL_FEATURES_H
#include <stdbool.h>

/* BPF_ATOMIC | BPF_FETCH (Linux 5.12): without it the loader opens the compat object (PKTPATH_NO_FETCH). */
bool kernel_has_atomic_fetch(void);
/* Whether the raw tracepoint `name` passes at least `nargs` arguments (its btf_trace_<name> prototype). */
bool tracepoint_has_args(const char *name, int nargs);
#endif
