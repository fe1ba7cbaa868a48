/* SPDX-License-Identifier: MIT */
/* Choosing the function backends and loading the object: `auto` orders the backends by cost and coverage, each
 * feature-tested first; the object is loaded with the programs of every backend in the chain that loads. */
#ifndef TRACE_LOAD_H
#define TRACE_LOAD_H
#include "trace_ctx.h"

/* Loads c->skel for the planned probes, function backends first (c->chain, c->nchain; the ones that failed go to
 * c->fallbacks). Without any working function backend the object is loaded for tracepoints and TC alone and the
 * function probes are marked failed. Returns 0, or -1 with err when even that fails. */
int trace_load(struct trace_ctx *c, int usable_funcs, char *err, size_t errlen);

/* The build of pktpath.bpf.c this kernel calls for: compat (no atomic fetch, < 5.12), direct (bpf_rdonly_cast,
 * 6.2+) or full. Needs the locked-memory limit raised (process set-up) on kernels that still charge it. */
enum bpf_object_kind trace_pick_object(void);
/* Sets c->object and translates the run's filter for it (the direct object's loads differ). 0, or -1 with err. */
int trace_use_object(struct trace_ctx *c, enum bpf_object_kind kind, char *err, size_t errlen);
#endif
