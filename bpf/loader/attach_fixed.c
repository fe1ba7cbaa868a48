// SPDX-License-Identifier: MIT
/* Raw tracepoints and TC observer points: attached after whatever function backend runs, so that a tracepoint
 * an attached function covers is left out (tracepoint_covered_by). */
#include "attach_backends.h"
#include "trace_plan.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

static void attach_tracepoint(struct trace_ctx *c, struct probe *p)
{
	if (tracepoint_covered_by(c, p->tp, p->covered_by, sizeof(p->covered_by)))
		return;
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

/* A tracepoint that only ends tracking; one that does not attach leaves its bit clear (the attached record lists
 * those that did). */
static void attach_quiet(struct trace_ctx *c, int t)
{
	char pn[160];
	snprintf(pn, sizeof(pn), "tp_%s", tracepoint_names[t]);
	struct bpf_program *prog = bpf_object__find_program_by_name(c->skel->obj, pn);
	struct bpf_link *l = prog ? bpf_program__attach_raw_tracepoint(prog, tracepoint_names[t]) : NULL;
	if (!prog || libbpf_get_error(l))
		c->quiet_tps &= ~(1u << t);
	else
		c->quiet_links[t] = l;
}

void attach_slab_free(struct trace_ctx *c, bool fn_tail)
{
	if (!(c->quiet_tps & (1u << tp_slab_free)))
		return;
	if (fn_tail)
		c->quiet_tps &= ~(1u << tp_slab_free);
	else
		attach_quiet(c, tp_slab_free);
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
	for (int t = 0; t < tp_slab_free; t++)
		if (c->quiet_tps & (1u << t))
			attach_quiet(c, t);
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
	for (int t = 0; t < ntracepoints; t++) {
		bpf_link__destroy(c->quiet_links[t]);
		c->quiet_links[t] = NULL;
	}
}
