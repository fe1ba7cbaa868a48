// SPDX-License-Identifier: MIT
#include "config.h"
#include "../pktpath.h"
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const backend_names[] = { "auto", "kprobe-multi", "fentry", "kprobe", "raw-tp", "tc" };
#define NBACKENDS (int)(sizeof(backend_names) / sizeof(backend_names[0]))

const char *backend_name(enum backend b)
{
	return b >= 0 && (int)b < NBACKENDS ? backend_names[b] : "?";
}

/* Every validator writes its message to (err, errlen) and returns -1, or returns 0. */
struct ectx {
	char *err;
	size_t errlen;
};
#define FAIL(e, ...)                                          \
	do {                                                  \
		snprintf((e)->err, (e)->errlen, __VA_ARGS__); \
		return -1;                                    \
	} while (0)

static int only_keys(const json_t *o, const char *where, const char *const *keys, struct ectx *e)
{
	const char *key;
	json_t *v;
	if (!json_is_object(o))
		FAIL(e, "%s must be an object", where);
	json_object_foreach((json_t *)o, key, v) {
		bool ok = false;
		for (const char *const *k = keys; *k && !ok; k++)
			ok = !strcmp(*k, key);
		if (!ok)
			FAIL(e, "%s: unknown key \"%s\"", where, key);
	}
	return 0;
}

/* A non-negative integer up to max (an integral real such as 5.0 counts: JSON has one number type). */
static int get_uint(const json_t *v, const char *what, __u64 max, __u64 *out, struct ectx *e)
{
	if (json_is_integer(v) && json_integer_value(v) >= 0 && (__u64)json_integer_value(v) <= max) {
		*out = (__u64)json_integer_value(v);
		return 0;
	}
	double d = json_is_real(v) ? json_real_value(v) : -1;
	if (d < 0 || d != floor(d) || d > (double)max)
		FAIL(e, "%s must be an integer from 0 to %llu", what, (unsigned long long)max);
	*out = (__u64)d;
	return 0;
}

static int get_bool(const json_t *v, const char *what, bool *out, struct ectx *e)
{
	if (!json_is_boolean(v))
		FAIL(e, "%s must be true or false", what);
	*out = json_is_true(v);
	return 0;
}

static int get_str(const json_t *v, const char *what, char *dst, size_t cap, bool nonempty, struct ectx *e)
{
	if (!json_is_string(v))
		FAIL(e, "%s must be a string", what);
	size_t len = json_string_length(v); /* no NUL inside: the decoder rejects \u0000 */
	if (len >= cap)
		FAIL(e, "%s is longer than %zu characters", what, cap - 1);
	if (nonempty && !len)
		FAIL(e, "%s must not be empty", what);
	memcpy(dst, json_string_value(v), len + 1);
	return 0;
}

