// SPDX-License-Identifier: MIT
/* Raw tracepoints and TC observer points: attached alongside whatever function backend runs. */
#include "attach_backends.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void attach_tracepoint(struct trace_ctx *c, struct probe *p)
{
	char pn[160];
	snprintf(pn, sizeof(pn), "tp_%s", p->name);
	struct bpf_program *prog = bpf_object__find_program_by_name(c->skel->obj, pn);
	struct bpf_link *l = prog ? bpf_program__attach_raw_tracepoint(prog, p->name) : NULL;
	int e = prog ? libbpf_get_error(l) : -ENOENT;
	if (e) {
		snprintf(p->err, sizeof(p->err), "raw_tp: %s", strerror(-e));
		return;
	}
	p->link = l;
	p->attached = true;
}

static void attach_tc(struct trace_ctx *c, struct probe *p)
{
	const struct tc_req *t = &c->cfg.tc[p->tc_req];
	struct bpf_program *prog = p->egress ? c->skel->progs.tc_egress : c->skel->progs.tc_ingress;
	if (!tc_attach(bpf_program__fd(prog), t->netns, t->ifname, p->egress, TC_ALLOW_TCX | TC_SWEEP_DEAD, &p->tc,
	               p->err, sizeof(p->err)))
		p->attached = true;
}

void fixed_attach(struct trace_ctx *c)
{
	for (int i = 0; i < c->nfixed; i++) {
		struct probe *p = &c->probes.v[i];
		if (p->kind == PK_RAW_TP)
			attach_tracepoint(c, p);
		else
			attach_tc(c, p);
	}
}

void fixed_detach(struct trace_ctx *c)
{
	for (int i = 0; i < c->nfixed; i++) {
		struct probe *p = &c->probes.v[i];
		bpf_link__destroy(p->link);
		p->link = NULL;
		if (p->kind == PK_TC && p->attached)
			tc_detach(&p->tc);
		p->attached = false;
	}
}
