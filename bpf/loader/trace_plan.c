// SPDX-License-Identifier: MIT
#include "trace_plan.h"
#include "tp_cover.h"
#include <stdio.h>
#include <string.h>

/* Same order as the TP_* enum in pktpath.bpf.c: the path tracepoints, then kmem_cache_free (never a hop). */
const char *const tracepoint_names[] = {
	"netif_receive_skb",
	"netif_rx",
	"napi_gro_receive_entry",
	"net_dev_queue",
	"net_dev_start_xmit",
	"net_dev_xmit",
	"kfree_skb",
	"consume_skb",
	"skb_copy_datagram_iovec",
	"netif_receive_skb_entry",
	"netif_rx_entry",
	"netif_receive_skb_list_entry",
	"kmem_cache_free",
};
const int ntracepoints = sizeof(tracepoint_names) / sizeof(tracepoint_names[0]);
const int tp_slab_free = ntracepoints - 1;

/* skb copies: their return probe adds the new skb to the packet (pwru's --filter-track-skb). pskb_copy() and
 * skb_realloc_headroom()/skb_expand_head()/skb_unshare()/skb_share_check() all end up in one of these; head
 * reallocation (pskb_expand_head) keeps the sk_buff, so its address stays tracked. */
static const char *const clone_funcs[] = { "skb_clone", "skb_copy", "__pskb_copy_fclone", "skb_copy_expand" };
/* where an sk_buff struct goes back to its cache: tracking of that address ends */
static const char *const end_funcs[] = { "kfree_skbmem", "napi_skb_cache_put" };
/* recvmsg's copies to user space: they run in the receiving process, which the probe records */
static const char *const task_funcs[] = { "skb_copy_datagram_iter", "skb_copy_and_csum_datagram_msg",
	                                  "skb_copy_and_hash_datagram_iter" };
#define NELEM(a) (int)(sizeof(a) / sizeof((a)[0]))

