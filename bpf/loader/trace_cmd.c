// SPDX-License-Identifier: MIT
/* `loader trace`: config on stdin, attach, stream events on stdout, detach on a limit, a signal or stdin EOF. */
#define _GNU_SOURCE
#include "loader.h"
#include "btf_skb.h"
#include "config.h"
#include "filter_patch.h"
#include "json.h"
#include "kallsyms.h"
#include "output.h"
#include "pktpath.skel.h"
#include "tc_observer.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* Same order as the TP_* enum in pktpath.bpf.c. */
static const char *const tp_names[] = { "netif_receive_skb", "netif_rx", "napi_gro_receive_entry", "net_dev_queue",
	"net_dev_start_xmit", "net_dev_xmit", "kfree_skb", "consume_skb", "skb_copy_datagram_iovec",
	"netif_receive_skb_entry", "netif_rx_entry", "netif_receive_skb_list_entry" };
#define NTP (int)(sizeof(tp_names) / sizeof(tp_names[0]))

/* `functions: "default"`: the IPv4/IPv6 receive, local delivery, forward and transmit paths, netfilter, drops. */
static const char *const default_funcs[] = { "__netif_receive_skb", "__netif_receive_skb_one_core", "ip_rcv",
	"ip_rcv_core", "ip_rcv_finish", "ip_route_input_noref", "ip_local_deliver", "ip_local_deliver_finish",
	"ip_protocol_deliver_rcu", "icmp_rcv", "icmp_echo", "ping_rcv", "tcp_v4_rcv", "udp_rcv", "ip_forward",
	"ip_forward_finish", "ip_output", "ip_finish_output", "ip_finish_output2", "ip_local_out", "__ip_local_out",
	"ip_send_skb", "ipv6_rcv", "ip6_rcv_finish", "ip6_input", "ip6_output", "ip6_finish_output2", "icmpv6_rcv",
	"nf_hook_slow", "__dev_queue_xmit", "dev_hard_start_xmit", "veth_xmit", "netif_rx", "__netif_rx",
	"enqueue_to_backlog", "kfree_skb_reason", "sk_skb_reason_drop", "consume_skb", "__kfree_skb", "kfree_skbmem",
	"skb_release_data", "neigh_resolve_output", "dst_discard_out", "ip_error" };

/* skb copies: their return probe adds the new skb to the packet (pwru's --filter-track-skb). pskb_copy() and
 * skb_realloc_headroom()/skb_expand_head()/skb_unshare()/skb_share_check() all end up in one of these; head
 * reallocation (pskb_expand_head) keeps the sk_buff, so its address stays tracked. */
static const char *const clone_funcs[] = { "skb_clone", "skb_copy", "__pskb_copy_fclone", "skb_copy_expand" };
/* where an sk_buff struct goes back to its cache: tracking of that address ends */
static const char *const end_funcs[] = { "kfree_skbmem", "napi_skb_cache_put" };
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

struct probe {
	char name[128];
	const char *kind; /* raw_tp, tc, kprobe, kprobe-multi, fentry */
	int pos;
	__u64 cookie;
	const struct skb_func *fn;
	bool attached;
	char err[160];
	struct tc_attachment tc;
	struct bpf_link *link, *ret_link;
	int fd, link_fd; /* fentry: program fd and link fd */
	int ret_fd, ret_link_fd; /* fexit */
	__u64 addr; /* kprobe-multi, fentry: the function's address */
	bool ret_attached;
};

/* After the packet limit: how long packets in flight get to reach their free before the trace ends anyway. */
#define LIMIT_GRACE_MS 1000

static struct probe *probes;
static int nprobes;
static struct pktpath_bpf *skel;
static volatile sig_atomic_t got_signal;
static struct config cfg;
static struct output out;
static __u64 events_seen;
static const char *stop_reason;

static void on_signal(int sig) { got_signal = sig; }

static __u64 now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

