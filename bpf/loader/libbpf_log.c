// SPDX-License-Identifier: MIT
#include "libbpf_log.h"
#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char last[512];

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	va_list ap2;
	if (level == LIBBPF_DEBUG)
		return 0;
	va_copy(ap2, ap);
	if (getenv("PKTPATH_LOADER_DEBUG"))
		vfprintf(stderr, fmt, ap2);
	va_end(ap2);
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	if (line[0] && !strstr(line, "-- BEGIN PROG LOAD LOG") && !strstr(line, "-- END PROG LOAD LOG"))
		snprintf(last, sizeof(last), "%s", line);
	return 0;
}

void libbpf_log_install(void)
{
	libbpf_set_print(print);
}

const char *libbpf_log_last(void)
{
	return last;
}

void libbpf_log_clear(void)
{
	last[0] = 0;
}