static bool in_list(const char *name, const char *const *list, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

/* What a function does to its skb (PROBE_* in pktpath.h), from its name. */
static __u64 func_flags(const char *name)
{
	if (in_list(name, end_funcs, NELEM(end_funcs)))
		return PROBE_END | PROBE_TAIL;
	if (in_list(name, clone_funcs, NELEM(clone_funcs)))
		return PROBE_CLONE;
	if (in_list(name, task_funcs, NELEM(task_funcs)))
		return PROBE_TASK;
	if (!strcmp(name, "__kfree_skb"))
		return PROBE_FREE | PROBE_TAIL;
	if (!strcmp(name, "kfree_skb_reason"))
		return 2ULL << PROBE_REASON_SHIFT;
	if (!strcmp(name, "sk_skb_reason_drop"))
		return 3ULL << PROBE_REASON_SHIFT;
	/* skb_release_data, skb_free_head, sock_wfree, ...: called on an skb being freed */
	if (strstr(name, "free") || strstr(name, "release") || strstr(name, "destructor"))
		return PROBE_TAIL;
	return 0;
}

static int add_tracepoint(struct trace_ctx *c, int tp, char *err, size_t errlen)
{
	struct probe *p = probe_add(&c->probes, tracepoint_names[tp], PK_RAW_TP);
	if (!p) {
		snprintf(err, errlen, "probes: out of memory");
		return -1;
	}
	p->tp = tp;
	return 0;
}

int tracepoint_index(const char *name)
{
	for (int t = 0; t < ntracepoints; t++)
		if (!strcmp(tracepoint_names[t], name))
			return t;
	return -1;
}

static bool func_attached(const void *arg, const char *name)
{
	const struct trace_ctx *c = arg;
	for (int i = c->nfixed; i < c->probes.n; i++)
		if (c->probes.v[i].attached && !strcmp(c->probes.v[i].name, name))
			return true;
	return false;
}

static bool func_exists(const void *arg, const char *name)
{
	return skb_funcs_find(&((const struct trace_ctx *)arg)->funcs, name) != NULL;
}

bool tracepoint_covered_by(const struct trace_ctx *c, int t, char *by, size_t len)
{
	by[0] = 0;
	if (c->cfg.tp_mode != LIST_ALL || t < 0 || t >= tp_slab_free)
		return false;
	return tp_covered(tracepoint_names[t], func_attached, func_exists, c, by, len);
}

/* Tracking is by skb address, and an address is reused as soon as its skb is freed (the next echo request often
 * gets the last one's). Without a free point, a trace of TC hooks alone would file every later skb at that
 * address under the first packet, so the points that free an skb are always attached: those the config left
 * out quietly (they end tracking, never start a packet, write no event). pwru keeps kfree_skbmem for the same.
 * kmem_cache_free stands in for kfree_skbmem where no function probe attaches (attach_slab_free). */
static void plan_quiet_frees(struct trace_ctx *c)
{
	c->quiet_tps |= 1u << tp_slab_free;
	static const char *const frees[] = { "kfree_skb", "consume_skb" };
	for (int f = 0; f < NELEM(frees); f++) {
		int t = tracepoint_index(frees[f]), i = 0;
		while (i < c->nfixed && !(c->probes.v[i].kind == PK_RAW_TP && c->probes.v[i].tp == t))
			i++;
		if (t >= 0 && i == c->nfixed)
			c->quiet_tps |= 1u << t;
	}
}

int plan_fixed(struct trace_ctx *c, char *err, size_t errlen)
{
	const struct config *cfg = &c->cfg;
	for (int t = 0; cfg->tp_mode == LIST_ALL && t < tp_slab_free; t++)
		if (add_tracepoint(c, t, err, errlen))
			return -1;
	for (int i = 0; cfg->tp_mode == LIST_EXPLICIT && i < cfg->ntp; i++) {
		int t = tracepoint_index(cfg->tracepoints[i]);
		if (t < 0 || t == tp_slab_free) {
			snprintf(err, errlen, "probes.tracepoints: unknown tracepoint \"%s\"", cfg->tracepoints[i]);
			return -1;
		}
		if (add_tracepoint(c, t, err, errlen))
			return -1;
	}
	for (int i = 0; i < cfg->ntc; i++)
		for (int egress = 0; egress < 2; egress++) {
			char name[64];
			if (!(egress ? cfg->tc[i].egress : cfg->tc[i].ingress))
				continue;
			snprintf(name, sizeof(name), "tc/%s/%s", egress ? "egress" : "ingress", cfg->tc[i].ifname);
			struct probe *p = probe_add(&c->probes, name, PK_TC);
			if (!p) {
				snprintf(err, errlen, "probes: out of memory");
				return -1;
			}
			p->tc_req = i;
			p->egress = egress;
		}
	c->nfixed = c->probes.n;
	plan_quiet_frees(c);
	return 0;
}

/* One function probe; -1 when out of memory. */
static int plan_one(struct trace_ctx *c, enum probe_kind kind, const struct func_req *req)
{
	const struct skb_func *f = skb_funcs_find(&c->funcs, req->name);
	struct probe *p = probe_add(&c->probes, req->name, kind);
	if (!p)
		return -1;
	p->pos = req->pos ? req->pos : f ? f->pos : 0;
	p->fn = f;
	p->cookie |= func_flags(req->name) | (req->ret ? PROBE_RET : 0) | (req->stack ? PROBE_STACK : 0);
	if (!f && !req->pos)
		snprintf(p->err, sizeof(p->err), "no such function taking a struct sk_buff * in BTF");
	else if (f && !f->traceable && !c->funcs.filter_err[0])
		snprintf(p->err, sizeof(p->err), "not traceable (not in available_filter_functions)");
	p->planned_err = p->err[0] != 0;
	return 0;
}

static bool planned(const struct probe_table *t, const char *name, int from)
{
	for (int i = from; i < t->n; i++)
		if (!strcmp(t->v[i].name, name))
			return true;
	return false;
}

/* Tracking needs the copy and release points, whatever the list: added when this kernel has them. */
static int plan_tracking(struct trace_ctx *c, enum probe_kind kind, int from)
{
	const char *const *lists[] = { clone_funcs, end_funcs };
	int nlist[] = { NELEM(clone_funcs), NELEM(end_funcs) };
	for (int l = 0; l < 2; l++)
		for (int i = 0; i < nlist[l]; i++) {
			const struct skb_func *f = skb_funcs_find(&c->funcs, lists[l][i]);
			struct func_req r = { 0 };
			snprintf(r.name, sizeof(r.name), "%s", lists[l][i]);
			if (f && f->traceable && !planned(&c->probes, r.name, from) && plan_one(c, kind, &r))
				return -1;
		}
	return 0;
}

int plan_functions(struct trace_ctx *c, enum probe_kind kind)
{
	int from = c->probes.n, usable = 0;
	if (c->cfg.fn_mode == LIST_NONE)
		return 0;
	for (int i = 0; c->cfg.fn_mode == LIST_ALL && i < c->funcs.n; i++) {
		struct func_req r = { .pos = c->funcs.v[i].pos };
		snprintf(r.name, sizeof(r.name), "%s", c->funcs.v[i].name);
		if (c->funcs.v[i].traceable && plan_one(c, kind, &r))
			return -1;
	}
	for (int i = 0; c->cfg.fn_mode == LIST_EXPLICIT && i < c->cfg.nfuncs; i++)
		if (plan_one(c, kind, &c->cfg.funcs[i]))
			return -1;
	if (plan_tracking(c, kind, from))
		return -1;
	for (int i = from; i < c->probes.n; i++)
		usable += !c->probes.v[i].planned_err;
	return usable;
}
