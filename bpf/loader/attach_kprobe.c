// SPDX-License-Identifier: MIT
/* kprobe/kretprobe: one program per argument position, one perf link per function (cookie = probe id); return
 * probes get the skb from the entry probe (ret_stash). Registration is slow per function: several threads. */
#include "attach_backends.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { KPROBE_THREADS = 8 };

static void attach_one(struct trace_ctx *c, int i)
{
	struct probe *p = &c->probes.v[i];
	char pname[16];
	if (p->kind != PK_KPROBE || p->err[0] || p->attached)
		return;
	snprintf(pname, sizeof(pname), "kprobe_skb_%d", p->pos);
	struct bpf_program *prog = bpf_object__find_program_by_name(c->skel->obj, pname);
	LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = p->cookie);
	struct bpf_link *l = prog ? bpf_program__attach_kprobe_opts(prog, p->name, &o) : NULL;
	int e = prog ? libbpf_get_error(l) : -ENOENT;
	if (e) {
		snprintf(p->err, sizeof(p->err), "kprobe: %s", strerror(-e));
		return;
	}
	p->link = l;
	p->attached = true;
	if (probe_needs_ret(p)) {
		LIBBPF_OPTS(bpf_kprobe_opts, ro, .bpf_cookie = p->cookie, .retprobe = true);
		l = bpf_program__attach_kprobe_opts(c->skel->progs.kretprobe_skb, p->name, &ro);
		p->ret_link = libbpf_get_error(l) ? NULL : l;
		p->ret_attached = p->ret_link != NULL;
	}
}

void kprobe_attach(struct trace_ctx *c)
{
	for_each_probe_parallel(c, KPROBE_THREADS, attach_one);
}
