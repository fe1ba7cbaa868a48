// SPDX-License-Identifier: MIT
/* `loader trace`: config on stdin, attach, stream events on stdout, detach on a limit, a signal or stdin EOF. */
#define _GNU_SOURCE
#include "loader.h"
#include "btf_skb.h"
#include "config.h"
#include "filter_patch.h"
#include "json.h"
#include "kallsyms.h"
#include "drop_sites.h"
#include "output.h"
#include "func_attach.h"
#include "probe_table.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

/* After the packet limit: how long packets in flight get to reach their free before the trace ends anyway. */
#define LIMIT_GRACE_MS 1000

struct probe *probes;
int nprobes;
struct pktpath_bpf *skel;
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
	drop_sites_note(&out, e);
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

static struct probe *plan_one(struct skb_funcs *sf, const char *kind, const struct func_req *req)
{
	const struct skb_func *f = skb_funcs_find(sf, req->name);
	struct probe *p = add_probe(req->name, kind, req->pos ? req->pos : f ? f->pos : 0);
	p->fn = f;
	p->cookie |= func_flags(req->name) | (req->ret ? PROBE_RET : 0) | (req->stack ? PROBE_STACK : 0);
	if (!f && !req->pos)
		snprintf(p->err, sizeof(p->err), "no such function taking a struct sk_buff * in BTF");
	else if (f && !f->traceable && !sf->filter_err[0])
		snprintf(p->err, sizeof(p->err), "not traceable (not in available_filter_functions)");
	p->planned_err = p->err[0] != 0;
	return p;
}

static bool planned(const char *name, int from)
{
	for (int i = from; i < nprobes; i++)
		if (!strcmp(probes[i].name, name))
			return true;
	return false;
}

/* Adds the function probes (kind: the first backend to try); returns how many can be tried at all. */
static int plan_functions(struct skb_funcs *sf, const char *kind)
{
	int from = nprobes, usable = 0;
	if (cfg.fn_mode == LIST_NONE)
		return 0;
	if (cfg.fn_mode == LIST_ALL) {
		for (int i = 0; i < sf->n; i++)
			if (sf->v[i].traceable) {
				struct func_req r = { .pos = sf->v[i].pos };
				snprintf(r.name, sizeof(r.name), "%s", sf->v[i].name);
				plan_one(sf, kind, &r);
			}
	} else {
		for (int i = 0; i < cfg.nfuncs; i++)
			plan_one(sf, kind, &cfg.funcs[i]);
	}
	/* tracking needs the copy and release points, whatever the list: added when this kernel has them */
	const char *const *extra[] = { clone_funcs, end_funcs };
	int nextra[] = { NELEM(clone_funcs), NELEM(end_funcs) };
	for (int l = 0; l < 2; l++)
		for (int i = 0; i < nextra[l]; i++) {
			const struct skb_func *f = skb_funcs_find(sf, extra[l][i]);
			struct func_req r = { 0 };
			snprintf(r.name, sizeof(r.name), "%s", extra[l][i]);
			if (f && f->traceable && !planned(extra[l][i], from))
				plan_one(sf, kind, &r);
		}
	for (int i = from; i < nprobes; i++)
		usable += !probes[i].planned_err;
	return usable;
}

static void detach_all(void)
{
	detach_functions();
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		if (is_func_probe(p))
			continue;
		bpf_link__destroy(p->link);
		p->link = NULL;
		if (!strcmp(p->kind, "tc") && p->attached)
			tc_detach(&p->tc);
	}
}

static bool in_chain(const enum backend *chain, int n, enum backend b)
{
	for (int i = 0; i < n; i++)
		if (chain[i] == b)
			return true;
	return false;
}

/* Whether to load program `n` (a function probe program) for the backends of `chain`. used_pos/ret_pos: argument
 * positions of the function probes, and of those needing a return probe ([0]: any). fentry/fexit are verified
 * against one BTF target each, the first vmlinux function at their position (then loaded again per function). */