static struct probe *add_probe(const char *name, const char *kind, int pos)
{
	probes = realloc(probes, (nprobes + 1) * sizeof(*probes));
	struct probe *p = &probes[nprobes];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->kind = kind;
	p->pos = pos;
	p->fd = p->link_fd = p->ret_fd = p->ret_link_fd = -1;
	p->cookie = (__u32)nprobes;
	nprobes++;
	return p;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	/* past the event limit nothing more is written; any other stop still drains what the kernel wrote (the
	 * last hops of packets in flight, their frees) */
	if (size == sizeof(struct pktpath_capture)) {
		if (!cfg.max_events || events_seen < cfg.max_events)
			output_capture(&out, data);
		return 0;
	}
	if (size < sizeof(struct pktpath_event) || (cfg.max_events && events_seen >= cfg.max_events))
		return 0;
	const struct pktpath_event *e = data;
	const char *name = e->probe_id < (__u32)nprobes ? probes[e->probe_id].name : "?";
	output_event(&out, e, name);
	events_seen++;
	if (cfg.max_events && events_seen >= cfg.max_events && !stop_reason)
		stop_reason = "events";
	return 0;
}

static __u64 sum_percpu(int map_fd, __u32 key)
{
	static int ncpu;
	if (!ncpu)
		ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1], s = 0;
	if (bpf_map_lookup_elem(map_fd, &key, vals))
		return 0;
	for (int i = 0; i < ncpu; i++)
		s += vals[i];
	return s;
}

/* Packets still holding a live skb when the trace ended: their paths are cut short (never freed in view, or the
 * packet-limit grace expired). pkt_refs keeps exactly those ids; read once the probes are detached. */
#define MAX_CUT_IDS 4096
static void write_cut(FILE *f)
{
	int fd = bpf_map__fd(skel->maps.pkt_refs), n = 0;
	__u32 key, next, *prev = NULL;

	fputs(",\"cut\":[", f);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (n < MAX_CUT_IDS)
			fprintf(f, "%s%u", n ? "," : "", next);
		n++;
		key = next;
		prev = &key;
	}
	fprintf(f, "],\"cutCount\":%d", n);
}

