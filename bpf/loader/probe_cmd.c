// SPDX-License-Identifier: MIT
/* `loader probe`: what this kernel offers, as one JSON object on stdout. Attach kinds are tested by loading
 * and attaching tiny programs (attach_probe.bpf.c), not guessed from the version. */
#include "loader.h"
#include "attach_probe.skel.h"
#include "btf_skb.h"
#include "json_out.h"
#include "../pktpath.h"
#include "tc_observer.h"
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* a function every kernel pktpath supports has, traceable and taking an skb first */
#define PROBE_FUNC "consume_skb"

static const char *const test_names[AT_COUNT] = { "kprobe-multi", "fentry", "kprobe", "raw-tp", "tcx", "tc" };
/* the program in attach_probe.bpf.c each test loads */
static const char *const test_progs[AT_COUNT] = { "probe_kprobe_multi", "probe_fentry", "probe_kprobe",
	                                          "probe_raw_tp",       "probe_tc",     "probe_tc" };

const char *attach_test_name(enum attach_test t)
{
	return (unsigned)t < AT_COUNT ? test_names[t] : "?";
}

static int set_err(char *err, size_t errlen, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e < 0 ? -e : e));
	return -1;
}

/* The skeleton with only program `keep` to load. */
static struct attach_probe_bpf *open_one(struct bpf_program **keep_out, const char *keep)
{
	struct attach_probe_bpf *s = attach_probe_bpf__open();
	struct bpf_program *p;
	if (!s)
		return NULL;
	bpf_object__for_each_program(p, s->obj) {
		bool k = !strcmp(bpf_program__name(p), keep);
		bpf_program__set_autoload(p, k);
		if (k)
			*keep_out = p;
	}
	return s;
}

/* TC on the loopback device: observe-only program, removed right after. No sweep: a probe leaves every other
 * filter alone, even a dead loader's (that is `cleanup`'s job). */
static int test_tc(struct bpf_program *p, bool tcx, char *err, size_t errlen)
{
	struct tc_attachment a;
	if (tc_attach(bpf_program__fd(p), "", "lo", false, tcx ? TC_ALLOW_TCX : 0, &a, err, errlen))
		return -1;
	bool no_tcx = tcx && a.link_fd < 0;
	tc_detach(&a);
	if (no_tcx)
		snprintf(err, errlen, "TCX link: not supported (classic cls_bpf works)");
	return no_tcx ? -1 : 0;
}

static struct bpf_link *attach_one(enum attach_test t, struct bpf_program *p)
{
	const char *syms[] = { PROBE_FUNC };
	LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = syms, .cnt = 1);
	switch (t) {
	case AT_KPROBE:
		return bpf_program__attach_kprobe(p, false, PROBE_FUNC);
	case AT_KPROBE_MULTI:
		return bpf_program__attach_kprobe_multi_opts(p, NULL, &o);
	case AT_FENTRY:
		return bpf_program__attach_trace(p);
	default:
		return bpf_program__attach_raw_tracepoint(p, "netif_receive_skb");
	}
}

/* the helper each test program calls: the one the tracer's programs of that kind cannot do without */
static const char *const test_helpers[AT_COUNT] = { "bpf_get_attach_cookie", "bpf_get_func_ip" };

/* Set when the verifier refused a test program's helper call: "invalid func unknown#173" (5.10 names only the
 * helpers it has), "unknown func bpf_x#N" on later kernels. */
static bool helper_refused;

static int scan_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char text[4096];
	(void)level;
	vsnprintf(text, sizeof(text), fmt, ap);
	if (getenv("PKTPATH_LOADER_DEBUG"))
		fputs(text, stderr);
	if (strstr(text, "invalid func ") || strstr(text, "unknown func "))
		helper_refused = true;
	return 0;
}

/* Why test t's load failed, in words when the verifier refused its helper. */
static void load_err(enum attach_test t, char *err, size_t errlen, int e)
{
	if (helper_refused && (unsigned)t < AT_COUNT && test_helpers[t])
		snprintf(err, errlen, "load: this kernel's eBPF has no %s (the tracer's %s programs need it)",
		         test_helpers[t], test_names[t]);
	else
		set_err(err, errlen, "load", e);
}

