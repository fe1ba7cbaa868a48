// SPDX-License-Identifier: MIT
#include "trace_load.h"
#include "kernel_features.h"
#include "libbpf_log.h"
#include "loader.h"
#include "trace_plan.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* `auto`: fentry costs least per hit (a direct trampoline call; kprobe-multi goes through fprobe's ftrace handler:
 * on Debian 6.12 the default set's miss path kept 0.48 of untraced with fentry, 0.42 with kprobe-multi), but each
 * fentry function needs its own program load and trampoline, and releasing one waits for the kernel (about 0.1 s
 * per function in the lab's TCG VM: 1,841 functions took 3 minutes to attach and 3 to detach). Up to this many
 * functions fentry comes first; above, kprobe-multi (one link per argument position), else kprobes. */
#define AUTO_FENTRY_MAX 128

/* What a program of the object is for, from its name. */
enum prog_role {
	ROLE_TP,
	ROLE_TC,
	ROLE_KPROBE,
	ROLE_KRETPROBE,
	ROLE_KMULTI,
	ROLE_KMULTI_RET,
	ROLE_FENTRY,
	ROLE_FEXIT,
	ROLE_OTHER
};
struct prog_info {
	enum prog_role role;
	int pos; /* function programs: the skb argument position (1..5); tc: 1 for egress */
};

static struct prog_info prog_info(const char *n)
{
	static const struct {
		const char *prefix;
		enum prog_role role;
	} per_pos[] = { { "kprobe_skb_", ROLE_KPROBE },
		        { "kmulti_skb_", ROLE_KMULTI },
		        { "fentry_skb_", ROLE_FENTRY },
		        { "fexit_skb_", ROLE_FEXIT } };
	size_t len = strlen(n);
	if (!strcmp(n, "kretprobe_skb"))
		return (struct prog_info){ ROLE_KRETPROBE, 0 };
	if (!strcmp(n, "kmulti_ret_skb"))
		return (struct prog_info){ ROLE_KMULTI_RET, 0 };
	if (!strcmp(n, "tc_ingress") || !strcmp(n, "tc_egress"))
		return (struct prog_info){ ROLE_TC, !strcmp(n, "tc_egress") };
	if (!strncmp(n, "tp_", 3))
		return (struct prog_info){ ROLE_TP, 0 };
	for (size_t i = 0; i < sizeof(per_pos) / sizeof(per_pos[0]); i++) {
		size_t pl = strlen(per_pos[i].prefix);
		if (len == pl + 1 && !strncmp(n, per_pos[i].prefix, pl) && n[pl] >= '1' && n[pl] <= '5')
			return (struct prog_info){ per_pos[i].role, n[pl] - '0' };
	}
	return (struct prog_info){ ROLE_OTHER, 0 };
}

static bool in_chain(const enum backend *chain, int n, enum backend b)
{
	for (int i = 0; i < n; i++)
		if (chain[i] == b)
			return true;
	return false;
}

/* Which argument positions the function probes use, and which need a return probe ([0]: any). */
struct func_use {
	bool pos[6], ret[6], stack;
};

static struct func_use func_use(const struct trace_ctx *c, bool with_funcs)
{
	struct func_use u = { .stack = c->cfg.stack || c->cfg.drop_stack };
	for (int i = c->nfixed; with_funcs && i < c->probes.n; i++) {
		const struct probe *p = &c->probes.v[i];
		if (p->planned_err || p->pos < 1 || p->pos > 5)
			continue;
		u.pos[p->pos] = true;
		u.ret[p->pos] |= probe_needs_ret(p);
		u.ret[0] |= probe_needs_ret(p);
		u.stack |= (p->cookie & PROBE_STACK) != 0;
	}
	return u;
}

/* fentry/fexit are verified against one BTF target each, the first vmlinux function at their position (then
 * loaded again per function from the same instructions). */
static bool set_tracing_target(const struct trace_ctx *c, struct bpf_program *prog, int pos, bool ret)
{
	for (int i = c->nfixed; i < c->probes.n; i++) {
		const struct probe *p = &c->probes.v[i];
		if (p->pos == pos && p->fn && !p->fn->module && !p->planned_err && (!ret || probe_needs_ret(p)))
			return bpf_program__set_attach_target(prog, 0, p->name) == 0;
	}
	return false;
}

/* Whether to load `prog` for the backends of chain[0..n) (none: tracepoints and TC only). */
static bool want_prog(const struct trace_ctx *c, struct bpf_program *prog, const enum backend *chain, int n,
                      const struct func_use *u)
{
	const char *name = bpf_program__name(prog);
	struct prog_info pi = prog_info(name);
	bool kp = in_chain(chain, n, BK_KPROBE), km = in_chain(chain, n, BK_KPROBE_MULTI);
	bool fe = in_chain(chain, n, BK_FENTRY);
	switch (pi.role) {
	case ROLE_TP:
	case ROLE_TC:
		for (int i = 0; i < c->nfixed; i++) {
			const struct probe *p = &c->probes.v[i];
			if (pi.role == ROLE_TP ? p->kind == PK_RAW_TP && !strcmp(p->name, name + 3)
			                       : p->kind == PK_TC && p->egress == pi.pos)
				return true;
		}
		return pi.role == ROLE_TP && tracepoint_index(name + 3) >= 0 &&
		       (c->quiet_tps & (1u << tracepoint_index(name + 3)));
	case ROLE_KRETPROBE:
		return kp && u->ret[0];
	case ROLE_KMULTI_RET:
		return km && u->ret[0];
	case ROLE_KPROBE:
		return kp && u->pos[pi.pos];
	case ROLE_KMULTI:
		return km && u->pos[pi.pos];
	case ROLE_FENTRY:
	case ROLE_FEXIT:
		return fe && (pi.role == ROLE_FEXIT ? u->ret : u->pos)[pi.pos] &&
		       set_tracing_target(c, prog, pi.pos, pi.role == ROLE_FEXIT);
	default:
		return false;
	}
}

static void set_rodata(struct trace_ctx *c, const struct func_use *u)
{
	struct pktpath_bpf *s = c->skel;
	for (int i = 0; i < c->nfixed; i++) {
		const struct probe *p = &c->probes.v[i];
		if (p->kind == PK_RAW_TP)
			s->rodata->tp_probe_id[p->tp] = i;
		else
			s->rodata->tc_probe_id[p->egress] = i;
	}
	s->rodata->tp_quiet = c->quiet_tps;
	s->rodata->tp_kfree_reason = tracepoint_has_args("kfree_skb", 3);
	s->rodata->tp_slab_cache_arg = tracepoint_arg_is_struct("kmem_cache_free", 2, "kmem_cache");
	s->rodata->kp_cookie = c->kp_cookie;
	s->rodata->cfg_ncpus = libbpf_num_possible_cpus() > 0 ? libbpf_num_possible_cpus() : 1;
	s->rodata->cfg_netns = c->cfg.netns;
	s->rodata->cfg_ifindex = c->cfg.ifindex;
	memcpy((void *)s->rodata->cfg_ifname, c->cfg.ifname, sizeof(c->cfg.ifname));
	s->rodata->cfg_mark = c->cfg.mark;
	s->rodata->cfg_mark_mask = c->cfg.mark_mask;
	s->rodata->cfg_max_packets = c->cfg.max_packets;
	s->rodata->cfg_stack = c->cfg.stack;
	s->rodata->cfg_drop_stack = c->cfg.drop_stack;
	s->rodata->cfg_snaplen = c->cfg.snaplen;
	bpf_map__set_max_entries(s->maps.tracked, c->cfg.track_max);
	bpf_map__set_max_entries(s->maps.events, c->cfg.ringbuf_bytes);
	if (!u->stack)
		bpf_map__set_max_entries(s->maps.stacks, 1);
}

/* pktpath_bpf's skeleton over the ELF of the build the kernel calls for (bpf_objects.h). */
static struct pktpath_bpf *open_object(enum bpf_object_kind kind)
{
	size_t size = 0;
	const void *elf = bpf_object_elf(kind, &size);
	struct pktpath_bpf *s = elf ? calloc(1, sizeof(*s)) : NULL;
	int e = !elf ? -errno : s ? pktpath_bpf__create_skeleton(s) : -ENOMEM;
	if (!e) {
		s->skeleton->data = (void *)elf;
		s->skeleton->data_sz = size;
		e = bpf_object__open_skeleton(s->skeleton, NULL);
	}
	if (e) {
		pktpath_bpf__destroy(s);
		errno = -e;
		return NULL;
	}
	return s;
}

/* Opens and loads the object c->object with the programs of the function backends chain[0..n). */
static int load_object_kind(struct trace_ctx *c, const enum backend *chain, int n, char *err, size_t errlen)
{
	struct bpf_program *prog;
	struct func_use u = func_use(c, n > 0);
	if (!(c->skel = open_object(c->object))) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		return -1;
	}
	c->filter.obj = c->skel->obj;
	set_rodata(c, &u);
	bpf_object__for_each_program(prog, c->skel->obj)
		bpf_program__set_autoload(prog, want_prog(c, prog, chain, n, &u));
	int e = pktpath_bpf__load(c->skel);
	if (e) {
		snprintf(err, errlen, "load: %s", strerror(-e));
		pktpath_bpf__destroy(c->skel);
		c->skel = NULL;
		c->filter.obj = NULL;
		return -1;
	}
	return 0;
}

