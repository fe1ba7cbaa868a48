/* SPDX-License-Identifier: MIT */
/* Everything one `loader trace` run owns, passed explicitly: config, probe table, the loaded object, the output
 * stream and the run's counters. Set up by trace_cmd.c and released once, by trace_teardown. */
#ifndef TRACE_CTX_H
#define TRACE_CTX_H
#include "btf_skb.h"
#include "config.h"
#include "filter_patch.h"
#include "output.h"
#include "probe_table.h"
#include "bpf_objects.h"
#include "pktpath.skel.h"

enum stop_reason {
	STOP_NONE,
	STOP_PACKETS,
	STOP_DURATION,
	STOP_EVENTS,
	STOP_SIGNAL,
	STOP_STDIN_EOF,
	STOP_STOP,
	STOP_STDOUT_CLOSED,
	STOP_NOTHING_ATTACHED,
	STOP_ERROR,
};

/* A function backend that failed its feature test or load, for the `attached` record. */
struct chain_fallback {
	enum backend backend;
	char err[1100];
};

struct trace_ctx {
	struct config cfg;
	struct probe_table probes;
	int nfixed; /* probes before this index are tracepoints and TC points; functions follow */
	/* free tracepoints the config left out, attached quietly (bit = tracepoint index): see plan_quiet_frees */
	__u32 quiet_tps;
	struct bpf_link *quiet_links[16];
	struct skb_funcs funcs;
	struct filter_code filter;
	struct pktpath_bpf *skel;
	enum bpf_object_kind object; /* which build of pktpath.bpf.c skel runs (trace_load.c) */
	char object_err[600];        /* why the direct object did not load, when the full one runs instead */
	bool kp_cookie; /* kprobes carry their probe word as a cookie; else by address (probe_by_ip), no kretprobes */
	struct ring_buffer *rb;
	struct output out;
	/* function backends: chain[0..nchain) is the order each function falls back along */
	enum backend order[3];
	const enum backend *chain;
	int nchain;
	struct chain_fallback fallbacks[6];
	int nfallbacks;
	__u64 events_seen;
	enum stop_reason stop;
	char rest[256]; /* what came on stdin after the config */
	__u64 t_attach, attach_ms, t_run;
};

const char *stop_reason_name(enum stop_reason r);
__u64 now_ms(void);
#endif