static bool valid_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s == '_' || *s == '.' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static bool valid_ifname(const char *s)
{
	if (!*s || strlen(s) > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* An array (explicit list), "all" or "none". */
static int list_mode(const json_t *v, const char *what, enum list_mode *m, struct ectx *e)
{
	const char *s = json_string_value(v);
	if (json_is_array(v))
		*m = LIST_EXPLICIT;
	else if (s && !strcmp(s, "all"))
		*m = LIST_ALL;
	else if (s && !strcmp(s, "none"))
		*m = LIST_NONE;
	else /* the one default list is pktpath's `default` profile: the core sends its names */
		FAIL(e, "%s must be an array or one of \"all\", \"none\"", what);
	return 0;
}

/* calloc'd array of n elements, or an error */
static int alloc_list(void **p, size_t n, size_t size, const char *what, struct ectx *e)
{
	*p = n ? calloc(n, size) : NULL;
	if (n && !*p)
		FAIL(e, "%s: out of memory", what);
	return 0;
}

/* One element of probes.functions: a name, or {name, pos?, ret?, stack?}. */
static int parse_func(const json_t *el, struct func_req *f, struct ectx *e)
{
	static const char *const fk[] = { "name", "pos", "ret", "stack", NULL };
	const json_t *v;
	__u64 pv;
	if (json_is_string(el)) {
		if (get_str(el, "probes.functions[]", f->name, sizeof(f->name), true, e))
			return -1;
	} else {
		if (only_keys(el, "probes.functions[]", fk, e))
			return -1;
		if (!(v = json_object_get(el, "name")))
			FAIL(e, "probes.functions[]: \"name\" is required");
		if (get_str(v, "probes.functions[].name", f->name, sizeof(f->name), true, e))
			return -1;
		if ((v = json_object_get(el, "pos"))) {
			if (get_uint(v, "probes.functions[].pos", 5, &pv, e))
				return -1;
			if (pv < 1)
				FAIL(e, "probes.functions[].pos must be from 1 to 5");
			f->pos = (int)pv;
		}
		if ((v = json_object_get(el, "ret")) && get_bool(v, "probes.functions[].ret", &f->ret, e))
			return -1;
		if ((v = json_object_get(el, "stack")) && get_bool(v, "probes.functions[].stack", &f->stack, e))
			return -1;
	}
	if (!valid_ident(f->name))
		FAIL(e, "probes.functions: bad function name \"%s\"", f->name);
	return 0;
}

static int parse_tracepoints(const json_t *v, struct config *c, struct ectx *e)
{
	size_t i;
	const json_t *el;
	if (list_mode(v, "probes.tracepoints", &c->tp_mode, e))
		return -1;
	if (c->tp_mode != LIST_EXPLICIT)
		return 0;
	if (alloc_list((void **)&c->tracepoints, json_array_size(v), sizeof(*c->tracepoints), "probes.tracepoints", e))
		return -1;
	json_array_foreach(v, i, el) {
		char *name = c->tracepoints[c->ntp];
		if (get_str(el, "probes.tracepoints[]", name, sizeof(*c->tracepoints), true, e))
			return -1;
		if (!valid_ident(name))
			FAIL(e, "probes.tracepoints: bad name \"%s\"", name);
		c->ntp++;
	}
	return 0;
}

static int parse_functions(const json_t *v, struct config *c, struct ectx *e)
{
	size_t i;
	const json_t *el;
	if (list_mode(v, "probes.functions", &c->fn_mode, e))
		return -1;
	if (c->fn_mode != LIST_EXPLICIT)
		return 0;
	if (json_array_size(v) > 65536)
		FAIL(e, "probes.functions: more than 65536 functions");
	if (alloc_list((void **)&c->funcs, json_array_size(v), sizeof(*c->funcs), "probes.functions", e))
		return -1;
	json_array_foreach(v, i, el) {
		if (parse_func(el, &c->funcs[c->nfuncs], e))
			return -1;
		c->nfuncs++;
	}
	return 0;
}

static int parse_tc_one(const json_t *el, struct tc_req *t, struct ectx *e)
{
	static const char *const tk[] = { "interface", "netns", "direction", NULL };
	const json_t *x;
	*t = (struct tc_req){ .ingress = true, .egress = true };
	if (only_keys(el, "probes.tc[]", tk, e))
		return -1;
	if (!(x = json_object_get(el, "interface")))
		FAIL(e, "probes.tc[]: \"interface\" is required");
	if (get_str(x, "probes.tc[].interface", t->ifname, sizeof(t->ifname), true, e))
		return -1;
	if (!valid_ifname(t->ifname))
		FAIL(e, "probes.tc[].interface: bad interface name");
	if ((x = json_object_get(el, "netns")) && get_str(x, "probes.tc[].netns", t->netns, sizeof(t->netns), true, e))
		return -1;
	if (t->netns[0] && t->netns[0] != '/')
		FAIL(e, "probes.tc[].netns must be an absolute path (/run/netns/NAME, /proc/PID/ns/net)");
	if ((x = json_object_get(el, "direction"))) {
		const char *d = json_string_value(x);
		if (!d)
			FAIL(e, "probes.tc[].direction must be a string");
		if (!strcmp(d, "ingress"))
			t->egress = false;
		else if (!strcmp(d, "egress"))
			t->ingress = false;
		else if (strcmp(d, "both"))
			FAIL(e, "probes.tc[].direction must be \"ingress\", \"egress\" or \"both\"");
	}
	return 0;
}

static int parse_probes(const json_t *p, struct config *c, struct ectx *e)
{
	static const char *const keys[] = { "tracepoints", "functions", "tc", NULL };
	const json_t *v, *el;
	size_t i;
	if (only_keys(p, "probes", keys, e))
		return -1;
	if ((v = json_object_get(p, "tracepoints")) && parse_tracepoints(v, c, e))
		return -1;
	if ((v = json_object_get(p, "functions")) && parse_functions(v, c, e))
		return -1;
	if (!(v = json_object_get(p, "tc")))
		return 0;
	if (!json_is_array(v))
		FAIL(e, "probes.tc must be an array");
	if (json_array_size(v) > 64)
		FAIL(e, "probes.tc: more than 64 interfaces");
	if (alloc_list((void **)&c->tc, json_array_size(v), sizeof(*c->tc), "probes.tc", e))
		return -1;
	json_array_foreach(v, i, el) {
		if (parse_tc_one(el, &c->tc[c->ntc], e))
			return -1;
		c->ntc++;
	}
	return 0;
}

/* netns (inode or path), interface (name or index), mark/markMask */
static int parse_meta(const json_t *j, struct config *c, struct ectx *e)
{
	const json_t *v;
	__u64 u;
	if ((v = json_object_get(j, "netns"))) {
		const char *path = json_string_value(v);
		struct stat st;
		if (path && path[0] != '/')
			FAIL(e, "netns must be an inode number or an absolute path");
		if (path && stat(path, &st))
			FAIL(e, "netns %s: %s", path, strerror(errno));
		if (!path && get_uint(v, "netns", 0xffffffffu, &u, e))
			return -1;
		if (!path && !u)
			FAIL(e, "netns must not be 0");
		c->netns = path ? (__u32)st.st_ino : (__u32)u;
	}
	if ((v = json_object_get(j, "interface"))) {
		if (json_is_string(v)) {
			if (get_str(v, "interface", c->ifname, sizeof(c->ifname), true, e))
				return -1;
			if (!valid_ifname(c->ifname))
				FAIL(e, "interface: bad interface name");
		} else {
			if (get_uint(v, "interface", 0x7fffffff, &u, e))
				return -1;
			if (!u)
				FAIL(e, "interface index must be > 0");
			c->ifindex = (__u32)u;
		}
	}
	if ((v = json_object_get(j, "mark"))) {
		if (get_uint(v, "mark", 0xffffffffu, &u, e))
			return -1;
		c->mark = (__u32)u;
		c->mark_mask = 0xffffffffu;
	}
	if ((v = json_object_get(j, "markMask"))) {
		if (!json_object_get(j, "mark"))
			FAIL(e, "markMask needs mark");
		if (get_uint(v, "markMask", 0xffffffffu, &u, e))
			return -1;
		if (!u)
			FAIL(e, "markMask must not be 0");
		c->mark_mask = (__u32)u;
		c->mark &= c->mark_mask;
	}
	return 0;
}

static int parse_attach(const json_t *v, struct config *c, struct ectx *e)
{
	const char *s = json_string_value(v);
	if (!s)
		FAIL(e, "attach must be a string");
	for (int b = 0; b < NBACKENDS; b++)
		if (!strcmp(s, backend_names[b])) {
			c->attach = (enum backend)b;
			return 0;
		}
	FAIL(e, "attach must be one of auto, kprobe-multi, fentry, kprobe, raw-tp, tc");
}

static int parse_limits(const json_t *v, struct config *c, struct ectx *e)
{
	static const char *const lk[] = { "packets", "durationMs", "events", NULL };
	const json_t *x;
	if (only_keys(v, "limits", lk, e))
		return -1;
	if ((x = json_object_get(v, "packets")) && get_uint(x, "limits.packets", 1u << 30, &c->max_packets, e))
		return -1;
	if ((x = json_object_get(v, "durationMs")) &&
	    get_uint(x, "limits.durationMs", 30ull * 24 * 3600 * 1000, &c->duration_ms, e))
		return -1;
	if ((x = json_object_get(v, "events")) && get_uint(x, "limits.events", 1ull << 48, &c->max_events, e))
		return -1;
	return 0;
}

static int parse_options(const json_t *v, struct config *c, struct ectx *e)
{
	static const char *const ok[] = { "stack", "dropStack", "trackMax", "ringbufBytes", NULL };
	const json_t *x;
	__u64 u;
	if (only_keys(v, "options", ok, e))
		return -1;
	if ((x = json_object_get(v, "stack")) && get_bool(x, "options.stack", &c->stack, e))
		return -1;
	if ((x = json_object_get(v, "dropStack")) && get_bool(x, "options.dropStack", &c->drop_stack, e))
		return -1;
	if ((x = json_object_get(v, "trackMax"))) {
		if (get_uint(x, "options.trackMax", 1u << 22, &u, e))
			return -1;
		if (u < 8192)
			FAIL(e, "options.trackMax must be at least 8192");
		c->track_max = (__u32)u;
	}
	if ((x = json_object_get(v, "ringbufBytes"))) {
		if (get_uint(x, "options.ringbufBytes", 1u << 30, &u, e))
			return -1;
		if (u < 4096 || (u & (u - 1)))
			FAIL(e, "options.ringbufBytes must be a power of two from 4096 to 1073741824");
		c->ringbuf_bytes = (__u32)u;
	}
	return 0;
}

static int parse_capture(const json_t *v, struct config *c, struct ectx *e)
{
	static const char *const ck[] = { "snaplen", NULL };
	const json_t *x;
	__u64 u;
	if (only_keys(v, "capture", ck, e))
		return -1;
	if ((x = json_object_get(v, "snaplen"))) {
		if (get_uint(x, "capture.snaplen", PKTPATH_MAX_SNAPLEN, &u, e))
			return -1;
		c->snaplen = (__u32)u;
	}
	return 0;
}

static int validate(const json_t *j, struct config *c, struct ectx *e)
{
	static const char *const keys[] = { "version", "filter", "netns",  "interface", "mark",    "markMask",
		                            "attach",  "probes", "limits", "options",   "capture", NULL };
	const json_t *v;
	__u64 u;
	if (!json_is_object(j))
		FAIL(e, "config must be a JSON object");
	if (only_keys(j, "config", keys, e))
		return -1;
	if ((v = json_object_get(j, "version")) && (get_uint(v, "version", 1000, &u, e) || u != 1))
		FAIL(e, "version: only config version 1 is supported");
	if ((v = json_object_get(j, "filter")) && get_str(v, "filter", c->filter, sizeof(c->filter), false, e))
		return -1;
	if (parse_meta(j, c, e))
		return -1;
	if ((v = json_object_get(j, "attach")) && parse_attach(v, c, e))
		return -1;
	if ((v = json_object_get(j, "probes")) && parse_probes(v, c, e))
		return -1;
	if ((v = json_object_get(j, "limits")) && parse_limits(v, c, e))
		return -1;
	if ((v = json_object_get(j, "options")) && parse_options(v, c, e))
		return -1;
	if ((v = json_object_get(j, "capture")) && parse_capture(v, c, e))
		return -1;
	if (c->attach == BK_TC && !c->ntc)
		FAIL(e, "attach \"tc\" needs probes.tc");
	return 0;
}

int config_from_json(const json_t *root, struct config *c, char *err, size_t errlen)
{
	struct ectx e = { err, errlen };
	memset(c, 0, sizeof(*c));
	c->tp_mode = LIST_ALL;
	c->fn_mode = LIST_NONE;
	c->track_max = 16384;
	c->ringbuf_bytes = 8 << 20;
	if (validate(root, c, &e)) {
		config_free(c);
		return -1;
	}
	return 0;
}

int config_parse(const char *text, size_t len, struct config *c, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, CONFIG_JSON_FLAGS, &je);
	memset(c, 0, sizeof(*c));
	if (!root) {
		snprintf(err, errlen, "config is not valid JSON: %s (line %d, column %d)", je.text, je.line, je.column);
		return -1;
	}
	int rc = config_from_json(root, c, err, errlen);
	json_decref(root);
	return rc;
}

void config_free(struct config *c)
{
	free(c->tracepoints);
	free(c->funcs);
	free(c->tc);
	c->tracepoints = NULL;
	c->funcs = NULL;
	c->tc = NULL;
	c->ntp = c->nfuncs = c->ntc = 0;
}
