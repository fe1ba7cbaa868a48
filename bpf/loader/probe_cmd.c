// SPDX-License-Identifier: MIT
/* `loader probe`: what this kernel offers, as one JSON object on stdout. Attach kinds are tested by loading
 * and attaching tiny programs (attach_probe.bpf.c), not guessed from the version. */
#include "loader.h"
#include "attach_probe.skel.h"
#include "btf_skb.h"
#include "json.h"
#include "tc_observer.h"
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* a function every kernel pktpath supports has, traceable and taking an skb first */
#define PROBE_FUNC "consume_skb"

struct kind_result { bool ok; char err[200]; };

static void set_err(struct kind_result *r, const char *what, int e)
{
	r->ok = false;
	snprintf(r->err, sizeof(r->err), "%s: %s", what, strerror(e < 0 ? -e : e));
}

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

static void test_kind(const char *kind, struct kind_result *r)
{
	struct bpf_program *p = NULL;
	struct bpf_link *l = NULL;
	char name[40];
	snprintf(name, sizeof(name), "probe_%s", kind);
	for (char *c = name; *c; c++)
		if (*c == '-')
			*c = '_';
	if (!strcmp(kind, "tcx") || !strcmp(kind, "tc"))
		snprintf(name, sizeof(name), "probe_tc");
	struct attach_probe_bpf *s = open_one(&p, name);
	if (!s || !p) {
		set_err(r, "open", errno ? errno : EINVAL);
		goto out;
	}
	if (!strcmp(kind, "fentry")) {
		int e = bpf_program__set_attach_target(p, 0, PROBE_FUNC);
		if (e) {
			set_err(r, "BTF attach target", e);
			goto out;
		}
	}
	int e = attach_probe_bpf__load(s);
	if (e) {
		set_err(r, "load", e);
		goto out;
	}
	if (!strcmp(kind, "kprobe")) {
		l = bpf_program__attach_kprobe(p, false, PROBE_FUNC);
	} else if (!strcmp(kind, "kprobe-multi")) {
		const char *syms[] = { PROBE_FUNC };
		LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = syms, .cnt = 1);
		l = bpf_program__attach_kprobe_multi_opts(p, NULL, &o);
	} else if (!strcmp(kind, "fentry")) {
		l = bpf_program__attach_trace(p);
	} else if (!strcmp(kind, "raw-tp")) {
		l = bpf_program__attach_raw_tracepoint(p, "netif_receive_skb");
	} else {
		/* TC on the loopback device: observe-only program, removed right after. No sweep: a probe leaves
		 * every other filter alone, even a dead loader's (that is `cleanup`'s job). */
		struct tc_attachment a;
		char err[200];
		bool tcx = !strcmp(kind, "tcx");
		if (tc_attach(bpf_program__fd(p), "", "lo", false, tcx ? TC_ALLOW_TCX : 0, &a, err, sizeof(err))) {
			r->ok = false;
			snprintf(r->err, sizeof(r->err), "%s", err);
		} else if (tcx && a.link_fd < 0) {
			r->ok = false;
			snprintf(r->err, sizeof(r->err), "TCX link: not supported (classic cls_bpf works)");
			tc_detach(&a);
		} else {
			r->ok = true;
			tc_detach(&a);
		}
		goto out;
	}
	e = libbpf_get_error(l);
	if (e) {
		l = NULL;
		set_err(r, "attach", e);
		goto out;
	}
	r->ok = true;
out:
	bpf_link__destroy(l);
	attach_probe_bpf__destroy(s);
}

bool attach_kind_ok(const char *kind, char *err, size_t errlen)
{
	struct kind_result r = { 0 };
	test_kind(kind, &r);
	if (!r.ok)
		snprintf(err, errlen, "%s", r.err);
	return r.ok;
}

static int silent_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level; (void)fmt; (void)ap;
	return 0;
}

