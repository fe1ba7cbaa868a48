// SPDX-License-Identifier: MIT
#include "btf_skb.h"
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static struct btf *vmlinux_btf;

struct btf *host_btf(void)
{
	if (!vmlinux_btf) {
		vmlinux_btf = btf__load_vmlinux_btf();
		if (libbpf_get_error(vmlinux_btf))
			vmlinux_btf = NULL;
	}
	return vmlinux_btf;
}

const char *tracefs_dir(void)
{
	static const char *dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[128];
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 2; i++) {
			snprintf(p, sizeof(p), "%s/events", dirs[i]);
			if (access(p, F_OK) == 0)
				return dirs[i];
		}
		/* not mounted (as on freshly booted minimal hosts): mount it, root only */
		if (pass == 0 && mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) != 0)
			break;
	}
	return NULL;
}

static const struct btf_type *skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

static int skb_pos(const struct btf *btf, const struct btf_type *func)
{
	const struct btf_type *proto = btf__type_by_id(btf, func->type);
	if (!proto || !btf_is_func_proto(proto))
		return 0;
	const struct btf_param *p = btf_params(proto);
	int n = btf_vlen(proto);
	for (int i = 0; i < n && i < 5; i++) {
		const struct btf_type *t = skip_mods(btf, p[i].type);
		if (!t || !btf_is_ptr(t))
			continue;
		t = skip_mods(btf, t->type);
		if (t && btf_is_struct(t) && !strcmp(btf__name_by_offset(btf, t->name_off), "sk_buff"))
			return i + 1;
	}
	return 0;
}

/* a string set for available_filter_functions */
struct strset {
	char **v;
	size_t n, cap;
};
static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_filter_functions(struct strset *s, char *err, size_t errlen)
{
	const char *dir = tracefs_dir();
	char path[100], line[512];
	if (!dir) {
		snprintf(err, errlen, "tracefs not available");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/available_filter_functions", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\n")] = 0; /* drop " [module]" */
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 4096;
			char **v = realloc(s->v, cap * sizeof(char *));
			if (!v)
				break;
			s->v = v;
			s->cap = cap;
		}
		if (!(s->v[s->n] = strdup(line)))
			break;
		s->n++;
	}
	int rerr = ferror(f) ? errno : !feof(f) ? ENOMEM : 0;
	fclose(f);
	if (rerr) {
		snprintf(err, errlen, "%s: %s", path, strerror(rerr));
		return -1;
	}
	qsort(s->v, s->n, sizeof(char *), cmpstr);
	return 0;
}

static bool strset_has(const struct strset *s, const char *name)
{
	return s->n && bsearch(&name, s->v, s->n, sizeof(char *), cmpstr);
}

/* btf_dump prints through a callback fixed at creation: it writes to whatever stream *ctx points at now */
static void print_to(void *ctx, const char *fmt, va_list ap)
{
	vfprintf(*(FILE **)ctx, fmt, ap);
}

/* "int ip_rcv(struct sk_buff *skb, struct net_device *dev, ...)": libbpf's btf_dump writes the declaration of the
 * function's prototype under its name, with the parameter names. NULL when it cannot. */
static char *func_signature(struct btf_dump *d, FILE **sink, const struct btf_type *func, const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	if (!(*sink = open_memstream(&buf, &len)))
		return NULL;
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = name);
	int err = btf_dump__emit_type_decl(d, func->type, &o);
	fclose(*sink);
	if (err) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void add_from_btf(struct skb_funcs *out, const struct btf *btf, const char *module, __u32 first_id,
                         const struct strset *traceable)
{
	__u32 n = btf__type_cnt(btf);
	FILE *sink = NULL;
	struct btf_dump *d = out->signatures ? btf_dump__new(btf, print_to, &sink, NULL) : NULL;
	if (libbpf_get_error(d))
		d = NULL;
	for (__u32 id = first_id; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!btf_is_func(t))
			continue;
		int pos = skb_pos(btf, t);
		if (!pos)
			continue;
		const char *name = btf__name_by_offset(btf, t->name_off);
		/* the same static function name can appear in several modules: duplicates are dropped after sorting */
		if (out->n == out->cap) {
			int cap = out->cap ? out->cap * 2 : 1024;
			struct skb_func *v = realloc(out->v, (size_t)cap * sizeof(*v));
			if (!v)
				break;
			out->v = v;
			out->cap = cap;
		}
		struct skb_func *f = &out->v[out->n];
		memset(f, 0, sizeof(*f));
		f->name = strdup(name);
		f->module = module ? strdup(module) : NULL;
		if (!f->name || (module && !f->module)) {
			free(f->name);
			free(f->module);
			break;
		}
		out->n++;
		f->pos = pos;
		f->btf_id = id;
		f->traceable = strset_has(traceable, name);
		f->signature = d && f->traceable ? func_signature(d, &sink, t, name) : NULL;
		out->traceable += f->traceable;
	}
	btf_dump__free(d);
}