static bool want_func_prog(struct bpf_program *prog, const enum backend *chain, int nchain, const bool *used_pos,
			   const bool *ret_pos)
{
	const char *n = bpf_program__name(prog);
	int pos = n[strlen(n) - 1] - '0';
	if (!strcmp(n, "kretprobe_skb"))
		return in_chain(chain, nchain, BK_KPROBE) && ret_pos[0];
	if (!strcmp(n, "kmulti_ret_skb"))
		return in_chain(chain, nchain, BK_KPROBE_MULTI) && ret_pos[0];
	if (pos < 1 || pos > 5)
		return false;
	if (!strncmp(n, "kprobe_skb_", 11))
		return in_chain(chain, nchain, BK_KPROBE) && used_pos[pos];
	if (!strncmp(n, "kmulti_skb_", 11))
		return in_chain(chain, nchain, BK_KPROBE_MULTI) && used_pos[pos];
	bool ret = !strncmp(n, "fexit_skb_", 10);
	if ((!ret && strncmp(n, "fentry_skb_", 11)) || !in_chain(chain, nchain, BK_FENTRY) || !(ret ? ret_pos : used_pos)[pos])
		return false;
	for (int i = 0; i < nprobes; i++) {
		const struct probe *p = &probes[i];
		if (is_func_probe(p) && p->pos == pos && p->fn && !p->fn->module && !p->planned_err && (!ret || NEEDS_RET(p)))
			return bpf_program__set_attach_target(prog, 0, p->name) == 0;
	}
	return false;
}