static void list_tracepoints(FILE *o)
{
	const char *dir = tracefs_dir();
	const char *groups[] = { "net", "skb" };
	bool first = true;
	fputs("[", o);
	for (int g = 0; dir && g < 2; g++) {
		char path[200];
		snprintf(path, sizeof(path), "%s/events/%s", dir, groups[g]);
		DIR *d = opendir(path);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.' || de->d_type != DT_DIR)
				continue;
			char name[300];
			snprintf(name, sizeof(name), "%s:%s", groups[g], de->d_name);
			fputs(first ? "" : ",", o);
			json_write_str(o, name);
			first = false;
		}
		if (d)
			closedir(d);
	}
	fputs("]", o);
}

int cmd_probe(int argc, char **argv)
{
	(void)argc; (void)argv;
	static const char *kinds[] = { "kprobe-multi", "fentry", "kprobe", "raw-tp", "tcx", "tc" };
	struct kind_result res[6] = { 0 };
	struct utsname u;
	struct skb_funcs funcs = { .signatures = true }; /* the editor shows them on hover */
	FILE *o = stdout;

	libbpf_set_print(silent_print);
	uname(&u);
	for (int i = 0; i < 6; i++)
		test_kind(kinds[i], &res[i]);
	skb_funcs_load(&funcs);

	fprintf(o, "{\"loader\":{\"version\":\"%s\",\"framing\":%d},", LOADER_VERSION, PKTPATH_FRAMING_VERSION);
	fputs("\"kernel\":{\"release\":", o);
	json_write_str(o, u.release);
	fputs(",\"version\":", o);
	json_write_str(o, u.version);
	fputs("},\"arch\":", o);
	json_write_str(o, u.machine);
	fprintf(o, ",\"btf\":{\"vmlinux\":%s,\"modules\":%d},", host_btf() ? "true" : "false", count_module_btf());
	fputs("\"attach\":{", o);
	for (int i = 0; i < 6; i++) {
		fprintf(o, "%s\"%s\":{\"ok\":%s", i ? "," : "", kinds[i], res[i].ok ? "true" : "false");
		if (!res[i].ok) {
			fputs(",\"error\":", o);
			json_write_str(o, res[i].err);
		}
		fputs("}", o);
	}
	/* what `auto` picks for functions: the first kind that works, down the fallback list */
	const char *best = "none";
	for (int i = 0; i < 3; i++)
		if (res[i].ok) {
			best = kinds[i];
			break;
		}
	fputs("},\"auto\":", o);
	json_write_str(o, best);
	fprintf(o, ",\"skbFunctions\":{\"btf\":%d,\"traceable\":%d,\"availableFilterFunctions\":", funcs.n, funcs.traceable);
	if (funcs.filter_err[0]) {
		fputs("{\"ok\":false,\"error\":", o);
		json_write_str(o, funcs.filter_err);
		fputs("}", o);
	} else {
		fputs("{\"ok\":true}", o);
	}
	fputs("},\"functions\":[", o);
	bool first = true;
	for (int i = 0; i < funcs.n; i++) {
		if (!funcs.v[i].traceable)
			continue;
		fputs(first ? "{\"name\":" : ",{\"name\":", o);
		json_write_str(o, funcs.v[i].name);
		fprintf(o, ",\"pos\":%d", funcs.v[i].pos);
		if (funcs.v[i].signature) {
			fputs(",\"signature\":", o);
			json_write_str(o, funcs.v[i].signature);
		}
		if (funcs.v[i].module) {
			fputs(",\"module\":", o);
			json_write_str(o, funcs.v[i].module);
		}
		fputs("}", o);
		first = false;
	}
	fputs("],\"dropReasons\":[", o);
	const char *names[1024];
	unsigned values[1024];
	int nr = drop_reasons(names, values, 1024);
	for (int i = 0; i < nr && i < 1024; i++) {
		fprintf(o, "%s{\"value\":%u,\"name\":", i ? "," : "", values[i]);
		json_write_str(o, names[i]);
		fputs("}", o);
	}
	fputs("],\"tracepoints\":", o);
	list_tracepoints(o);
	fputs("}\n", o);
	return fflush(o) ? 1 : 0;
}
