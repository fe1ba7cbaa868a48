// SPDX-License-Identifier: MIT
/* kprobe/kretprobe: one program per argument position, one perf link per function (cookie = probe id, or by address
 * before 5.15); return probes get the skb from the entry probe (ret_stash). Registration is slow per function:
 * several threads. */
#include "attach_backends.h"
#include "kallsyms.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { KPROBE_THREADS = 8 };

/* Without cookies (kernels < 5.15) the probe word goes into probe_by_ip under the function's address, and the
 * kprobe is placed at that very address, so both name the same instance of a name several static functions share. */
static struct bpf_link *attach_entry(struct trace_ctx *c, struct bpf_program *prog, struct probe *p)
{
	if (c->kp_cookie) {
		LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = p->cookie);
		return bpf_program__attach_kprobe_opts(prog, p->name, &o);
	}
	__u64 word = p->cookie & ~(PROBE_RET | PROBE_CLONE); /* no return probe to hand the skb to */
	if (!(p->addr = traceable_addr(p->name))) {
		errno = ENOENT;
		return NULL;
	}
	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.probe_by_ip), &p->addr, &word, BPF_ANY))
		return NULL; /* errno set */
	LIBBPF_OPTS(bpf_kprobe_opts, o, .offset = p->addr);
	return bpf_program__attach_kprobe_opts(prog, NULL, &o);
}

static void attach_one(struct trace_ctx *c, int i)
{
	struct probe *p = &c->probes.v[i];
	char pname[16];
	if (p->kind != PK_KPROBE || p->err[0] || p->attached)
		return;
	snprintf(pname, sizeof(pname), "kprobe_skb_%d", p->pos);
	struct bpf_program *prog = bpf_object__find_program_by_name(c->skel->obj, pname);
	struct bpf_link *l = prog ? attach_entry(c, prog, p) : NULL;
	int e = prog ? libbpf_get_error(l) : -ENOENT;
	if (e) {
		snprintf(p->err, sizeof(p->err), "kprobe: %s", strerror(-e));
		return;
	}
	p->link = l;
	p->attached = true;
	if (probe_needs_ret(p) && c->kp_cookie) {
		LIBBPF_OPTS(bpf_kprobe_opts, ro, .bpf_cookie = p->cookie, .retprobe = true);
		l = bpf_program__attach_kprobe_opts(c->skel->progs.kretprobe_skb, p->name, &ro);
		p->ret_link = libbpf_get_error(l) ? NULL : l;
		p->ret_attached = p->ret_link != NULL;
	}
}

void kprobe_attach(struct trace_ctx *c)
{
	if (!c->kp_cookie)
		traceable_addr(""); /* loads the symbol tables once, here: the threads below only read them */
	for_each_probe_parallel(c, KPROBE_THREADS, attach_one);
}
