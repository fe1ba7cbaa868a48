/* SPDX-License-Identifier: MIT */
/* A small JSON reader (for the trace config) and writer helpers (for status records and --json events). */
#ifndef JSON_H
#define JSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum json_type { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct json {
	enum json_type type;
	bool b;
	double num;
	char *str;            /* J_STR (NUL-terminated; strings with NUL bytes are rejected) */
	char *key;            /* member name when inside an object */
	struct json *child;   /* first element / member */
	struct json *next;    /* next sibling */
};

/* Parses exactly one JSON value from buf[0..len) (trailing whitespace allowed). On error returns NULL and writes
 * a message to err. */
struct json *json_parse(const char *buf, size_t len, char *err, size_t errlen);
void json_free(struct json *j);
const struct json *json_get(const struct json *obj, const char *key);
/* Length of the first complete JSON value in buf (after leading whitespace), 0 if it is not complete yet. */
size_t json_value_end(const char *buf, size_t len);

/* Writes s as a JSON string literal (with quotes). */
void json_write_str(FILE *f, const char *s);
#endif
