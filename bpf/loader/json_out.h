/* SPDX-License-Identifier: MIT */
/* Writing JSON with jansson: records are built as values and dumped compact, in insertion order. */
#ifndef JSON_OUT_H
#define JSON_OUT_H
#include <jansson.h>
#include <stdio.h>

#define JSON_OUT_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

/* A JSON string of s; bytes that are not UTF-8 (jansson refuses them) become '?'. Never NULL for non-NULL s
 * unless out of memory. */
json_t *json_text(const char *s);
/* Writes v compact plus a newline, takes the reference. Returns 0 or -1. */
int json_print_line(FILE *f, json_t *v);
#endif
