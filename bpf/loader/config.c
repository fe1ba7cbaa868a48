// SPDX-License-Identifier: MIT
#include "config.h"
#include "json.h"
#include "../pktpath.h"
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *backend_names[] = { "auto", "kprobe-multi", "fentry", "kprobe", "raw-tp", "tc" };
const char *backend_name(enum backend b) { return backend_names[b]; }

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return -1; } while (0)

static int only_keys(const struct json *o, const char *where, const char *const *keys, char *err, size_t errlen)
{
	if (!o || o->type != J_OBJ)
		FAIL("%s must be an object", where);
	for (const struct json *m = o->child; m; m = m->next) {
		bool ok = false;
		for (const char *const *k = keys; *k; k++)
			ok |= !strcmp(*k, m->key);
		if (!ok)
			FAIL("%s: unknown key \"%s\"", where, m->key);
	}
	return 0;
}

static int get_uint(const struct json *v, const char *what, __u64 max, __u64 *out, char *err, size_t errlen)
{
	if (v->type != J_NUM || v->num < 0 || v->num != floor(v->num) || v->num > (double)max)
		FAIL("%s must be an integer from 0 to %llu", what, (unsigned long long)max);
	*out = (__u64)v->num;
	return 0;
}

static int get_str(const struct json *v, const char *what, char *dst, size_t cap, bool nonempty, char *err,
		   size_t errlen)
{
	if (v->type != J_STR)
		FAIL("%s must be a string", what);
	if (strlen(v->str) >= cap)
		FAIL("%s is longer than %zu characters", what, cap - 1);
	if (nonempty && !v->str[0])
		FAIL("%s must not be empty", what);
	strcpy(dst, v->str);
	return 0;
}