int trace_use_object(struct trace_ctx *c, enum bpf_object_kind kind, char *err, size_t errlen)
{
	filter_views_free(&c->filter.views);
	c->object = kind;
	return filter_compile(c->cfg.filter, kind == OBJ_DIRECT, &c->filter.views, err, errlen);
}

/* As load_object_kind; a direct object the verifier refuses is tried again as the full one (the same programs
 * with helper reads): a kernel whose verifier has bpf_rdonly_cast but takes some use of it differently still
 * traces, a little slower, and the attached record says why (objectFallback). */
static int load_object(struct trace_ctx *c, const enum backend *chain, int n, char *err, size_t errlen)
{
	if (!load_object_kind(c, chain, n, err, errlen))
		return 0;
	if (c->object != OBJ_DIRECT)
		return -1;
	char ferr[160];
	const char *last = libbpf_log_last();
	snprintf(c->object_err, sizeof(c->object_err), "%s%s%s", err, last[0] ? ": " : "", last);
	if (!trace_use_object(c, OBJ_FULL, ferr, sizeof(ferr)) && !load_object_kind(c, chain, n, ferr, sizeof(ferr)))
		return 0;
	/* the full object fails as well: the cause is not the direct object's; report the first failure */
	c->object_err[0] = 0;
	if (trace_use_object(c, OBJ_DIRECT, ferr, sizeof(ferr)))
		snprintf(err, errlen, "%s", ferr);
	return -1;
}