/* Opens and loads the object with the programs of the function backends in `chain` (none: tracepoints and TC). */
static int load_object(const enum backend *chain, int nchain, char *err, size_t errlen)
{
	struct bpf_program *prog;
	bool used_pos[6] = { 0 }, ret_pos[6] = { 0 }, stack = cfg.stack;

	skel = pktpath_bpf__open();
	if (!skel) {
		snprintf(err, errlen, "open: %s", strerror(errno));
		return -1;
	}
	filter_set_object(skel->obj);
	for (int i = 0; i < nprobes; i++) {
		struct probe *p = &probes[i];
		if (!strcmp(p->kind, "raw_tp"))
			for (int t = 0; t < NTP; t++)
				if (!strcmp(tp_names[t], p->name))
					skel->rodata->tp_probe_id[t] = i;
		if (!strcmp(p->kind, "tc"))
			skel->rodata->tc_probe_id[p->pos] = i; /* pos: 0 ingress, 1 egress */
		if (is_func_probe(p) && !p->planned_err && p->pos >= 1 && p->pos <= 5) {
			used_pos[p->pos] = true;
			ret_pos[p->pos] |= NEEDS_RET(p) != 0;
			ret_pos[0] |= NEEDS_RET(p) != 0;
			stack |= (p->cookie & PROBE_STACK) != 0;
		}
	}
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
	if (!stack)
		bpf_map__set_max_entries(skel->maps.stacks, 1);
	bpf_object__for_each_program(prog, skel->obj) {
		const char *n = bpf_program__name(prog);
		bool load = false;
		if (!strncmp(n, "tp_", 3)) {
			for (int i = 0; i < nprobes; i++)
				load |= !strcmp(probes[i].kind, "raw_tp") && !strcmp(probes[i].name, n + 3);
		} else if (!strncmp(n, "tc_", 3)) {
			for (int i = 0; i < nprobes; i++)
				load |= !strcmp(probes[i].kind, "tc") && probes[i].pos == (strcmp(n, "tc_ingress") ? 1 : 0);
		} else {
			load = want_func_prog(prog, chain, nchain, used_pos, ret_pos);
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

/* `auto` without kprobe-multi: fentry costs less per hit than a kprobe, but each fentry function needs its own
 * program load and trampoline, and releasing one waits for the kernel (about 0.1 s per function in the lab's TCG
 * VM: 1,841 functions took 3 minutes to attach and 3 to detach). Above this many functions kprobes come first. */
#define AUTO_FENTRY_MAX 128

static void add_fallback(char *buf, size_t cap, enum backend b, const char *why)
{
	size_t l = strlen(buf);
	FILE *m = fmemopen(buf + l, cap - l, "w");
	if (!m)
		return;
	fprintf(m, "%s{\"backend\":\"%s\",\"error\":", l ? "," : "", backend_name(b));
	json_write_str(m, why);
	fputs("}", m);
	if (fclose(m))
		buf[l] = 0; /* did not fit: keep the list valid */
}

/* The function backends to use, best first, each feature-tested with the tiny program `loader probe` uses (so
 * auto pays no full verifier run for a backend it cannot use); those that fail go to `fallbacks`. auto: by cost
 * and coverage (above); an explicit backend: that one only. */
static int backend_order(int nfuncs, enum backend *order, char *fallbacks, size_t cap)
{
	static const enum backend tested[] = { BK_KPROBE_MULTI, BK_FENTRY, BK_KPROBE };
	/* with kprobe-multi, what it refuses goes to kprobe (fentry's templates would cost a verifier run each, for
	 * functions a kprobe takes as well); without it, fentry's refusals go to kprobe and kprobe's to fentry */
	static const enum backend multi[] = { BK_KPROBE_MULTI, BK_KPROBE }, small[] = { BK_FENTRY, BK_KPROBE },
				  large[] = { BK_KPROBE, BK_FENTRY };
	bool ok[BK_TC + 1] = { 0 };
	int n = 0;
	for (int i = 0; i < 3; i++) {
		enum backend b = tested[i];
		if (cfg.attach != BK_AUTO && cfg.attach != b)
			continue;
		char kerr[200], why[300];
		ok[b] = attach_kind_ok(backend_name(b), kerr, sizeof(kerr));
		libbpf_set_print(libbpf_print);
		snprintf(why, sizeof(why), "feature test: %s", kerr);
		if (!ok[b])
			add_fallback(fallbacks, cap, b, why);
	}
	const enum backend *pref = ok[BK_KPROBE_MULTI] ? multi : nfuncs <= AUTO_FENTRY_MAX ? small : large;
	for (int i = 0; i < 2; i++)
		if (ok[pref[i]])
			order[n++] = pref[i];
	return n;
}

/* Loads the object for the first chain of `order` whose programs load (then for its head alone); the skipped
 * backends go to `fallbacks`. Returns the chain's length (0: none), its start in *chain. */
static int load_chain(enum backend *order, int n, enum backend **chain, char *fallbacks, size_t cap)
{
	char err[512], why[1100];
	for (int k = 0; k < n; k++) {
		libbpf_last[0] = 0;
		*chain = order + k;
		if (!load_object(order + k, n - k, err, sizeof(err)))
			return n - k;
		snprintf(why, sizeof(why), "%s%s%s", err, libbpf_last[0] ? ": " : "", libbpf_last);
		if (n - k > 1 && !load_object(order + k, 1, err, sizeof(err))) {
			for (int j = k + 1; j < n; j++) /* no per-function fallback to these */
				add_fallback(fallbacks, cap, order[j], why);
			return 1;
		}
		add_fallback(fallbacks, cap, order[k], why);
	}
	return 0;
}

/* `"backends":{"fentry":40,"kprobe":5}`: how many function probes each backend has. */
static void write_backend_counts(FILE *f)
{
	static const enum backend bks[] = { BK_KPROBE_MULTI, BK_FENTRY, BK_KPROBE };
	bool first = true;
	fputs(",\"backends\":{", f);
	for (int b = 0; b < 3; b++) {
		int c = 0;
		for (int i = 0; i < nprobes; i++)
			c += probes[i].attached && !strcmp(probes[i].kind, backend_kind(bks[b]));
		if (c)
			fprintf(f, "%s\"%s\":%d", first ? "" : ",", backend_kind(bks[b]), c);
		first &= !c;
	}
	fputs("}", f);
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

	/* function backends, best first; each function falls back along the chain that loads */
	enum backend order[3], *chain = NULL;
	int nchain = 0;
	char fallbacks[2048] = "";
	__u64 t_attach = now_ms();
	int usable = want_funcs ? plan_functions(&sf, backend_kind(cfg.attach == BK_AUTO ? BK_KPROBE_MULTI : cfg.attach)) : 0;
	if (usable) {
		int norder = backend_order(usable, order, fallbacks, sizeof(fallbacks));
		nchain = load_chain(order, norder, &chain, fallbacks, sizeof(fallbacks));
	}
	for (int i = fixed; i < nprobes && nchain; i++)
		probes[i].kind = backend_kind(chain[0]);
	if (!skel) {
		/* no function backend: the functions stay in the table, failed, and the rest still runs */
		int planned = nprobes;
		for (int i = fixed; i < planned; i++)
			if (!probes[i].err[0])
				snprintf(probes[i].err, sizeof(probes[i].err), "no function attach kind works on this kernel");
		nprobes = fixed; /* load without function programs */
		if (load_object(NULL, 0, err, sizeof(err))) {
			char msg[1024];
			snprintf(msg, sizeof(msg), "%s%s%s", err, libbpf_last[0] ? ": " : "", libbpf_last);
			return fail_json("%s", msg);
		}
		nprobes = planned;
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
	if (nchain)
		attach_functions(chain, nchain);
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
		if (p->fallbacks[0])
			fprintf(f, ",\"fallbacks\":[%s]", p->fallbacks);
		fputs("}", f);
		output_status_end(&out);
	}
	{
		FILE *f = output_status_begin(&out);
		fprintf(f, "{\"type\":\"attached\",\"backend\":\"%s\",\"attached\":%d,\"requested\":%d,\"failed\":%d,"
			   "\"ms\":%llu,\"fallbacks\":[%s]",
			backend_name(nchain ? chain[0] : BK_RAW_TP), attached, nprobes, nprobes - attached,
			(unsigned long long)attach_ms, fallbacks);
		write_backend_counts(f);
		fputs("}", f);
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
