// SPDX-License-Identifier: MIT
#include "func_attach.h"
#include "attach_backends.h"
#include "kallsyms.h"
#include <stdio.h>
#include <unistd.h>

enum { DETACH_THREADS = 8 };

/* Moves a probe the previous backend refused to `kind`, keeping that refusal in its fallbacks. */
static void hand_over(struct probe *p, enum probe_kind kind)
{
	if (p->err[0]) {
		if (p->nfallbacks < (int)(sizeof(p->fallbacks) / sizeof(p->fallbacks[0]))) {
			struct fallback *f = &p->fallbacks[p->nfallbacks++];
			f->kind = p->kind;
			snprintf(f->err, sizeof(f->err), "%s", p->err);
		}
		p->err[0] = 0;
	}
	p->kind = kind;
}

void attach_functions(struct trace_ctx *c)
{
	kallsyms_load(); /* addresses for kprobe-multi and fentry */
	for (int k = 0; k < c->nchain; k++) {
		enum probe_kind kind = backend_probe_kind(c->chain[k]);
		for (int i = c->nfixed; i < c->probes.n; i++) {
			struct probe *p = &c->probes.v[i];
			if (!p->attached && !p->planned_err)
				hand_over(p, kind);
		}
		switch (c->chain[k]) {
		case BK_KPROBE_MULTI:
			kmulti_attach(c);
			break;
		case BK_FENTRY:
			fentry_attach(c);
			break;
		default:
			kprobe_attach(c);
		}
	}
}

static void detach_one(struct trace_ctx *c, int i)
{
	struct probe *p = &c->probes.v[i];
	int *fds[] = { &p->link_fd, &p->fd, &p->ret_link_fd, &p->ret_fd };
	if (!probe_is_func(p))
		return;
	bpf_link__destroy(p->link);
	bpf_link__destroy(p->ret_link);
	p->link = p->ret_link = NULL;
	for (int k = 0; k < 4; k++) {
		if (*fds[k] >= 0)
			close(*fds[k]);
		*fds[k] = -1;
	}
}

void detach_functions(struct trace_ctx *c)
{
	for_each_probe_parallel(c, DETACH_THREADS, detach_one);
}
