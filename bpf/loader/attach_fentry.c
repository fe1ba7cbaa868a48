// SPDX-License-Identifier: MIT
/* fentry/fexit: the program is verified once per argument position by libbpf, then loaded again per function
 * from the same final instructions (BPF_PROG_TYPE_TRACING needs one load per target); probe ids by function
 * address (bpf_get_func_ip -> probe_by_ip). vmlinux functions only. */
#include "attach_backends.h"
#include "kallsyms.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Loads the verified template of `pname` again for p's function and attaches it; returns the link fd (or -1 with
 * errno), the program fd in *prog_fd. */
static int load_tracing(struct trace_ctx *c, struct probe *p, const char *pname, enum bpf_attach_type type,
                        int *prog_fd)
{
	const struct prog_template *t = filter_template(&c->filter, pname);
	*prog_fd = -1;
	if (!t) {
		errno = ENOENT;
		return -1;
	}
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = type, .attach_btf_id = p->fn->btf_id,
	            .prog_btf_fd = t->prog_btf_fd, .func_info = t->func_info, .func_info_cnt = t->func_info_cnt,
	            .func_info_rec_size = t->func_info_rec_size);
	*prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, pname, "Dual MIT/GPL", t->insns, t->cnt, &o);
	if (*prog_fd < 0)
		return -1;
	int l = bpf_raw_tracepoint_open(NULL, *prog_fd);
	if (l < 0) {
		int e = errno;
		close(*prog_fd);
		*prog_fd = -1;
		errno = e;
	}
	return l;
}

/* Why p cannot have an fentry program at all, or NULL. */
static const char *unfit(struct probe *p)
{
	if (!p->fn || p->fn->module)
		return p->fn ? "module functions need kprobe" : "not in BTF";
	if (!(p->addr = traceable_addr(p->name)))
		return "not in kallsyms";
	return NULL;
}

static void attach_one(struct trace_ctx *c, struct probe *p)
{
	int map = bpf_map__fd(c->skel->maps.probe_by_ip);
	const char *why = unfit(p);
	char pname[16];
	if (why) {
		snprintf(p->err, sizeof(p->err), "fentry: %s", why);
		return;
	}
	if (bpf_map_update_elem(map, &p->addr, &p->cookie, BPF_ANY)) {
		snprintf(p->err, sizeof(p->err), "fentry: probe map: %s", strerror(errno));
		return;
	}
	snprintf(pname, sizeof(pname), "fentry_skb_%d", p->pos);
	if ((p->link_fd = load_tracing(c, p, pname, BPF_TRACE_FENTRY, &p->fd)) < 0) {
		/* errno 524 is the kernel's ENOTSUPP (e.g. more arguments than the trampoline saves) */
		snprintf(p->err, sizeof(p->err), "fentry: %s",
		         errno == 524 ? "not supported by the trampoline (more than 6 arguments?)" : strerror(errno));
		bpf_map_delete_elem(map, &p->addr);
		return;
	}
	p->attached = true;
	if (!probe_needs_ret(p))
		return;
	snprintf(pname, sizeof(pname), "fexit_skb_%d", p->pos);
	p->ret_link_fd = load_tracing(c, p, pname, BPF_TRACE_FEXIT, &p->ret_fd);
	p->ret_attached = p->ret_link_fd >= 0;
	if (!p->ret_attached)
		fprintf(stderr, "pktpath-loader: %s: fexit: %s\n", p->name, strerror(errno));
}

void fentry_attach(struct trace_ctx *c)
{
	for (int i = 0; i < c->probes.n; i++) {
		struct probe *p = &c->probes.v[i];
		if (p->kind == PK_FENTRY && !p->err[0] && !p->attached)
			attach_one(c, p);
	}
}
