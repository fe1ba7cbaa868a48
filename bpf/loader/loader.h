/* SPDX-License-Identifier: MIT */
#ifndef LOADER_H
#define LOADER_H
#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>
#include "../pktpath.h"

#define LOADER_VERSION "0.1.0"

int cmd_probe(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_check_filter(int argc, char **argv);
int count_module_btf(void);
/* Loads and attaches a tiny program of this kind ("kprobe-multi", "fentry", "kprobe", "raw-tp", "tc", "tcx"). */
bool attach_kind_ok(const char *kind, char *err, size_t errlen);

/* Fatal error before the stream starts: one JSON line on stdout, exit code 2. */
int fail_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
