// SPDX-License-Identifier: MIT
#include "drop_sites.h"
#include "kallsyms.h"
#include <inttypes.h>

/* Addresses already reported: an open-addressing set. Call sites of kfree_skb are few (hundreds at most); past
 * the bound new addresses are still reported, only possibly twice. */
#define SITES 4096
static uint64_t seen[SITES];
static unsigned nseen;

static int remember(uint64_t addr)
{
	unsigned i = (unsigned)((addr * 0x9e3779b97f4a7c15ULL) >> 52) % SITES;
	for (unsigned n = 0; n < SITES; n++, i = (i + 1) % SITES) {
		if (seen[i] == addr)
			return 0;
		if (!seen[i]) {
			if (nseen + 1 >= SITES)
				return 1; /* full: report, do not remember */
			seen[i] = addr;
			nseen++;
			return 1;
		}
	}
	return 1;
}

void drop_sites_note(struct output *o, const struct pktpath_event *e)
{
	uint64_t addr = (uint64_t)e->retval, off = 0;
	if (!(e->flags & EV_LOCATION) || !addr || !remember(addr))
		return;
	const char *sym = kallsyms_load() ? NULL : kallsyms_sym(addr, &off);
	FILE *f = output_status_begin(o);
	if (!f)
		return;
	fprintf(f, "{\"type\":\"symbol\",\"addr\":\"0x%" PRIx64 "\"", addr);
	if (sym) /* kernel symbol names are C identifiers (with '.' suffixes): nothing to escape */
		fprintf(f, ",\"sym\":\"%s\",\"off\":%" PRIu64, sym, off);
	fputs("}", f);
	output_status_end(o);
}
