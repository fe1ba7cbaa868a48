// SPDX-License-Identifier: MIT
#include "trace_status.h"
#include "json_out.h"
#include "loader.h"
#include "trace_plan.h"
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

static json_t *drop_reason_map(void)
{
	const char *names[1024];
	unsigned values[1024];
	int nr = drop_reasons(names, values, 1024);
	json_t *o = json_object();
	for (int i = 0; o && i < nr && i < 1024; i++) {
		char key[16];
		snprintf(key, sizeof(key), "%u", values[i]);
		json_object_set_new(o, key, json_text(names[i]));
	}
	return o;
}

void status_hello(struct trace_ctx *c)
{
	struct utsname u;
	struct timespec mono, real;
	uname(&u);
	/* one reading of both clocks, so a reader can turn event times (CLOCK_MONOTONIC) into wall time */
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	output_status(&c->out, json_pack("{s:s,s:i,s:s,s:I,s:o,s:o,s:{s:I,s:I},s:I,s:I,s:o}", "type", "hello",
	                                 "framing", PKTPATH_FRAMING_VERSION, "loader", LOADER_VERSION, "eventSize",
	                                 (json_int_t)sizeof(struct pktpath_event), "arch", json_text(u.machine),
	                                 "kernel", json_text(u.release), "clock", "monotonicNs",
	                                 (json_int_t)(mono.tv_sec * 1000000000ll + mono.tv_nsec), "realtimeNs",
	                                 (json_int_t)(real.tv_sec * 1000000000ll + real.tv_nsec), "captureSize",
	                                 (json_int_t)sizeof(struct pktpath_capture), "snaplen",
	                                 (json_int_t)c->cfg.snaplen, "dropReasons", drop_reason_map()));
}

/* The record's "pos": the skb argument for functions, the direction for TC (1 = egress), 1 for tracepoints. */
static int record_pos(const struct probe *p)
{
	return probe_is_func(p) ? p->pos : p->kind == PK_TC ? p->egress : 1;
}

/* "a,b" as ["a","b"] */
static json_t *name_list(const char *names)
{
	json_t *a = json_array();
	for (const char *s = names; a && *s;) {
		size_t n = strcspn(s, ",");
		json_array_append_new(a, json_stringn(s, n));
		s += n + (s[n] == ',');
	}
	return a;
}

static json_t *probe_record(int id, const struct probe *p)
{
	json_t *r = json_pack("{s:s,s:i,s:o,s:s,s:i,s:b}", "type", "probe", "id", id, "name", json_text(p->name),
	                      "kind", probe_kind_name(p->kind), "pos", record_pos(p), "attached", p->attached);
	if (!r)
		return NULL;
	if (p->attached && probe_needs_ret(p))
		json_object_set_new(r, "ret", json_boolean(p->ret_attached));
	if (p->cookie & PROBE_CLONE)
		json_object_set_new(r, "clone", json_true());
	if (p->covered_by[0])
		json_object_set_new(r, "coveredBy", name_list(p->covered_by));
	else if (!p->attached)
		json_object_set_new(r, "error", json_text(p->err[0] ? p->err : "not attached"));
	if (p->nfallbacks) {
		json_t *a = json_array();
		for (int k = 0; a && k < p->nfallbacks; k++)
			json_array_append_new(a,
			                      json_pack("{s:s,s:o}", "backend", probe_kind_name(p->fallbacks[k].kind),
			                                "error", json_text(p->fallbacks[k].err)));
		json_object_set_new(r, "fallbacks", a);
	}
	return r;
}

/* `"backends":{"fentry":40,"kprobe":5}`: how many function probes each backend has. */
static json_t *backend_counts(const struct trace_ctx *c)
{
	static const enum probe_kind kinds[] = { PK_KPROBE_MULTI, PK_FENTRY, PK_KPROBE };
	json_t *o = json_object();
	for (int b = 0; o && b < 3; b++) {
		int n = 0;
		for (int i = 0; i < c->probes.n; i++)
			n += c->probes.v[i].attached && c->probes.v[i].kind == kinds[b];
		if (n)
			json_object_set_new(o, probe_kind_name(kinds[b]), json_integer(n));
	}
	return o;
}