static void skb_func_free(struct skb_func *f);

static int cmpfunc(const void *a, const void *b)
{
	return strcmp(((const struct skb_func *)a)->name, ((const struct skb_func *)b)->name);
}

int skb_funcs_load(struct skb_funcs *out)
{
	struct btf *base = host_btf();
	struct strset traceable = { 0 };
	bool signatures = out->signatures;
	memset(out, 0, sizeof(*out));
	out->signatures = signatures;
	if (!base)
		return -ENOENT;
	if (load_filter_functions(&traceable, out->filter_err, sizeof(out->filter_err)) == 0)
		out->filter_err[0] = 0;
	add_from_btf(out, base, NULL, 1, &traceable);
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		struct btf *mb = btf__parse_split(path, base);
		if (libbpf_get_error(mb))
			continue;
		add_from_btf(out, mb, de->d_name, btf__type_cnt(base), &traceable);
		btf__free(mb);
	}
	if (d)
		closedir(d);
	qsort(out->v, out->n, sizeof(*out->v), cmpfunc);
	/* drop duplicate names (kept: vmlinux over modules, as qsort is not stable we prefer module == NULL) */
	int w = 0;
	for (int i = 0; i < out->n; i++) {
		if (w && !strcmp(out->v[w - 1].name, out->v[i].name)) {
			struct skb_func drop = out->v[i];
			if (out->v[w - 1].module && !out->v[i].module) {
				drop = out->v[w - 1];
				out->v[w - 1] = out->v[i];
			}
			skb_func_free(&drop);
			continue;
		}
		out->v[w++] = out->v[i];
	}
	out->n = w;
	out->traceable = 0;
	for (int i = 0; i < out->n; i++)
		out->traceable += out->v[i].traceable;
	for (size_t i = 0; i < traceable.n; i++)
		free(traceable.v[i]);
	free(traceable.v);
	return 0;
}

static void skb_func_free(struct skb_func *f)
{
	free(f->name);
	free(f->module);
	free(f->signature);
}

void skb_funcs_free(struct skb_funcs *f)
{
	for (int i = 0; i < f->n; i++)
		skb_func_free(&f->v[i]);
	free(f->v);
	f->v = NULL;
	f->n = f->cap = f->traceable = 0;
}

const struct skb_func *skb_funcs_find(const struct skb_funcs *f, const char *name)
{
	struct skb_func key = { .name = (char *)name };
	return f->n ? bsearch(&key, f->v, f->n, sizeof(key), cmpfunc) : NULL;
}

static const struct btf_type *drop_enum(const struct btf *btf)
{
	__s32 id = btf__find_by_name_kind(btf, "skb_drop_reason", BTF_KIND_ENUM);
	return id > 0 ? btf__type_by_id(btf, id) : NULL;
}

static const char *strip_prefix(const char *n)
{
	static const char prefix[] = "SKB_DROP_REASON_";
	return strncmp(n, prefix, sizeof(prefix) - 1) ? n : n + sizeof(prefix) - 1;
}

const char *drop_reason_name(unsigned value)
{
	const struct btf *btf = host_btf();
	const struct btf_type *t = btf ? drop_enum(btf) : NULL;
	if (!t)
		return NULL;
	const struct btf_enum *e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++)
		if ((unsigned)e[i].val == value)
			return strip_prefix(btf__name_by_offset(btf, e[i].name_off));
	return NULL;
}

int drop_reasons(const char **names, unsigned *values, int max)
{
	const struct btf *btf = host_btf();
	const struct btf_type *t = btf ? drop_enum(btf) : NULL;
	if (!t)
		return 0;
	const struct btf_enum *e = btf_enum(t);
	int n = btf_vlen(t);
	for (int i = 0; i < n && i < max; i++) {
		names[i] = strip_prefix(btf__name_by_offset(btf, e[i].name_off));
		values[i] = e[i].val;
	}
	return n;
}
