// SPDX-License-Identifier: MIT
/* pktpath-loader: the static binary the core pushes over SSH. Commands: probe, trace, cleanup, version. */
#include "loader.h"
#include "tc_observer.h"
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int fail_json(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fputs("{\"type\":\"error\",\"error\":", stdout);
	/* json_write_str, without pulling json.h into every caller */
	extern void json_write_str(FILE *, const char *);
	json_write_str(stdout, msg);
	fputs("}\n", stdout);
	fflush(stdout);
	return 2;
}

int count_module_btf(void)
{
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	int n = 0;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.' && strcmp(de->d_name, "vmlinux");
	if (d)
		closedir(d);
	return n;
}

int cmd_cleanup(int argc, char **argv)
{
	(void)argc; (void)argv;
	/* BPF links die with their process; only classic TC filters can outlive a killed loader */
	int removed = tc_cleanup_all();
	printf("{\"type\":\"cleanup\",\"tcFiltersRemoved\":%d}\n", removed);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: pktpath-loader probe            kernel capabilities as JSON\n"
	      "       pktpath-loader trace [--json]   config (JSON) on stdin, events on stdout\n"
	      "       pktpath-loader check-filter [EXPR]  compile a filter (EXPR or stdin), no root: {ok, error?}\n"
	      "       pktpath-loader cleanup          remove TC filters left by a killed loader\n"
	      "       pktpath-loader version\n", f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "probe"))
		return cmd_probe(argc - 2, argv + 2);
	if (!strcmp(argv[1], "trace"))
		return cmd_trace(argc - 2, argv + 2);
	if (!strcmp(argv[1], "check-filter"))
		return cmd_check_filter(argc - 2, argv + 2);
	if (!strcmp(argv[1], "cleanup"))
		return cmd_cleanup(argc - 2, argv + 2);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("{\"loader\":\"%s\",\"framing\":%d}\n", LOADER_VERSION, PKTPATH_FRAMING_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	return fail_json("unknown command %s", argv[1]);
}
