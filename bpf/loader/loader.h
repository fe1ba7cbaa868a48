/* SPDX-License-Identifier: MIT */
#ifndef LOADER_H
#define LOADER_H
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define LOADER_VERSION "0.1.0"

int cmd_probe(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_check_filter(int argc, char **argv);
int count_module_btf(void);

/* What `probe` tests by loading and attaching a tiny program; the order of its "attach" object. */
enum attach_test { AT_KPROBE_MULTI, AT_FENTRY, AT_KPROBE, AT_RAW_TP, AT_TCX, AT_TC, AT_COUNT };
const char *attach_test_name(enum attach_test t);
/* Loads and attaches a tiny program of this kind; false with the reason in err. */
bool attach_kind_ok(enum attach_test t, char *err, size_t errlen);

/* Fatal error before the stream starts: one JSON line on stdout, exit code 2. */
int fail_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
