/* SPDX-License-Identifier: MIT */
/* Function probes along the backend chain: chain[0] attaches every function, each later backend the ones all
 * before it refused. A probe records which backend has it (kind) and why the others refused it (fallbacks). */
#ifndef FUNC_ATTACH_H
#define FUNC_ATTACH_H
#include "trace_ctx.h"

void attach_functions(struct trace_ctx *c);
/* Closes every function probe's links and programs, from several threads: the kernel waits for an RCU grace
 * period per single kprobe or fentry link, and waits overlap. */
void detach_functions(struct trace_ctx *c);
#endif