static void add_chain_fallback(struct trace_ctx *c, enum backend b, const char *why)
{
	if (c->nfallbacks >= (int)(sizeof(c->fallbacks) / sizeof(c->fallbacks[0])))
		return;
	c->fallbacks[c->nfallbacks].backend = b;
	snprintf(c->fallbacks[c->nfallbacks++].err, sizeof(c->fallbacks[0].err), "%s", why);
}

/* The function backends to use, best first, each feature-tested with the tiny program `loader probe` uses (so
 * auto pays no full verifier run for a backend it cannot use); those that fail go to the fallbacks. auto: by cost
 * and coverage (above); an explicit backend: that one only. Returns how many are in c->order. */
static int backend_order(struct trace_ctx *c, int nfuncs)
{
	static const struct {
		enum backend b;
		enum attach_test t;
	} tested[] = { { BK_KPROBE_MULTI, AT_KPROBE_MULTI }, { BK_FENTRY, AT_FENTRY }, { BK_KPROBE, AT_KPROBE } };
	/* fentry's refusals (module functions, too many arguments) go to kprobe; with kprobe-multi, what it refuses
	 * goes to kprobe too (fentry's templates would cost a verifier run each, for functions a kprobe takes as
	 * well); for a large set without it, kprobe's refusals go to fentry */
	static const enum backend multi[] = { BK_KPROBE_MULTI, BK_KPROBE }, small[] = { BK_FENTRY, BK_KPROBE },
	                          large[] = { BK_KPROBE, BK_FENTRY };
	bool ok[BK_TC + 1] = { 0 };
	int n = 0;
	for (size_t i = 0; i < sizeof(tested) / sizeof(tested[0]); i++) {
		char kerr[200], why[300];
		if (c->cfg.attach != BK_AUTO && c->cfg.attach != tested[i].b)
			continue;
		ok[tested[i].b] = attach_kind_ok(tested[i].t, kerr, sizeof(kerr));
		snprintf(why, sizeof(why), "feature test: %s", kerr);
		if (!ok[tested[i].b])
			add_chain_fallback(c, tested[i].b, why);
	}
	bool few = nfuncs <= AUTO_FENTRY_MAX;
	const enum backend *pref = few && ok[BK_FENTRY] ? small : ok[BK_KPROBE_MULTI] ? multi : few ? small : large;
	for (int i = 0; i < 2; i++)
		if (ok[pref[i]])
			c->order[n++] = pref[i];
	return n;
}