static void write_stats(const char *type, __u64 t0)
{
	int cfd = bpf_map__fd(skel->maps.counters), lfd = bpf_map__fd(skel->maps.lost_by_probe);
	__u64 c[CNT_MAX];
	for (int i = 0; i < CNT_MAX; i++)
		c[i] = sum_percpu(cfd, i);
	FILE *f = output_status_begin(&out);
	fprintf(f, "{\"type\":\"%s\"", type);
	if (!strcmp(type, "done")) {
		fputs(",\"reason\":", f);
		json_write_str(f, stop_reason ? stop_reason : "error");
	}
	fprintf(f, ",\"elapsedMs\":%llu,\"events\":%llu,\"eventsWritten\":%llu,\"packets\":%llu,\"lost\":%llu,"
		   "\"overLimit\":%llu,\"trackFull\":%llu,\"freed\":%llu,\"live\":%lld,\"lostByProbe\":{",
		(unsigned long long)(now_ms() - t0), (unsigned long long)c[CNT_EVENTS], (unsigned long long)events_seen,
		(unsigned long long)c[CNT_PACKETS], (unsigned long long)c[CNT_LOST], (unsigned long long)c[CNT_OVER_LIMIT],
		(unsigned long long)c[CNT_TRACK_FULL], (unsigned long long)c[CNT_FREED], (long long)skel->bss->live_packets);
	bool first = true;
	if (c[CNT_LOST])
		for (int i = 0; i < nprobes && i < PKTPATH_MAX_PROBES; i++) {
			__u64 l = sum_percpu(lfd, i);
			if (l) {
				fprintf(f, "%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)l);
				first = false;
			}
		}
	fputs("}", f);
	if (!strcmp(type, "done"))
		write_cut(f);
	fputs("}", f);
	output_status_end(&out);
}

/* ---- building the probe table ---- */

static struct probe *plan_one(struct skb_funcs *sf, const char *kind, const char *name, int pos, bool ret)
{
	const struct skb_func *f = skb_funcs_find(sf, name);
	struct probe *p = add_probe(name, kind, pos ? pos : f ? f->pos : 0);
	p->fn = f;
	p->cookie |= func_flags(name) | (ret ? PROBE_RET : 0);
	if (!f && !pos)
		snprintf(p->err, sizeof(p->err), "no such function taking a struct sk_buff * in BTF");
	else if (f && !f->traceable && !sf->filter_err[0])
		snprintf(p->err, sizeof(p->err), "not traceable (not in available_filter_functions)");
	return p;
}

static bool planned(const char *name, int from)
{
	for (int i = from; i < nprobes; i++)
		if (!strcmp(probes[i].name, name))
			return true;
	return false;
}

static int plan_functions(struct skb_funcs *sf, enum backend bk)
{
	const char *kind = bk == BK_KPROBE_MULTI ? "kprobe-multi" : bk == BK_FENTRY ? "fentry" : "kprobe";
	int from = nprobes;
	if (cfg.fn_mode == LIST_NONE)
		return 0;
	if (cfg.fn_mode == LIST_ALL) {
		for (int i = 0; i < sf->n; i++)
			if (sf->v[i].traceable)
				plan_one(sf, kind, sf->v[i].name, sf->v[i].pos, false);
	} else if (cfg.fn_mode == LIST_DEFAULT) {
		for (int i = 0; i < NELEM(default_funcs); i++) {
			const struct skb_func *f = skb_funcs_find(sf, default_funcs[i]);
			if (f && (f->traceable || sf->filter_err[0])) /* the default set takes what this kernel has */
				plan_one(sf, kind, default_funcs[i], 0, false);
		}
	} else {
		for (int i = 0; i < cfg.nfuncs; i++)
			plan_one(sf, kind, cfg.funcs[i].name, cfg.funcs[i].pos, cfg.funcs[i].ret);
	}
	/* tracking needs the copy and release points, whatever the list: added when this kernel has them */
	const char *const *extra[] = { clone_funcs, end_funcs };
	int nextra[] = { NELEM(clone_funcs), NELEM(end_funcs) };
	for (int l = 0; l < 2; l++)
		for (int i = 0; i < nextra[l]; i++) {
			const struct skb_func *f = skb_funcs_find(sf, extra[l][i]);
			if (f && f->traceable && !planned(extra[l][i], from))
				plan_one(sf, kind, extra[l][i], 0, false);
		}
	return nprobes - from;
}

/* ---- attaching ---- */

#define NEEDS_RET(p) ((p)->cookie & (PROBE_RET | PROBE_CLONE))

/* One kprobe-multi link per (position, entry/return) by address; the kernel refuses a whole batch for one bad
 * address, so a refused batch is split in halves until the culprits are isolated. */
static void attach_kprobe_multi(int pos, bool ret)
{
	static const char *const names[] = { "", "kmulti_skb_1", "kmulti_skb_2", "kmulti_skb_3", "kmulti_skb_4", "kmulti_skb_5" };
	struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, ret ? "kmulti_ret_skb" : names[pos]);
	int *idx = malloc(nprobes * sizeof(int)), n = 0;
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		if (strcmp(p->kind, "kprobe-multi") || p->pos != pos || p->err[0] || (ret && (!p->attached || !NEEDS_RET(p))))
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

struct kprobe_job { int from, to, step; };

static void *kprobe_worker(void *arg)
{
	struct kprobe_job *j = arg;
	for (int i = j->from; i < j->to; i += j->step) {
		struct probe *p = &probes[i];
		if (strcmp(p->kind, "kprobe") || p->err[0])
			continue;
		char pname[16];
		snprintf(pname, sizeof(pname), "kprobe_skb_%d", p->pos);
		struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, pname);
		LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = p->cookie);
		struct bpf_link *l = bpf_program__attach_kprobe_opts(prog, p->name, &o);
		int e = libbpf_get_error(l);
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
		if (strcmp(p->kind, "fentry") || p->err[0])
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
			snprintf(p->err, sizeof(p->err), "fentry: %s", strerror(errno));
			continue;
		}
		p->attached = true;
		snprintf(pname, sizeof(pname), "fexit_skb_%d", p->pos);
		if (NEEDS_RET(p) && !(p->ret_attached = (p->ret_link_fd = load_tracing(p, pname, BPF_TRACE_FEXIT, &p->ret_fd)) >= 0))
			fprintf(stderr, "pktpath-loader: %s: fexit: %s\n", p->name, strerror(errno));
	}
}

