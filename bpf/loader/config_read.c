// SPDX-License-Identifier: MIT
#include "config_read.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct reader {
	int fd;
	char *buf; /* every byte read, to find what came after the config */
	size_t len, handed;
	bool too_big, read_err;
};

/* jansson's load callback: hands over what one read(2) returns (blocking only when nothing is there). */
static size_t pull(void *out, size_t cap, void *data)
{
	struct reader *r = data;
	if (r->handed == r->len) {
		if (r->len >= CONFIG_MAX_BYTES) {
			r->too_big = true;
			return (size_t)-1;
		}
		ssize_t n;
		do
			n = read(r->fd, r->buf + r->len, CONFIG_MAX_BYTES - r->len);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			r->read_err = true;
		if (n <= 0)
			return n < 0 ? (size_t)-1 : 0;
		r->len += (size_t)n;
	}
	size_t k = r->len - r->handed < cap ? r->len - r->handed : cap;
	memcpy(out, r->buf + r->handed, k);
	r->handed += k;
	return k;
}

int config_read_fd(int fd, struct config *c, char *rest, size_t restlen, char *err, size_t errlen)
{
	struct reader r = { .fd = fd, .buf = malloc(CONFIG_MAX_BYTES) };
	json_error_t je;
	int rc = -1;
	memset(c, 0, sizeof(*c));
	rest[0] = 0;
	if (!r.buf) {
		snprintf(err, errlen, "config: out of memory");
		return -1;
	}
	/* stops right after the object's closing brace: error.position is then the bytes it used */
	json_t *root = json_load_callback(pull, &r, CONFIG_JSON_FLAGS | JSON_DISABLE_EOF_CHECK, &je);
	if (!root) {
		if (r.too_big)
			snprintf(err, errlen, "config larger than 1 MiB");
		else if (!r.len)
			snprintf(err, errlen, "no config on stdin");
		else
			snprintf(err, errlen, "config is not valid JSON: %s (line %d, column %d)", je.text, je.line,
			         je.column);
		goto out;
	}
	size_t used = je.position > 0 && (size_t)je.position <= r.len ? (size_t)je.position : r.len;
	snprintf(rest, restlen, "%.*s", (int)(r.len - used), r.buf + used);
	rc = config_from_json(root, c, err, errlen);
	json_decref(root);
out:
	free(r.buf);
	return rc;
}
