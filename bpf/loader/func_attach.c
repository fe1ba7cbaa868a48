// SPDX-License-Identifier: MIT
#include "func_attach.h"
#include "filter_patch.h"
#include "json.h"
#include "kallsyms.h"
#include "probe_table.h"
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *backend_kind(enum backend b)
{
	return b == BK_KPROBE_MULTI ? "kprobe-multi" : b == BK_FENTRY ? "fentry" : "kprobe";
}

/* One kprobe-multi link per (position, entry/return) by address; the kernel refuses a whole batch for one bad
 * address, so a refused batch is split in halves until the culprits are isolated. */
static void attach_kprobe_multi(int pos, bool ret)
{
	static const char *const names[] = { "", "kmulti_skb_1", "kmulti_skb_2", "kmulti_skb_3", "kmulti_skb_4", "kmulti_skb_5" };
	struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, ret ? "kmulti_ret_skb" : names[pos]);
	int *idx = malloc(nprobes * sizeof(int)), n = 0;
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		if (strcmp(p->kind, "kprobe-multi") || p->pos != pos || p->err[0] ||
		    (ret ? !p->attached || !NEEDS_RET(p) : p->attached))
			continue;
		if (!ret && !(p->addr = traceable_addr(p->name))) {
			snprintf(p->err, sizeof(p->err), "kprobe-multi: not in /proc/kallsyms");
			continue;
		}
		idx[n++] = i;
	}
	struct { int lo, hi; } stack[64];
	int sp = 0;
	if (n)
		stack[sp++] = (typeof(stack[0])){ 0, n };
	while (sp) {
		int lo = stack[sp - 1].lo, hi = stack[sp - 1].hi;
		sp--;
		unsigned long *addrs = malloc((hi - lo) * sizeof(*addrs));
		__u64 *cookies = malloc((hi - lo) * sizeof(__u64));
		for (int k = lo; k < hi; k++) {
			addrs[k - lo] = probes[idx[k]].addr;
			cookies[k - lo] = probes[idx[k]].cookie;
		}
		LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .addrs = addrs, .cookies = cookies, .cnt = hi - lo, .retprobe = ret);
		struct bpf_link *l = bpf_program__attach_kprobe_multi_opts(prog, NULL, &o);
		int e = libbpf_get_error(l);
		if (!e) {
			for (int k = lo; k < hi; k++)
				*(ret ? &probes[idx[k]].ret_attached : &probes[idx[k]].attached) = true;
			/* the batch's link lives on its first probe */
			*(ret ? &probes[idx[lo]].ret_link : &probes[idx[lo]].link) = l;
		} else if (hi - lo == 1) {
			struct probe *p = &probes[idx[lo]];
			if (ret) /* the entry probe stays: only the return value is missing */
				fprintf(stderr, "pktpath-loader: %s: kretprobe-multi: %s\n", p->name, strerror(-e));
			else
				snprintf(p->err, sizeof(p->err), "kprobe-multi: %s", strerror(-e));
		} else if (sp + 2 <= 64) {
			int mid = (lo + hi) / 2;
			stack[sp++] = (typeof(stack[0])){ lo, mid };
			stack[sp++] = (typeof(stack[0])){ mid, hi };
		}
		free(addrs);
		free(cookies);
	}
	free(idx);
}

/* kprobe registration is slow per function, and so is releasing a link: both run from a few threads at once */
enum { NTHREADS = 8 };
struct job { int from, step; };

static void *kprobe_worker(void *arg)
{
	struct job *j = arg;
	for (int i = j->from; i < nprobes; i += j->step) {
		struct probe *p = &probes[i];
		if (strcmp(p->kind, "kprobe") || p->err[0] || p->attached)
			continue;
		char pname[16];
		snprintf(pname, sizeof(pname), "kprobe_skb_%d", p->pos);
		struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, pname);
		LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = p->cookie);
		struct bpf_link *l = prog ? bpf_program__attach_kprobe_opts(prog, p->name, &o) : NULL;
		int e = prog ? libbpf_get_error(l) : -ENOENT;
		if (e) {
			snprintf(p->err, sizeof(p->err), "kprobe: %s", strerror(-e));
			continue;
		}
		p->link = l;
		p->attached = true;
		if (NEEDS_RET(p)) {
			LIBBPF_OPTS(bpf_kprobe_opts, ro, .bpf_cookie = p->cookie, .retprobe = true);
			l = bpf_program__attach_kprobe_opts(skel->progs.kretprobe_skb, p->name, &ro);
			p->ret_link = libbpf_get_error(l) ? NULL : l;
			p->ret_attached = p->ret_link != NULL;
		}
	}
	return NULL;
}

