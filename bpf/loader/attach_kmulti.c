// SPDX-License-Identifier: MIT
/* kprobe-multi: one link per (argument position, entry/return) by address; the kernel refuses a whole batch for
 * one bad address, so a refused batch is split in halves until the culprits are isolated. */
#include "attach_backends.h"
#include "kallsyms.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct batch {
	struct trace_ctx *c;
	struct bpf_program *prog;
	bool ret;
	int *idx; /* probe indexes of the batch */
};

/* Attaches idx[lo..hi) as one link; true when the kernel took it. */
static bool attach_range(struct batch *b, int lo, int hi, int *err)
{
	struct probe *v = b->c->probes.v;
	unsigned long *addrs = calloc(hi - lo, sizeof(*addrs));
	__u64 *cookies = calloc(hi - lo, sizeof(*cookies));
	bool ok = false;
	*err = -ENOMEM;
	if (addrs && cookies) {
		for (int k = lo; k < hi; k++) {
			addrs[k - lo] = v[b->idx[k]].addr;
			cookies[k - lo] = v[b->idx[k]].cookie;
		}
		LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .addrs = addrs, .cookies = cookies, .cnt = hi - lo,
		            .retprobe = b->ret);
		struct bpf_link *l = bpf_program__attach_kprobe_multi_opts(b->prog, NULL, &o);
		if (!(*err = libbpf_get_error(l))) {
			for (int k = lo; k < hi; k++)
				*(b->ret ? &v[b->idx[k]].ret_attached : &v[b->idx[k]].attached) = true;
			/* the batch's link lives on its first probe */
			*(b->ret ? &v[b->idx[lo]].ret_link : &v[b->idx[lo]].link) = l;
			ok = true;
		}
	}
	free(addrs);
	free(cookies);
	return ok;
}

static void fail_one(struct batch *b, int i, int e)
{
	struct probe *p = &b->c->probes.v[i];
	if (b->ret) /* the entry probe stays: only the return value is missing */
		fprintf(stderr, "pktpath-loader: %s: kretprobe-multi: %s\n", p->name, strerror(-e));
	else
		snprintf(p->err, sizeof(p->err), "kprobe-multi: %s", strerror(-e));
}

static void attach_split(struct batch *b, int n)
{
	struct {
		int lo, hi;
	} stack[64];
	int sp = 0, e;
	if (n) {
		stack[0].lo = 0;
		stack[0].hi = n;
		sp = 1;
	}
	while (sp) {
		sp--;
		int lo = stack[sp].lo, hi = stack[sp].hi;
		if (attach_range(b, lo, hi, &e))
			continue;
		if (hi - lo == 1 || e == -ENOMEM || sp + 2 > 64) {
			for (int k = lo; k < hi; k++)
				fail_one(b, b->idx[k], e);
			continue;
		}
		int mid = (lo + hi) / 2;
		stack[sp].lo = lo;
		stack[sp++].hi = mid;
		stack[sp].lo = mid;
		stack[sp++].hi = hi;
	}
}

/* The probes at `pos` this pass takes: entries not attached yet, or returns of attached entries. */
static int select_probes(struct trace_ctx *c, int pos, bool ret, int *idx)
{
	int n = 0;
	for (int i = 0; i < c->probes.n; i++) {
		struct probe *p = &c->probes.v[i];
		if (p->kind != PK_KPROBE_MULTI || p->pos != pos || p->err[0] ||
		    (ret ? !p->attached || !probe_needs_ret(p) : p->attached))
			continue;
		if (!ret && !(p->addr = traceable_addr(p->name))) {
			snprintf(p->err, sizeof(p->err), "kprobe-multi: not in /proc/kallsyms");
			continue;
		}
		idx[n++] = i;
	}
	return n;
}

static void attach_pos(struct trace_ctx *c, int pos, bool ret, int *idx)
{
	static const char *const names[] = {
		"", "kmulti_skb_1", "kmulti_skb_2", "kmulti_skb_3", "kmulti_skb_4", "kmulti_skb_5"
	};
	struct batch b = { c, bpf_object__find_program_by_name(c->skel->obj, ret ? "kmulti_ret_skb" : names[pos]), ret,
		           idx };
	int n = select_probes(c, pos, ret, idx);
	if (!b.prog) {
		for (int k = 0; k < n; k++)
			fail_one(&b, idx[k], -ENOENT);
		return;
	}
	attach_split(&b, n);
}

void kmulti_attach(struct trace_ctx *c)
{
	int *idx = calloc(c->probes.n ? c->probes.n : 1, sizeof(*idx));
	if (!idx) { /* nothing can be attached: say why on each */
		for (int i = 0; i < c->probes.n; i++) {
			struct probe *p = &c->probes.v[i];
			if (p->kind == PK_KPROBE_MULTI && !p->err[0] && !p->attached)
				snprintf(p->err, sizeof(p->err), "kprobe-multi: %s", strerror(ENOMEM));
		}
		return;
	}
	for (int pos = 1; pos <= 5; pos++) {
		attach_pos(c, pos, false, idx);
		attach_pos(c, pos, true, idx);
	}
	free(idx);
}
