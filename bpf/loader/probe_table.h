/* SPDX-License-Identifier: MIT */
/* The trace's probe table (tracepoints, TC points, functions), shared by trace_cmd.c and func_attach.c. The probe
 * id of each is its index: the cookie's low 32 bits. */
#ifndef PROBE_TABLE_H
#define PROBE_TABLE_H
#include "../pktpath.h"
#include "btf_skb.h"
#include "pktpath.skel.h"
#include "tc_observer.h"
#include <stdbool.h>
#include <string.h>

struct probe {
	char name[128];
	const char *kind; /* raw_tp, tc, or the function backend that has it (last tried, when none did) */
	int pos;
	__u64 cookie;
	const struct skb_func *fn;
	bool attached;
	bool planned_err; /* err was set when planning (no such function...): no backend is tried */
	char err[160];
	char fallbacks[512]; /* JSON objects {backend, error} of the backends that refused it first */
	struct tc_attachment tc;
	struct bpf_link *link, *ret_link;
	int fd, link_fd; /* fentry: program fd and link fd */
	int ret_fd, ret_link_fd; /* fexit */
	__u64 addr; /* kprobe-multi, fentry: the function's address */
	bool ret_attached;
};

extern struct probe *probes;
extern int nprobes;
extern struct pktpath_bpf *skel;

#define NEEDS_RET(p) ((p)->cookie & (PROBE_RET | PROBE_CLONE))

static inline bool is_func_probe(const struct probe *p)
{
	return strcmp(p->kind, "raw_tp") && strcmp(p->kind, "tc");
}
#endif