static void run_threads(void *(*fn)(void *))
{
	pthread_t th[NTHREADS];
	struct job jobs[NTHREADS];
	for (int t = 0; t < NTHREADS; t++) {
		jobs[t] = (struct job){ t, NTHREADS };
		pthread_create(&th[t], NULL, fn, &jobs[t]);
	}
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
}

/* Loads the verified template of `pname` again for one more target and attaches it; returns the link fd. */
static int load_tracing(struct probe *p, const char *pname, enum bpf_attach_type type, int *prog_fd)
{
	const struct prog_template *t = filter_template(pname);
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

static void attach_fentry(void)
{
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		if (strcmp(p->kind, "fentry") || p->err[0] || p->attached)
			continue;
		if (!p->fn || p->fn->module) {
			snprintf(p->err, sizeof(p->err), "fentry: %s", p->fn ? "module functions need kprobe" : "not in BTF");
			continue;
		}
		if (!(p->addr = traceable_addr(p->name))) {
			snprintf(p->err, sizeof(p->err), "fentry: not in kallsyms");
			continue;
		}
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.probe_by_ip), &p->addr, &p->cookie, BPF_ANY)) {
			snprintf(p->err, sizeof(p->err), "fentry: probe map: %s", strerror(errno));
			continue;
		}
		char pname[16];
		snprintf(pname, sizeof(pname), "fentry_skb_%d", p->pos);
		if ((p->link_fd = load_tracing(p, pname, BPF_TRACE_FENTRY, &p->fd)) < 0) {
			/* errno 524 is the kernel's ENOTSUPP (e.g. more arguments than the trampoline saves) */
			snprintf(p->err, sizeof(p->err), "fentry: %s", errno == 524 ? "not supported by the trampoline (more than 6 arguments?)" : strerror(errno));
			bpf_map_delete_elem(bpf_map__fd(skel->maps.probe_by_ip), &p->addr);
			continue;
		}
		p->attached = true;
		snprintf(pname, sizeof(pname), "fexit_skb_%d", p->pos);
		if (NEEDS_RET(p) && !(p->ret_attached = (p->ret_link_fd = load_tracing(p, pname, BPF_TRACE_FEXIT, &p->ret_fd)) >= 0))
			fprintf(stderr, "pktpath-loader: %s: fexit: %s\n", p->name, strerror(errno));
	}
}

/* Moves a probe the previous backend refused to `kind`, keeping that refusal in its fallbacks. */
static void hand_over(struct probe *p, const char *kind)
{
	if (p->err[0]) {
		size_t l = strlen(p->fallbacks);
		FILE *m = fmemopen(p->fallbacks + l, sizeof(p->fallbacks) - l, "w");
		if (m) {
			fprintf(m, "%s{\"backend\":\"%s\",\"error\":", l ? "," : "", p->kind);
			json_write_str(m, p->err);
			fputs("}", m);
			if (fclose(m))
				p->fallbacks[l] = 0; /* did not fit: keep the list valid */
		}
		p->err[0] = 0;
	}
	p->kind = kind;
}

void attach_functions(const enum backend *chain, int n)
{
	kallsyms_load(); /* addresses for kprobe-multi and fentry */
	for (int k = 0; k < n; k++) {
		const char *kind = backend_kind(chain[k]);
		for (int i = 0; i < nprobes; i++) {
			struct probe *p = &probes[i];
			if (is_func_probe(p) && !p->attached && !p->planned_err)
				hand_over(p, kind);
		}
		if (chain[k] == BK_KPROBE_MULTI)
			for (int pos = 1; pos <= 5; pos++) {
				attach_kprobe_multi(pos, false);
				attach_kprobe_multi(pos, true);
			}
		else if (chain[k] == BK_FENTRY)
			attach_fentry();
		else
			run_threads(kprobe_worker);
	}
}

static void *detach_worker(void *arg)
{
	struct job *j = arg;
	for (int i = j->from; i < nprobes; i += j->step) {
		struct probe *p = &probes[i];
		if (!is_func_probe(p))
			continue;
		bpf_link__destroy(p->link);
		bpf_link__destroy(p->ret_link);
		p->link = p->ret_link = NULL;
		int *fds[] = { &p->link_fd, &p->fd, &p->ret_link_fd, &p->ret_fd };
		for (int k = 0; k < 4; k++) {
			if (*fds[k] >= 0)
				close(*fds[k]);
			*fds[k] = -1;
		}
	}
	return NULL;
}

void detach_functions(void)
{
	run_threads(detach_worker);
}