/* Loads the object for the first chain of c->order whose programs load (then for its head alone); the skipped
 * backends go to the fallbacks. Sets c->chain and c->nchain (0: none loaded). */
static void load_chain(struct trace_ctx *c, int n)
{
	char err[512], why[1100];
	for (int k = 0; k < n; k++) {
		libbpf_log_clear();
		c->chain = c->order + k;
		if (!load_object(c, c->order + k, n - k, err, sizeof(err))) {
			c->nchain = n - k;
			return;
		}
		const char *last = libbpf_log_last();
		snprintf(why, sizeof(why), "%s%s%s", err, last[0] ? ": " : "", last);
		if (n - k > 1 && !load_object(c, c->order + k, 1, err, sizeof(err))) {
			for (int j = k + 1; j < n; j++) /* no per-function fallback to these */
				add_chain_fallback(c, c->order[j], why);
			c->nchain = 1;
			return;
		}
		add_chain_fallback(c, c->order[k], why);
	}
	c->chain = NULL;
	c->nchain = 0;
}

enum bpf_object_kind trace_pick_object(void)
{
	return !kernel_has_atomic_fetch() ? OBJ_COMPAT : kernel_has_rdonly_cast() ? OBJ_DIRECT : OBJ_FULL;
}

int trace_load(struct trace_ctx *c, int usable_funcs, char *err, size_t errlen)
{
	c->kp_cookie = kernel_has_attach_cookie();
	if (usable_funcs)
		load_chain(c, backend_order(c, usable_funcs));
	for (int i = c->nfixed; i < c->probes.n && c->nchain; i++)
		c->probes.v[i].kind = backend_probe_kind(c->chain[0]);
	if (c->skel)
		return 0;
	/* no function backend: the functions stay in the table, failed, and the rest still runs */
	for (int i = c->nfixed; i < c->probes.n; i++)
		if (!c->probes.v[i].err[0])
			snprintf(c->probes.v[i].err, sizeof(c->probes.v[i].err),
			         "no function attach kind works on this kernel");
	libbpf_log_clear();
	char lerr[512];
	if (load_object(c, NULL, 0, lerr, sizeof(lerr))) {
		const char *last = libbpf_log_last();
		snprintf(err, errlen, "%s%s%s", lerr, last[0] ? ": " : "", last);
		return -1;
	}
	return 0;
}