static void detach_all(void)
{
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		bpf_link__destroy(p->link);
		bpf_link__destroy(p->ret_link);
		p->link = p->ret_link = NULL;
		int *fds[] = { &p->link_fd, &p->fd, &p->ret_link_fd, &p->ret_fd };
		for (int k = 0; k < 4; k++) {
			if (*fds[k] >= 0)
				close(*fds[k]);
			*fds[k] = -1;
		}
		if (!strcmp(p->kind, "tc") && p->attached)
			tc_detach(&p->tc);
	}
}

/* Opens and loads the object for one function backend (BK_RAW_TP: none). */
static int load_object(enum backend bk, struct skb_funcs *sf, char *err, size_t errlen)
{
	struct bpf_program *prog;
	bool used_pos[6] = { 0 }, ret_pos[6] = { 0 };
	const char *prefix = bk == BK_KPROBE_MULTI ? "kmulti_skb_" : bk == BK_FENTRY ? "fentry_skb_" : bk == BK_KPROBE ? "kprobe_skb_" : NULL;
	(void)sf;

	skel = pktpath_bpf__open();
	if (!skel) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		return -1;
	}
	filter_set_object(skel->obj);
	skel->rodata->cfg_netns = cfg.netns;
	skel->rodata->cfg_ifindex = cfg.ifindex;
	memcpy((void *)skel->rodata->cfg_ifname, cfg.ifname, sizeof(cfg.ifname));
	skel->rodata->cfg_mark = cfg.mark;
	skel->rodata->cfg_mark_mask = cfg.mark_mask;
	skel->rodata->cfg_max_packets = cfg.max_packets;
	skel->rodata->cfg_stack = cfg.stack;
	skel->rodata->cfg_snaplen = cfg.snaplen;
	bpf_map__set_max_entries(skel->maps.tracked, cfg.track_max);
	bpf_map__set_max_entries(skel->maps.events, cfg.ringbuf_bytes);
	if (!cfg.stack)
		bpf_map__set_max_entries(skel->maps.stacks, 1);
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		if (!strcmp(p->kind, "raw_tp"))
			for (int t = 0; t < NTP; t++)
				if (!strcmp(tp_names[t], p->name))
					skel->rodata->tp_probe_id[t] = i;
		if (!strcmp(p->kind, "tc"))
			skel->rodata->tc_probe_id[p->pos] = i; /* pos: 0 ingress, 1 egress */
		if (prefix && !p->err[0] && strcmp(p->kind, "raw_tp") && strcmp(p->kind, "tc") && p->pos >= 1 && p->pos <= 5) {
			used_pos[p->pos] = true;
			ret_pos[p->pos] |= NEEDS_RET(p) != 0;
			ret_pos[0] |= NEEDS_RET(p) != 0;
		}
	}
	bpf_object__for_each_program(prog, skel->obj) {
		const char *n = bpf_program__name(prog);
		bool load = false;
		if (!strncmp(n, "tp_", 3)) {
			for (int i = 0; i < nprobes; i++)
				load |= !strcmp(probes[i].kind, "raw_tp") && !strcmp(probes[i].name, n + 3);
		} else if (!strncmp(n, "tc_", 3)) {
			for (int i = 0; i < nprobes; i++)
				load |= !strcmp(probes[i].kind, "tc") && probes[i].pos == (strcmp(n, "tc_ingress") ? 1 : 0);
		} else if ((bk == BK_KPROBE && !strcmp(n, "kretprobe_skb")) || (bk == BK_KPROBE_MULTI && !strcmp(n, "kmulti_ret_skb"))) {
			load = ret_pos[0];
		} else if ((prefix && !strncmp(n, prefix, strlen(prefix))) || (bk == BK_FENTRY && !strncmp(n, "fexit_skb_", 10))) {
			bool ret = !strncmp(n, "fexit", 5);
			int pos = n[strlen(n) - 1] - '0';
			load = ret ? ret_pos[pos] : used_pos[pos];
			if (load && bk == BK_FENTRY) {
				/* the first function at this position is the BTF target the template is verified against */
				for (int i = 0; i < nprobes; i++)
					if (probes[i].pos == pos && probes[i].fn && !probes[i].fn->module && !probes[i].err[0] &&
					    strcmp(probes[i].kind, "raw_tp") && strcmp(probes[i].kind, "tc") &&
					    (!ret || NEEDS_RET(&probes[i]))) {
						if (bpf_program__set_attach_target(prog, 0, probes[i].name))
							load = false;
						break;
					}
			}
		}
		bpf_program__set_autoload(prog, load);
	}
	int e = pktpath_bpf__load(skel);
	if (e) {
		snprintf(err, errlen, "load: %s", strerror(-e));
		pktpath_bpf__destroy(skel);
		skel = NULL;
		return -1;
	}
	return 0;
}