bool attach_kind_ok(enum attach_test t, char *err, size_t errlen)
{
	struct bpf_program *p = NULL;
	struct bpf_link *l = NULL;
	int rc = -1, e;
	libbpf_print_fn_t before = libbpf_set_print(scan_print);
	helper_refused = false;
	struct attach_probe_bpf *s = open_one(&p, test_progs[t]);
	if (!s || !p) {
		set_err(err, errlen, "open", errno ? errno : EINVAL);
		goto out;
	}
	if (t == AT_FENTRY && (e = bpf_program__set_attach_target(p, 0, PROBE_FUNC))) {
		set_err(err, errlen, "BTF attach target", e);
		goto out;
	}
	if ((e = attach_probe_bpf__load(s))) {
		load_err(t, err, errlen, e);
		goto out;
	}
	if (t == AT_TC || t == AT_TCX) {
		rc = test_tc(p, t == AT_TCX, err, errlen);
		goto out;
	}
	l = attach_one(t, p);
	if ((e = libbpf_get_error(l))) {
		l = NULL;
		set_err(err, errlen, "attach", e);
		goto out;
	}
	rc = 0;
out:
	bpf_link__destroy(l);
	attach_probe_bpf__destroy(s);
	libbpf_set_print(before);
	return rc == 0;
}

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* net:* and skb:* tracepoints, from tracefs */
static json_t *list_tracepoints(void)
{
	const char *dir = tracefs_dir();
	const char *groups[] = { "net", "skb" };
	json_t *a = json_array();
	for (int g = 0; a && dir && g < 2; g++) {
		char path[200], name[300];
		snprintf(path, sizeof(path), "%s/events/%s", dir, groups[g]);
		DIR *d = opendir(path);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.' || de->d_type != DT_DIR)
				continue;
			snprintf(name, sizeof(name), "%s:%s", groups[g], de->d_name);
			json_array_append_new(a, json_text(name));
		}
		if (d)
			closedir(d);
	}
	return a;
}

/* The "attach" object, and what `auto` puts first for a small set of functions (trace_load.c's backend_order):
 * fentry, else kprobe-multi, else kprobe. */
static json_t *attach_tests(const char **best)
{
	static const enum attach_test small_set_order[] = { AT_FENTRY, AT_KPROBE_MULTI, AT_KPROBE };
	bool works[AT_COUNT] = { 0 };
	json_t *o = json_object();
	*best = "none";
	for (int t = 0; o && t < AT_COUNT; t++) {
		char err[200];
		bool ok = attach_kind_ok((enum attach_test)t, err, sizeof(err));
		json_t *r = json_pack("{s:b}", "ok", ok);
		if (!ok)
			json_object_set_new(r, "error", json_text(err));
		json_object_set_new(o, test_names[t], r);
		works[t] = ok;
	}
	for (int i = 2; i >= 0; i--)
		if (works[small_set_order[i]])
			*best = test_names[small_set_order[i]];
	return o;
}

/* {name, pos, signature?, module?} of every traceable skb function */
static json_t *functions_json(const struct skb_funcs *funcs)
{
	json_t *a = json_array();
	for (int i = 0; a && i < funcs->n; i++) {
		const struct skb_func *f = &funcs->v[i];
		if (!f->traceable)
			continue;
		json_t *o = json_pack("{s:o,s:i}", "name", json_text(f->name), "pos", f->pos);
		if (f->signature)
			json_object_set_new(o, "signature", json_text(f->signature));
		if (f->module)
			json_object_set_new(o, "module", json_text(f->module));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *drop_reasons_json(void)
{
	const char *names[1024];
	unsigned values[1024];
	int nr = drop_reasons(names, values, 1024);
	json_t *a = json_array();
	for (int i = 0; a && i < nr && i < 1024; i++)
		json_array_append_new(
		        a, json_pack("{s:I,s:o}", "value", (json_int_t)values[i], "name", json_text(names[i])));
	return a;
}

int cmd_probe(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct utsname u;
	struct skb_funcs funcs = { .signatures = true }; /* the editor shows them on hover */
	const char *best;

	libbpf_set_print(silent_print);
	uname(&u);
	json_t *attach = attach_tests(&best);
	skb_funcs_load(&funcs);
	json_t *filter_ff = funcs.filter_err[0] ? json_pack("{s:b,s:o}", "ok", 0, "error", json_text(funcs.filter_err))
	                                        : json_pack("{s:b}", "ok", 1);
	json_t *doc = json_pack(
	        "{s:{s:s,s:i},s:{s:o,s:o},s:o,s:{s:b,s:i},s:o,s:s,s:{s:i,s:i,s:o},s:o,s:o,s:o}", "loader", "version",
	        LOADER_VERSION, "framing", PKTPATH_FRAMING_VERSION, "kernel", "release", json_text(u.release),
	        "version", json_text(u.version), "arch", json_text(u.machine), "btf", "vmlinux", host_btf() != NULL,
	        "modules", count_module_btf(), "attach", attach, "auto", best, "skbFunctions", "btf", funcs.n,
	        "traceable", funcs.traceable, "availableFilterFunctions", filter_ff, "functions",
	        functions_json(&funcs), "dropReasons", drop_reasons_json(), "tracepoints", list_tracepoints());
	skb_funcs_free(&funcs);
	if (json_print_line(stdout, doc))
		return 1;
	return fflush(stdout) ? 1 : 0;
}
