// SPDX-License-Identifier: MIT
/* pktpath-loader: the static binary the core pushes over SSH. Commands: probe, trace, check-filter, cleanup,
 * version. */
#include "json_out.h"
#include "loader.h"
#include "../pktpath.h"
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
	json_print_line(stdout, json_pack("{s:s,s:o}", "type", "error", "error", json_text(msg)));
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
	(void)argc;
	(void)argv;
	/* BPF links die with their process; only classic TC filters can outlive a killed loader */
	int removed = tc_cleanup_all();
	return json_print_line(stdout, json_pack("{s:s,s:i}", "type", "cleanup", "tcFiltersRemoved", removed)) ? 1 : 0;
}

static void usage(FILE *f)
{
	fputs("usage: pktpath-loader probe            kernel capabilities as JSON\n"
	      "       pktpath-loader trace [--json]   config (JSON) on stdin, events on stdout\n"
	      "       pktpath-loader check-filter [EXPR]  compile a filter (EXPR or stdin), no root: {ok, error?}\n"
	      "       pktpath-loader cleanup          remove TC filters left by a killed loader\n"
	      "       pktpath-loader version\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int, char **);
	} cmds[] = {
		{ "probe", cmd_probe },
		{ "trace", cmd_trace },
		{ "check-filter", cmd_check_filter },
		{ "cleanup", cmd_cleanup },
	};
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))
		return json_print_line(stdout, json_pack("{s:s,s:i}", "loader", LOADER_VERSION, "framing",
		                                         PKTPATH_FRAMING_VERSION))
		               ? 1
		               : 0;
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	return fail_json("unknown command %s", argv[1]);
}
