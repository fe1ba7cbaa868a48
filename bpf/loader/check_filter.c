// SPDX-License-Identifier: MIT
/* `loader check-filter [EXPR]`: compiles a tcpdump filter exactly as `trace` would (both views, then the cBPF ->
 * eBPF translation) without root and without touching the kernel; EXPR or, without it, all of stdin. */
#include "filter_compile.h"
#include "json_out.h"
#include "loader.h"
#include <stdlib.h>
#include <string.h>

#define MAX_FILTER (64 << 10)

/* The filter: argv[0], or all of stdin; NULL with *err set when it cannot be had. */
static char *read_filter(int argc, char **argv, const char **err)
{
	if (argc == 1) {
		char *f = strdup(argv[0]);
		*err = f ? NULL : "check-filter: out of memory";
		return f;
	}
	char *f = malloc(MAX_FILTER + 1);
	if (!f) {
		*err = "check-filter: out of memory";
		return NULL;
	}
	size_t n = fread(f, 1, MAX_FILTER + 1, stdin);
	if (n > MAX_FILTER) {
		free(f);
		*err = "check-filter: filter longer than 65536 bytes";
		return NULL;
	}
	f[n] = 0;
	return f;
}

int cmd_check_filter(int argc, char **argv)
{
	char err[512];
	const char *why = NULL;
	struct filter_views views;
	if (argc > 1)
		return fail_json("check-filter: one filter argument at most (quote it)");
	char *filter = read_filter(argc, argv, &why);
	if (!filter)
		return fail_json("%s", why);
	int bad = filter_compile(filter, false, &views, err, sizeof(err));
	free(filter);
	filter_views_free(&views);
	/* filter_compile prefixes "filter: " for trace's error record; the caller here knows it is the filter */
	const char *msg = strncmp(err, "filter: ", 8) ? err : err + 8;
	json_t *res = bad ? json_pack("{s:b,s:o}", "ok", 0, "error", json_text(msg)) : json_pack("{s:b}", "ok", 1);
	if (json_print_line(stdout, res))
		return 2;
	return bad ? 1 : 0;
}
