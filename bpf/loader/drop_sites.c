// SPDX-License-Identifier: MIT
#include "drop_sites.h"
#include "json_out.h"
#include "kallsyms.h"
#include <bpf/bpf.h>
#include <stdio.h>
#include <inttypes.h>

/* Addresses already reported: an open-addressing set. Call sites of kfree_skb are few (hundreds at most); past
 * the bound new addresses are still reported, only possibly twice. */
#define SITES 4096
struct seen_set {
	uint64_t v[SITES];
	unsigned n;
};
static struct seen_set sites, stacks;

/* 1 when `addr` (never 0) is new to the set, or the set is full. */
static int remember(struct seen_set *set, uint64_t addr)
{
	uint64_t *seen = set->v;
	unsigned i = (unsigned)((addr * 0x9e3779b97f4a7c15ULL) >> 52) % SITES;
	for (unsigned n = 0; n < SITES; n++, i = (i + 1) % SITES) {
		if (seen[i] == addr)
			return 0;
		if (!seen[i]) {
			if (set->n + 1 >= SITES)
				return 1; /* full: report, do not remember */
			seen[i] = addr;
			set->n++;
			return 1;
		}
	}
	return 1;
}

void drop_sites_note(struct output *o, const struct pktpath_event *e)
{
	uint64_t addr = (uint64_t)e->retval, off = 0;
	if (!(e->flags & EV_LOCATION) || !addr || !remember(&sites, addr))
		return;
	const char *sym = kallsyms_load() ? NULL : kallsyms_sym(addr, &off);
	char hex[24];
	snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
	json_t *r = json_pack("{s:s,s:s}", "type", "symbol", "addr", hex);
	if (r && sym) {
		json_object_set_new(r, "sym", json_text(sym));
		json_object_set_new(r, "off", json_integer((json_int_t)off));
	}
	output_status(o, r);
}

void stacks_note(struct output *o, const struct pktpath_event *e, int stacks_fd)
{
	__u64 ips[PKTPATH_STACK_DEPTH] = { 0 };
	if (!(e->flags & EV_STACK) || e->stack_id < 0 || !remember(&stacks, (uint64_t)e->stack_id + 1))
		return;
	json_t *frames = json_array();
	if (frames && !bpf_map_lookup_elem(stacks_fd, &e->stack_id, ips)) {
		bool syms = kallsyms_load() == 0;
		for (int i = 0; i < PKTPATH_STACK_DEPTH && ips[i]; i++) {
			uint64_t off = 0;
			const char *sym = syms ? kallsyms_sym(ips[i], &off) : NULL;
			char f[160];
			if (sym)
				snprintf(f, sizeof(f), "%.128s+0x%" PRIx64, sym, off);
			else
				snprintf(f, sizeof(f), "0x%" PRIx64, (uint64_t)ips[i]);
			json_array_append_new(frames, json_text(f));
		}
	}
	output_status(o, json_pack("{s:s,s:i,s:o}", "type", "stack", "id", e->stack_id, "frames", frames));
}
