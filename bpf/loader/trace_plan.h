/* SPDX-License-Identifier: MIT */
/* Building a trace's probe table from its config: tracepoints, TC points, then function probes with the flags
 * that say what each function does to its skb (PROBE_* in pktpath.h). */
#ifndef TRACE_PLAN_H
#define TRACE_PLAN_H
#include "trace_ctx.h"

/* Raw tracepoints the object has programs for (tp_<name>), in the order of its TP_* enum. */
extern const char *const tracepoint_names[];
extern const int ntracepoints;
/* kmem_cache_free's index: the last, and never a hop (it only ends tracking) */
extern const int tp_slab_free;

/* Adds the tracepoints and TC points (then c->nfixed is set), and sets c->quiet_tps: the free tracepoints
 * (kfree_skb, consume_skb) the config left out. Returns 0 or -1 with err. */
int plan_fixed(struct trace_ctx *c, char *err, size_t errlen);
/* The tracepoint's index in tracepoint_names, or -1. */
int tracepoint_index(const char *name);
/* Whether attached function probes see tracepoint t's point, so that it is left out; `by` gets their names,
 * comma-separated. Only with every tracepoint requested, once the functions are attached. */
bool tracepoint_covered_by(const struct trace_ctx *c, int t, char *by, size_t len);
/* Adds the function probes with `kind` (the first backend to try). Returns how many can be tried at all (not
 * failed while planning), or -1 when out of memory. */
int plan_functions(struct trace_ctx *c, enum probe_kind kind);
#endif
