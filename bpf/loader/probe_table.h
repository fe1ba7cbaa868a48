/* SPDX-License-Identifier: MIT */
/* The trace's probe table: tracepoints, TC points and functions. A probe's id is its index (the cookie's low 32
 * bits). Function probes carry the backend that has them (or the last one tried) as their kind. */
#ifndef PROBE_TABLE_H
#define PROBE_TABLE_H
#include <linux/types.h> /* before pktpath.h, which uses its types */
#include "../pktpath.h"
#include "btf_skb.h"
#include "config.h"
#include "tc_observer.h"
#include <stdbool.h>

enum probe_kind { PK_RAW_TP, PK_TC, PK_KPROBE_MULTI, PK_FENTRY, PK_KPROBE };

/* A backend that refused a function before the one that has it. */
struct fallback {
	enum probe_kind kind;
	char err[160];
};

struct probe {
	char name[128];
	enum probe_kind kind;
	int pos;     /* function probes: argument position of the struct sk_buff * (1..5), 0 when unknown */
	int tp;      /* raw_tp: index into the tracepoint table */
	int tc_req;  /* tc: index into the config's probes.tc */
	bool egress; /* tc: the egress hook (else ingress) */
	__u64 cookie;
	const struct skb_func *fn;
	bool attached, ret_attached;
	bool planned_err;    /* err was set when planning (no such function...): no backend is tried */
	char covered_by[96]; /* raw_tp left out: these attached functions see its point (comma-separated) */
	char err[160];
	struct fallback fallbacks[2]; /* chains have at most three backends */
	int nfallbacks;
	struct tc_attachment tc;
	struct bpf_link *link, *ret_link; /* raw_tp, kprobe, kprobe-multi (a batch's link on its first probe) */
	int fd, link_fd;                  /* fentry: program and link */
	int ret_fd, ret_link_fd;          /* fexit */
	__u64 addr;                       /* kprobe-multi, fentry: the function's address */
};

struct probe_table {
	struct probe *v;
	int n, cap;
};

/* Probe ids a client accepts (docs/LOADER.md, "Client-side limits"). */
#define PROBE_ID_LIMIT (1 << 20)

/* Appends a probe (id = its index); NULL when out of memory or past PROBE_ID_LIMIT. Pointers into the table
 * stay valid only until the next add. */
struct probe *probe_add(struct probe_table *t, const char *name, enum probe_kind kind);
void probe_table_free(struct probe_table *t);

/* The record's "kind": raw_tp, tc, kprobe-multi, fentry, kprobe. */
const char *probe_kind_name(enum probe_kind k);
/* The probe kind of a function backend (kprobe-multi, fentry, kprobe). */
enum probe_kind backend_probe_kind(enum backend b);

static inline bool probe_is_func(const struct probe *p)
{
	return p->kind >= PK_KPROBE_MULTI;
}

/* A function probe that needs its return probed too (the return value, or the copy a clone returns). */
static inline bool probe_needs_ret(const struct probe *p)
{
	return (p->cookie & (PROBE_RET | PROBE_CLONE)) != 0;
}
#endif