void status_attached(struct trace_ctx *c)
{
	int attached = 0, covered = 0;
	for (int i = 0; i < c->probes.n; i++) {
		attached += c->probes.v[i].attached;
		covered += c->probes.v[i].covered_by[0] != 0;
		output_status(&c->out, probe_record(i, &c->probes.v[i]));
	}
	json_t *fb = json_array();
	for (int k = 0; fb && k < c->nfallbacks; k++)
		json_array_append_new(fb, json_pack("{s:s,s:o}", "backend", backend_name(c->fallbacks[k].backend),
		                                    "error", json_text(c->fallbacks[k].err)));
	json_t *quiet = json_array();
	for (int t = 0; quiet && t < ntracepoints; t++)
		if (c->quiet_tps & (1u << t))
			json_array_append_new(quiet, json_string(tracepoint_names[t]));
	/* "object": which build of the eBPF object runs (docs/LOADER.md) */
	json_t *rec = json_pack("{s:s,s:s,s:i,s:i,s:i,s:I,s:o,s:o,s:o,s:s}", "type", "attached", "backend",
	                        backend_name(c->nchain ? c->chain[0] : BK_RAW_TP), "attached", attached, "requested",
	                        c->probes.n, "failed", c->probes.n - attached - covered, "ms", (json_int_t)c->attach_ms,
	                        "fallbacks", fb, "backends", backend_counts(c), "trackingEnds", quiet, "object",
	                        bpf_object_kind_names[c->object]);
	if (rec && c->object_err[0])
		json_object_set_new(rec, "objectFallback", json_text(c->object_err));
	output_status(&c->out, rec);
}

static __u64 sum_percpu(int map_fd, __u32 key)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 vals[ncpu > 0 ? ncpu : 1], s = 0;
	if (ncpu <= 0 || bpf_map_lookup_elem(map_fd, &key, vals))
		return 0;
	for (int i = 0; i < ncpu; i++)
		s += vals[i];
	return s;
}

/* Packets still holding a live skb when the trace ended: their paths are cut short (never freed in view, or the
 * packet-limit grace expired). pkt_refs keeps exactly those ids; read once the probes are detached. */
#define MAX_CUT_IDS 4096
static void add_cut(const struct trace_ctx *c, json_t *rec)
{
	int fd = bpf_map__fd(c->skel->maps.pkt_refs), n = 0;
	__u32 key, next, *prev = NULL;
	json_t *ids = json_array();
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		if (n < MAX_CUT_IDS)
			json_array_append_new(ids, json_integer(next));
		n++;
		key = next;
		prev = &key;
	}
	json_object_set_new(rec, "cut", ids);
	json_object_set_new(rec, "cutCount", json_integer(n));
}

static json_t *lost_by_probe(const struct trace_ctx *c, bool any_lost)
{
	int fd = bpf_map__fd(c->skel->maps.lost_by_probe);
	json_t *o = json_object();
	for (int i = 0; o && any_lost && i < c->probes.n && i < PKTPATH_MAX_PROBES; i++) {
		__u64 l = sum_percpu(fd, i);
		char key[16];
		snprintf(key, sizeof(key), "%d", i);
		if (l)
			json_object_set_new(o, key, json_integer((json_int_t)l));
	}
	return o;
}

void status_stats(struct trace_ctx *c, bool done)
{
	int cfd = bpf_map__fd(c->skel->maps.counters);
	__u64 n[CNT_MAX];
	for (int i = 0; i < CNT_MAX; i++)
		n[i] = sum_percpu(cfd, i);
	json_t *r = json_pack("{s:s}", "type", done ? "done" : "stats");
	if (!r)
		return;
	if (done)
		json_object_set_new(r, "reason", json_string(stop_reason_name(c->stop)));
	json_t *rest =
	        json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "elapsedMs",
	                  (json_int_t)(c->t_run ? now_ms() - c->t_run : 0), "events", (json_int_t)n[CNT_EVENTS],
	                  "eventsWritten", (json_int_t)c->events_seen, "packets", (json_int_t)n[CNT_PACKETS], "lost",
	                  (json_int_t)n[CNT_LOST], "overLimit", (json_int_t)n[CNT_OVER_LIMIT], "trackFull",
	                  (json_int_t)n[CNT_TRACK_FULL], "freed", (json_int_t)n[CNT_FREED], "live",
	                  (json_int_t)c->skel->bss->live_packets, "lostByProbe", lost_by_probe(c, n[CNT_LOST] != 0));
	json_object_update(r, rest);
	json_decref(rest);
	if (done)
		add_cut(c, r);
	output_status(&c->out, r);
}

void status_detached(struct trace_ctx *c, __u64 ms)
{
	output_status(&c->out, json_pack("{s:s,s:I}", "type", "detached", "ms", (json_int_t)ms));
}
