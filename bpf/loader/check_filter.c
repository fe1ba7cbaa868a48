// SPDX-License-Identifier: MIT
/* `loader check-filter [EXPR]`: compiles a tcpdump filter exactly as `trace` would (both views, then the cBPF ->
 * eBPF translation) without root and without touching the kernel; EXPR or, without it, all of stdin. */
#include "loader.h"
#include "filter_patch.h"
#include "json.h"
#include <stdlib.h>
#include <string.h>

#define MAX_FILTER (64 << 10)

int cmd_check_filter(int argc, char **argv)
{
	char *filter, err[512];
	if (argc > 1)
		return fail_json("check-filter: one filter argument at most (quote it)");
	if (argc == 1) {
		filter = strdup(argv[0]);
	} else {
		filter = malloc(MAX_FILTER + 1);
		size_t n = fread(filter, 1, MAX_FILTER + 1, stdin);
		if (n > MAX_FILTER)
			return fail_json("check-filter: filter longer than %d bytes", MAX_FILTER);
		filter[n] = 0;
	}
	int bad = filter_prepare(filter, err, sizeof(err));
	free(filter);
	if (!bad) {
		puts("{\"ok\":true}");
		return 0;
	}
	/* filter_prepare prefixes "filter: " for trace's error record; the caller here knows it is the filter */
	const char *msg = strncmp(err, "filter: ", 8) ? err : err + 8;
	fputs("{\"ok\":false,\"error\":", stdout);
	json_write_str(stdout, msg);
	puts("}");
	return 1;
}
