/* SPDX-License-Identifier: MIT */
/* The status records of a trace (docs/LOADER.md, "Status records"): hello, probe, attached, stats, done,
 * detached. */
#ifndef TRACE_STATUS_H
#define TRACE_STATUS_H
#include "trace_ctx.h"

void status_hello(struct trace_ctx *c);
/* One `probe` record per probe, then `attached`. */
void status_attached(struct trace_ctx *c);
/* `stats`, or `done` (with the reason and the packets cut short) when done is set. */
void status_stats(struct trace_ctx *c, bool done);
void status_detached(struct trace_ctx *c, __u64 ms);
#endif
