// SPDX-License-Identifier: MIT
#include "probe_table.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct probe *probe_add(struct probe_table *t, const char *name, enum probe_kind kind)
{
	if (t->n >= PROBE_ID_LIMIT)
		return NULL;
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 64;
		struct probe *v = realloc(t->v, (size_t)cap * sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	struct probe *p = &t->v[t->n];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->kind = kind;
	p->fd = p->link_fd = p->ret_fd = p->ret_link_fd = -1;
	p->tc.link_fd = p->tc.netns_fd = -1;
	p->cookie = (__u32)t->n;
	t->n++;
	return p;
}

void probe_table_free(struct probe_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

const char *probe_kind_name(enum probe_kind k)
{
	static const char *const names[] = { "raw_tp", "tc", "kprobe-multi", "fentry", "kprobe" };
	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

enum probe_kind backend_probe_kind(enum backend b)
{
	return b == BK_KPROBE_MULTI ? PK_KPROBE_MULTI : b == BK_FENTRY ? PK_FENTRY : PK_KPROBE;
}
