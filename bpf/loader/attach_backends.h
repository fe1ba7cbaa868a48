/* SPDX-License-Identifier: MIT */
/* The attach backends. Each attaches the probes of its kind that are not attached and have no error yet, and
 * leaves its result on every one of them: attached (and ret_attached), or err saying why not. */
#ifndef ATTACH_BACKENDS_H
#define ATTACH_BACKENDS_H
#include "trace_ctx.h"

/* raw tracepoints and TC observer points (attach_fixed.c) */
void fixed_attach(struct trace_ctx *c);
void fixed_detach(struct trace_ctx *c);
/* After the function probes: kmem_cache_free ends tracking where no PROBE_END function (kfree_skbmem) attached
 * (`fn_tail`), and is left out where one did. */
void attach_slab_free(struct trace_ctx *c, bool fn_tail);
/* kprobe-multi: one link per (argument position, entry/return), by address (attach_kmulti.c) */
void kmulti_attach(struct trace_ctx *c);
/* fentry/fexit: one program load and link per function (attach_fentry.c) */
void fentry_attach(struct trace_ctx *c);
/* kprobe/kretprobe: one perf link per function, from several threads (attach_kprobe.c) */
void kprobe_attach(struct trace_ctx *c);

/* Runs fn(c, i) for every probe index i from `threads` threads at once (each takes every threads-th index); the
 * kernel's waits per kprobe or fentry link overlap. */
void for_each_probe_parallel(struct trace_ctx *c, int threads, void (*fn)(struct trace_ctx *, int));
#endif