static char libbpf_last[512];
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	/* keep the last warning: it says why a load or attach failed */
	char line[512];
	va_list ap2;
	va_copy(ap2, ap);
	if (getenv("PKTPATH_LOADER_DEBUG"))
		vfprintf(stderr, fmt, ap2);
	va_end(ap2);
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	if (line[0] && !strstr(line, "-- BEGIN PROG LOAD LOG") && !strstr(line, "-- END PROG LOAD LOG"))
		snprintf(libbpf_last, sizeof(libbpf_last), "%s", line);
	return 0;
}

/* The cheap feature test `loader probe` uses, so auto does not pay a full verifier run per backend. */
static bool function_backend_works(enum backend bk, char *err, size_t errlen)
{
	return attach_kind_ok(backend_name(bk), err, errlen);
}

int cmd_trace(int argc, char **argv)
{
	bool json = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else
			return fail_json("trace: unknown option %s", argv[i]);
	}
	/* the config: the first complete JSON value on stdin; stdin then stays open as the liveness signal */
	size_t cap = 1 << 16, len = 0, end = 0;
	char *buf = malloc(cap);
	while (!(end = json_value_end(buf, len))) {
		if (len == cap) {
			if (cap >= (1 << 20))
				return fail_json("config larger than 1 MiB");
			buf = realloc(buf, cap *= 2);
		}
		ssize_t r = read(0, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (json_value_end(buf, len) || len == 0)
				break;
			end = len; /* EOF: let the parser report what is wrong */
			break;
		}
		len += r;
	}
	if (!end)
		end = len;
	char err[512];
	if (!len)
		return fail_json("no config on stdin");
	if (config_parse(buf, end, &cfg, err, sizeof(err)))
		return fail_json("%s", err);
	size_t rest_len = len - end;
	char rest[256] = "";
	if (rest_len)
		snprintf(rest, sizeof(rest), "%.*s", (int)(rest_len < 255 ? rest_len : 255), buf + end);
	free(buf);
	if (filter_prepare(cfg.filter, err, sizeof(err)))
		return fail_json("%s", err);

	libbpf_set_print(libbpf_print);
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	setrlimit(RLIMIT_MEMLOCK, &rl);
	/* fentry/fexit hold two fds per function: "all" is thousands */
	struct rlimit nf = { 1 << 20, 1 << 20 };
	if (setrlimit(RLIMIT_NOFILE, &nf) && !getrlimit(RLIMIT_NOFILE, &nf)) {
		nf.rlim_cur = nf.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nf);
	}
	if (filter_register_handlers())
		return fail_json("cannot register libbpf section handlers");
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	/* probe table: tracepoints, TC, then functions */
	if (cfg.tp_mode == LIST_ALL) {
		for (int t = 0; t < NTP; t++)
			add_probe(tp_names[t], "raw_tp", 1);
	} else if (cfg.tp_mode == LIST_EXPLICIT) {
		for (int i = 0; i < cfg.ntp; i++) {
			int t;
			for (t = 0; t < NTP && strcmp(tp_names[t], cfg.tracepoints[i]); t++)
				;
			if (t == NTP)
				return fail_json("probes.tracepoints: unknown tracepoint \"%s\"", cfg.tracepoints[i]);
			add_probe(tp_names[t], "raw_tp", 1);
		}
	}
	for (int i = 0; i < cfg.ntc; i++) {
		for (int dir = 0; dir < 2; dir++) {
			if (!(dir ? cfg.tc[i].egress : cfg.tc[i].ingress))
				continue;
			char name[64];
			snprintf(name, sizeof(name), "tc/%s/%s", dir ? "egress" : "ingress", cfg.tc[i].ifname);
			add_probe(name, "tc", dir)->tc.ifindex = i; /* config index until attached */
		}
	}
	int fixed = nprobes;
	struct skb_funcs sf = { 0 };
	bool want_funcs = cfg.fn_mode != LIST_NONE && cfg.attach != BK_RAW_TP && cfg.attach != BK_TC;
	if (want_funcs && skb_funcs_load(&sf))
		return fail_json("no BTF on this kernel: function probes need /sys/kernel/btf/vmlinux");

	/* backends to try for functions, best first */
	enum backend order[3] = { BK_KPROBE_MULTI, BK_FENTRY, BK_KPROBE };
	int norder = 3;
	if (cfg.attach != BK_AUTO) {
		order[0] = cfg.attach;
		norder = 1;
	}
	char fallbacks[2048] = "";
	enum backend chosen = BK_RAW_TP;
	__u64 t_attach = now_ms();
	if (want_funcs) {
		for (int k = 0; k < norder && !skel; k++) {
			nprobes = fixed;
			if (!plan_functions(&sf, order[k]))
				break;
			libbpf_last[0] = 0;
			char kerr[200];
			bool works = function_backend_works(order[k], kerr, sizeof(kerr));
			libbpf_set_print(libbpf_print);
			if (!works)
				snprintf(err, sizeof(err), "feature test: %s", kerr);
			else if (load_object(order[k], &sf, err, sizeof(err)) == 0) {
				chosen = order[k];
				break;
			}
			size_t l = strlen(fallbacks);
			snprintf(fallbacks + l, sizeof(fallbacks) - l, "%s{\"backend\":\"%s\",\"error\":", l ? "," : "",
				 backend_name(order[k]));
			char msg[700];
			snprintf(msg, sizeof(msg), "%s%s%s", err, libbpf_last[0] ? ": " : "", libbpf_last);
			FILE *m = fmemopen(fallbacks + strlen(fallbacks), sizeof(fallbacks) - strlen(fallbacks) - 2, "w");
			if (m) {
				json_write_str(m, msg);
				fclose(m);
			}
			strcat(fallbacks, "}");
		}
	}
	if (!skel) {
		/* no function backend: the functions stay in the table, failed, and the rest still runs */
		int planned = nprobes;
		for (int i = fixed; i < planned; i++)
			if (!probes[i].err[0])
				snprintf(probes[i].err, sizeof(probes[i].err), "no function attach kind works on this kernel");
		struct probe *saved = probes;
		int saved_n = nprobes;
		nprobes = fixed; /* load without function programs */
		if (load_object(BK_RAW_TP, &sf, err, sizeof(err))) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s%s%s", err, libbpf_last[0] ? ": " : "", libbpf_last);
			return fail_json("%s", msg);
		}
		probes = saved;
		nprobes = saved_n;
	}

	output_init(&out, stdout, json);
	{
		struct utsname u;
		uname(&u);
		FILE *f = output_status_begin(&out);
		fprintf(f, "{\"type\":\"hello\",\"framing\":%d,\"loader\":\"%s\",\"eventSize\":%zu,\"arch\":",
			PKTPATH_FRAMING_VERSION, LOADER_VERSION, sizeof(struct pktpath_event));
		json_write_str(f, u.machine);
		fputs(",\"kernel\":", f);
		json_write_str(f, u.release);
		/* one reading of both clocks, so a reader can turn event times (CLOCK_MONOTONIC) into wall time */
		struct timespec mono, real;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		clock_gettime(CLOCK_REALTIME, &real);
		fprintf(f, ",\"clock\":{\"monotonicNs\":%llu,\"realtimeNs\":%llu}",
			mono.tv_sec * 1000000000ull + mono.tv_nsec, real.tv_sec * 1000000000ull + real.tv_nsec);
		fprintf(f, ",\"captureSize\":%zu,\"snaplen\":%u", sizeof(struct pktpath_capture), cfg.snaplen);
		fputs(",\"dropReasons\":{", f);
		const char *names[1024];
		unsigned values[1024];
		int nr = drop_reasons(names, values, 1024);
		for (int i = 0; i < nr && i < 1024; i++) {
			fprintf(f, "%s\"%u\":", i ? "," : "", values[i]);
			json_write_str(f, names[i]);
		}
		fputs("}}", f);
		output_status_end(&out);
	}

	/* attach */
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		if (!strcmp(p->kind, "raw_tp")) {
			char pn[160];
			snprintf(pn, sizeof(pn), "tp_%s", p->name);
			struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj, pn);
			p->link = bpf_program__attach_raw_tracepoint(prog, p->name);
			int e = libbpf_get_error(p->link);
			if (e) {
				p->link = NULL;
				snprintf(p->err, sizeof(p->err), "raw_tp: %s", strerror(-e));
			} else {
				p->attached = true;
			}
		} else if (!strcmp(p->kind, "tc")) {
			const struct tc_req *t = &cfg.tc[p->tc.ifindex];
			struct bpf_program *prog = p->pos ? skel->progs.tc_egress : skel->progs.tc_ingress;
			if (tc_attach(bpf_program__fd(prog), t->netns, t->ifname, p->pos == 1, TC_ALLOW_TCX | TC_SWEEP_DEAD, &p->tc, p->err, sizeof(p->err)) == 0)
				p->attached = true;
		}
	}
	if (chosen == BK_KPROBE_MULTI) {
		kallsyms_load();
		for (int pos = 1; pos <= 5; pos++) {
			attach_kprobe_multi(pos, false);
			attach_kprobe_multi(pos, true);
		}
	} else if (chosen == BK_FENTRY) {
		kallsyms_load();
		attach_fentry();
	}
	else if (chosen == BK_KPROBE) {
		/* kprobe registration is slow per function; do it from a few threads at once */
		enum { NT = 4 };
		pthread_t th[NT];
		struct kprobe_job jobs[NT];
		for (int t = 0; t < NT; t++) {
			jobs[t] = (struct kprobe_job){ fixed + t, nprobes, NT };
			pthread_create(&th[t], NULL, kprobe_worker, &jobs[t]);
		}
		for (int t = 0; t < NT; t++)
			pthread_join(th[t], NULL);
	}
	__u64 attach_ms = now_ms() - t_attach;
	int attached = 0;
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		attached += p->attached;
		if (p->attached && (p->cookie & PROBE_END))
			skel->bss->fn_tail = true;
		FILE *f = output_status_begin(&out);
		fprintf(f, "{\"type\":\"probe\",\"id\":%d,\"name\":", i);
		json_write_str(f, p->name);
		fprintf(f, ",\"kind\":\"%s\",\"pos\":%d,\"attached\":%s", p->kind, p->pos, p->attached ? "true" : "false");
		if (p->attached && NEEDS_RET(p))
			fprintf(f, ",\"ret\":%s", p->ret_attached ? "true" : "false");
		if (p->cookie & PROBE_CLONE)
			fputs(",\"clone\":true", f);
		if (!p->attached) {
			fputs(",\"error\":", f);
			json_write_str(f, p->err[0] ? p->err : "not attached");
		}
		fputs("}", f);
		output_status_end(&out);
	}
	{
		FILE *f = output_status_begin(&out);
		fprintf(f, "{\"type\":\"attached\",\"backend\":\"%s\",\"attached\":%d,\"requested\":%d,\"failed\":%d,"
			   "\"ms\":%llu,\"fallbacks\":[%s]}",
			backend_name(chosen), attached, nprobes, nprobes - attached, (unsigned long long)attach_ms, fallbacks);
		output_status_end(&out);
	}
	output_flush(&out);

	/* run */
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, NULL, NULL);
	if (!rb) {
		stop_reason = "error";
		goto cleanup;
	}
	if (!attached) {
		stop_reason = "nothing-attached";
		goto cleanup;
	}
	if (strstr(rest, "stop"))
		stop_reason = "stop";
	__u64 t0 = now_ms(), last_stats = t0, limit_reached_at = 0;
	int flags = fcntl(0, F_GETFL);
	fcntl(0, F_SETFL, flags | O_NONBLOCK);
	while (!stop_reason) {
		struct pollfd pfd[2] = { { ring_buffer__epoll_fd(rb), POLLIN, 0 }, { 0, POLLIN, 0 } };
		int r = poll(pfd, 2, 100);
		if (got_signal) {
			stop_reason = "signal";
			break;
		}
		if (r > 0 && pfd[0].revents)
			ring_buffer__consume(rb);
		if (r > 0 && pfd[1].revents) {
			char in[256];
			ssize_t n = read(0, in, sizeof(in) - 1);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				stop_reason = "stdin-eof";
				break;
			}
			if (n > 0) {
				in[n] = 0;
				if (strstr(in, "stop"))
					stop_reason = "stop";
			}
		}
		__u64 now = now_ms();
		if (cfg.duration_ms && now - t0 >= cfg.duration_ms && !stop_reason)
			stop_reason = "duration";
		if (cfg.max_packets && skel->bss->limited_packets >= cfg.max_packets && !stop_reason) {
			/* no new packet matches any more (the kernel checks the same limit); those in flight get to finish
			 * their paths: until each is freed, or the grace expires (they are reported in done's "cut") */
			if (!limit_reached_at)
				limit_reached_at = now;
			if (skel->bss->live_packets <= 0 || now - limit_reached_at >= LIMIT_GRACE_MS)
				stop_reason = "packets";
		}
		if (now - last_stats >= 1000) {
			write_stats("stats", t0);
			last_stats = now;
		}
		if (output_flush(&out) && !stop_reason)
			stop_reason = "stdout-closed";
	}
	/* stop the kernel side first, then drain what it already wrote */
	__u64 t_detach = now_ms();
	detach_all();
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
	{
		FILE *f = output_status_begin(&out);
		fprintf(f, "{\"type\":\"detached\",\"ms\":%llu}", (unsigned long long)(now_ms() - t_detach));
		output_status_end(&out);
		write_stats("done", t0); /* always the last record */
		output_flush(&out);
	}
	pktpath_bpf__destroy(skel);
	return 0;
cleanup:
	detach_all();
	if (rb)
		ring_buffer__free(rb);
	write_stats("done", now_ms());
	output_flush(&out);
	pktpath_bpf__destroy(skel);
	return strcmp(stop_reason, "nothing-attached") ? 1 : 3;
}