static bool valid_ident(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(*s == '_' || *s == '.' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
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

static int list_mode(const struct json *v, const char *what, enum list_mode *m, char *err, size_t errlen)
{
	if (v->type == J_ARR) {
		*m = LIST_EXPLICIT;
		return 0;
	}
	if (v->type == J_STR && !strcmp(v->str, "all")) *m = LIST_ALL;
	else if (v->type == J_STR && !strcmp(v->str, "none")) *m = LIST_NONE;
	/* the one default list is pktpath's `default` profile: the core sends its names */
	else FAIL("%s must be an array or one of \"all\", \"none\"", what);
	return 1;
}

/* One element of probes.functions: a name, or {name, pos?, ret?, stack?}. */
static int parse_func(const struct json *e, struct func_req *f, char *err, size_t errlen)
{
	static const char *const fk[] = { "name", "pos", "ret", "stack", NULL };
	const struct json *n, *pos, *flag;
	__u64 pv;
	if (e->type == J_STR)
		return get_str(e, "probes.functions[]", f->name, sizeof(f->name), true, err, errlen);
	if (only_keys(e, "probes.functions[]", fk, err, errlen))
		return -1;
	if (!(n = json_get(e, "name")))
		FAIL("probes.functions[]: \"name\" is required");
	if (get_str(n, "probes.functions[].name", f->name, sizeof(f->name), true, err, errlen))
		return -1;
	if ((pos = json_get(e, "pos"))) {
		if (get_uint(pos, "probes.functions[].pos", 5, &pv, err, errlen))
			return -1;
		if (pv < 1)
			FAIL("probes.functions[].pos must be from 1 to 5");
		f->pos = pv;
	}
	if ((flag = json_get(e, "ret"))) {
		if (flag->type != J_BOOL)
			FAIL("probes.functions[].ret must be true or false");
		f->ret = flag->b;
	}
	if ((flag = json_get(e, "stack"))) {
		if (flag->type != J_BOOL)
			FAIL("probes.functions[].stack must be true or false");
		f->stack = flag->b;
	}
	return 0;
}

static int parse_probes(const struct json *p, struct config *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "tracepoints", "functions", "tc", NULL };
	const struct json *v;
	if (only_keys(p, "probes", keys, err, errlen))
		return -1;
	if ((v = json_get(p, "tracepoints"))) {
		int r = list_mode(v, "probes.tracepoints", &c->tp_mode, err, errlen);
		if (r < 0)
			return -1;
		if (r == 0) {
			for (const struct json *e = v->child; e; e = e->next) {
				char name[64];
				if (get_str(e, "probes.tracepoints[]", name, sizeof(name), true, err, errlen))
					return -1;
				if (!valid_ident(name))
					FAIL("probes.tracepoints: bad name \"%s\"", name);
				c->tracepoints = realloc(c->tracepoints, (c->ntp + 1) * sizeof(*c->tracepoints));
				strcpy(c->tracepoints[c->ntp++], name);
			}
		}
	}
	if ((v = json_get(p, "functions"))) {
		int r = list_mode(v, "probes.functions", &c->fn_mode, err, errlen);
		if (r < 0)
			return -1;
		if (r == 0) {
			for (const struct json *e = v->child; e; e = e->next) {
				struct func_req f = { 0 };
				if (parse_func(e, &f, err, errlen))
					return -1;
				if (!valid_ident(f.name))
					FAIL("probes.functions: bad function name \"%s\"", f.name);
				if (c->nfuncs >= 65536)
					FAIL("probes.functions: more than 65536 functions");
				c->funcs = realloc(c->funcs, (c->nfuncs + 1) * sizeof(*c->funcs));
				c->funcs[c->nfuncs++] = f;
			}
		}
	}
	if ((v = json_get(p, "tc"))) {
		if (v->type != J_ARR)
			FAIL("probes.tc must be an array");
		for (const struct json *e = v->child; e; e = e->next) {
			static const char *const tk[] = { "interface", "netns", "direction", NULL };
			struct tc_req t = { .ingress = true, .egress = true };
			const struct json *x;
			if (only_keys(e, "probes.tc[]", tk, err, errlen))
				return -1;
			if (!(x = json_get(e, "interface")))
				FAIL("probes.tc[]: \"interface\" is required");
			if (get_str(x, "probes.tc[].interface", t.ifname, sizeof(t.ifname), true, err, errlen))
				return -1;
			if (!valid_ifname(t.ifname))
				FAIL("probes.tc[].interface: bad interface name");
			if ((x = json_get(e, "netns")) &&
			    get_str(x, "probes.tc[].netns", t.netns, sizeof(t.netns), true, err, errlen))
				return -1;
			if (t.netns[0] && t.netns[0] != '/')
				FAIL("probes.tc[].netns must be an absolute path (/run/netns/NAME, /proc/PID/ns/net)");
			if ((x = json_get(e, "direction"))) {
				if (x->type != J_STR)
					FAIL("probes.tc[].direction must be a string");
				if (!strcmp(x->str, "ingress")) t.egress = false;
				else if (!strcmp(x->str, "egress")) t.ingress = false;
				else if (strcmp(x->str, "both")) FAIL("probes.tc[].direction must be \"ingress\", \"egress\" or \"both\"");
			}
			if (c->ntc >= 64)
				FAIL("probes.tc: more than 64 interfaces");
			c->tc = realloc(c->tc, (c->ntc + 1) * sizeof(*c->tc));
			c->tc[c->ntc++] = t;
		}
	}
	return 0;
}

int config_parse(const char *text, size_t len, struct config *c, char *err, size_t errlen)
{
	static const char *const keys[] = { "version", "filter", "netns", "interface", "mark", "markMask", "attach",
					    "probes", "limits", "options", "capture", NULL };
	char perr[200];
	const struct json *v;
	__u64 u;
	int rc = -1;

	memset(c, 0, sizeof(*c));
	c->tp_mode = LIST_ALL;
	c->fn_mode = LIST_NONE;
	c->track_max = 16384;
	c->ringbuf_bytes = 8 << 20;
	struct json *j = json_parse(text, len, perr, sizeof(perr));
	if (!j) {
		snprintf(err, errlen, "config is not valid JSON: %s", perr);
		return -1;
	}
#undef FAIL
#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); goto out; } while (0)
	if (j->type != J_OBJ)
		FAIL("config must be a JSON object");
	if (only_keys(j, "config", keys, err, errlen))
		goto out;
	if ((v = json_get(j, "version")) && (get_uint(v, "version", 1000, &u, err, errlen) || u != 1))
		FAIL("version: only config version 1 is supported");
	if ((v = json_get(j, "filter")) && get_str(v, "filter", c->filter, sizeof(c->filter), false, err, errlen))
		goto out;
	if ((v = json_get(j, "netns"))) {
		if (v->type == J_STR) {
			struct stat st;
			if (v->str[0] != '/')
				FAIL("netns must be an inode number or an absolute path");
			if (stat(v->str, &st))
				FAIL("netns %s: %s", v->str, strerror(errno));
			c->netns = st.st_ino;
		} else {
			if (get_uint(v, "netns", 0xffffffffu, &u, err, errlen))
				goto out;
			if (!u)
				FAIL("netns must not be 0");
			c->netns = u;
		}
	}
	if ((v = json_get(j, "interface"))) {
		if (v->type == J_STR) {
			if (get_str(v, "interface", c->ifname, sizeof(c->ifname), true, err, errlen))
				goto out;
			if (!valid_ifname(c->ifname))
				FAIL("interface: bad interface name");
		} else {
			if (get_uint(v, "interface", 0x7fffffff, &u, err, errlen))
				goto out;
			if (!u)
				FAIL("interface index must be > 0");
			c->ifindex = u;
		}
	}
	if ((v = json_get(j, "mark"))) {
		if (get_uint(v, "mark", 0xffffffffu, &u, err, errlen))
			goto out;
		c->mark = u;
		c->mark_mask = 0xffffffffu;
	}
	if ((v = json_get(j, "markMask"))) {
		if (!json_get(j, "mark"))
			FAIL("markMask needs mark");
		if (get_uint(v, "markMask", 0xffffffffu, &u, err, errlen))
			goto out;
		if (!u)
			FAIL("markMask must not be 0");
		c->mark_mask = u;
		c->mark &= c->mark_mask;
	}
	if ((v = json_get(j, "attach"))) {
		int b;
		if (v->type != J_STR)
			FAIL("attach must be a string");
		for (b = 0; b < 6 && strcmp(v->str, backend_names[b]); b++)
			;
		if (b == 6)
			FAIL("attach must be one of auto, kprobe-multi, fentry, kprobe, raw-tp, tc");
		c->attach = b;
	}
	if ((v = json_get(j, "probes")) && parse_probes(v, c, err, errlen))
		goto out;
	if ((v = json_get(j, "limits"))) {
		static const char *const lk[] = { "packets", "durationMs", "events", NULL };
		const struct json *x;
		if (only_keys(v, "limits", lk, err, errlen))
			goto out;
		if ((x = json_get(v, "packets")) && get_uint(x, "limits.packets", 1u << 30, &c->max_packets, err, errlen))
			goto out;
		if ((x = json_get(v, "durationMs")) &&
		    get_uint(x, "limits.durationMs", 30ull * 24 * 3600 * 1000, &c->duration_ms, err, errlen))
			goto out;
		if ((x = json_get(v, "events")) && get_uint(x, "limits.events", 1ull << 48, &c->max_events, err, errlen))
			goto out;
	}
	if ((v = json_get(j, "options"))) {
		static const char *const ok[] = { "stack", "trackMax", "ringbufBytes", NULL };
		const struct json *x;
		if (only_keys(v, "options", ok, err, errlen))
			goto out;
		if ((x = json_get(v, "stack"))) {
			if (x->type != J_BOOL)
				FAIL("options.stack must be true or false");
			c->stack = x->b;
		}
		if ((x = json_get(v, "trackMax"))) {
			if (get_uint(x, "options.trackMax", 1u << 22, &u, err, errlen))
				goto out;
			if (u < 8192)
				FAIL("options.trackMax must be at least 8192");
			c->track_max = u;
		}
		if ((x = json_get(v, "ringbufBytes"))) {
			if (get_uint(x, "options.ringbufBytes", 1u << 30, &u, err, errlen))
				goto out;
			if (u < 4096 || (u & (u - 1)))
				FAIL("options.ringbufBytes must be a power of two from 4096 to 1073741824");
			c->ringbuf_bytes = u;
		}
	}
	if ((v = json_get(j, "capture"))) {
		static const char *const ck[] = { "snaplen", NULL };
		const struct json *x;
		if (only_keys(v, "capture", ck, err, errlen))
			goto out;
		if ((x = json_get(v, "snaplen"))) {
			if (get_uint(x, "capture.snaplen", PKTPATH_MAX_SNAPLEN, &u, err, errlen))
				goto out;
			c->snaplen = u;
		}
	}
	if (c->attach == BK_TC && !c->ntc)
		FAIL("attach \"tc\" needs probes.tc");
	rc = 0;
out:
	json_free(j);
	return rc;
}
