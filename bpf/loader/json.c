// SPDX-License-Identifier: MIT
#include "json.h"
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	const char *s, *end;
	char *err;
	size_t errlen;
	int depth;
};

#define MAX_DEPTH 64

static void fail(struct parser *p, const char *fmt, ...)
{
	if (p->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err, p->errlen, fmt, ap);
	va_end(ap);
}

static void ws(struct parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

void json_free(struct json *j)
{
	while (j) {
		struct json *n = j->next;
		json_free(j->child);
		free(j->str);
		free(j->key);
		free(j);
		j = n;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static char *parse_string(struct parser *p)
{
	size_t cap = 16, n = 0;
	char *out = malloc(cap);
	p->s++; /* opening quote */
	while (p->s < p->end && *p->s != '"') {
		unsigned cp = (unsigned char)*p->s++;
		if (cp < 0x20) {
			fail(p, "control character in string");
			goto bad;
		}
		if (cp == '\\') {
			if (p->s >= p->end)
				break;
			char e = *p->s++;
			switch (e) {
			case '"': case '\\': case '/': cp = e; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'u':
				cp = 0;
				for (int i = 0; i < 4; i++) {
					int h = p->s < p->end ? hexval(*p->s++) : -1;
					if (h < 0) {
						fail(p, "bad \\u escape");
						goto bad;
					}
					cp = cp << 4 | h;
				}
				if (cp == 0) {
					fail(p, "NUL in string");
					goto bad;
				}
				break;
			default:
				fail(p, "bad escape \\%c", e);
				goto bad;
			}
		}
		if (n + 4 >= cap)
			out = realloc(out, cap *= 2);
		if (cp < 0x80) {
			out[n++] = cp;
		} else if (cp < 0x800) {
			out[n++] = 0xc0 | cp >> 6;
			out[n++] = 0x80 | (cp & 0x3f);
		} else {
			out[n++] = 0xe0 | cp >> 12;
			out[n++] = 0x80 | ((cp >> 6) & 0x3f);
			out[n++] = 0x80 | (cp & 0x3f);
		}
	}
	if (p->s >= p->end) {
		fail(p, "unterminated string");
		goto bad;
	}
	p->s++;
	out[n] = 0;
	return out;
bad:
	free(out);
	return NULL;
}

static struct json *parse_value(struct parser *p);

static struct json *parse_container(struct parser *p, bool obj)
{
	struct json *j = calloc(1, sizeof(*j)), **tail = &j->child;
	j->type = obj ? J_OBJ : J_ARR;
	if (++p->depth > MAX_DEPTH) {
		fail(p, "nesting deeper than %d", MAX_DEPTH);
		goto bad;
	}
	p->s++;
	ws(p);
	if (p->s < p->end && *p->s == (obj ? '}' : ']')) {
		p->s++;
		p->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		ws(p);
		if (obj) {
			if (p->s >= p->end || *p->s != '"') {
				fail(p, "expected a member name at offset %ld", (long)(p->end - p->s));
				goto bad;
			}
			if (!(key = parse_string(p)))
				goto bad;
			ws(p);
			if (p->s >= p->end || *p->s != ':') {
				free(key);
				fail(p, "expected ':'");
				goto bad;
			}
			p->s++;
		}
		struct json *v = parse_value(p);
		if (!v) {
			free(key);
			goto bad;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == (obj ? '}' : ']')) {
			p->s++;
			p->depth--;
			return j;
		}
		fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad:
	json_free(j);
	return NULL;
}

static struct json *parse_value(struct parser *p)
{
	ws(p);
	if (p->s >= p->end) {
		fail(p, "unexpected end of input");
		return NULL;
	}
	char c = *p->s;
	if (c == '{' || c == '[')
		return parse_container(p, c == '{');
	struct json *j = calloc(1, sizeof(*j));
	if (c == '"') {
		j->type = J_STR;
		if (!(j->str = parse_string(p)))
			goto bad;
		return j;
	}
	static const struct { const char *w; enum json_type t; bool b; } words[] = {
		{ "true", J_BOOL, true }, { "false", J_BOOL, false }, { "null", J_NULL, false } };
	for (size_t i = 0; i < 3; i++) {
		size_t l = strlen(words[i].w);
		if ((size_t)(p->end - p->s) >= l && !memcmp(p->s, words[i].w, l)) {
			j->type = words[i].t;
			j->b = words[i].b;
			p->s += l;
			return j;
		}
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		/* JSON number grammar, checked before strtod (which also takes hex, inf, nan) */
		const char *q = p->s;
		if (*q == '-') q++;
		if (q >= p->end || !(*q >= '0' && *q <= '9')) goto badnum;
		if (*q == '0') q++; else while (q < p->end && *q >= '0' && *q <= '9') q++;
		if (q < p->end && *q == '.') {
			q++;
			if (q >= p->end || !(*q >= '0' && *q <= '9')) goto badnum;
			while (q < p->end && *q >= '0' && *q <= '9') q++;
		}
		if (q < p->end && (*q == 'e' || *q == 'E')) {
			q++;
			if (q < p->end && (*q == '+' || *q == '-')) q++;
			if (q >= p->end || !(*q >= '0' && *q <= '9')) goto badnum;
			while (q < p->end && *q >= '0' && *q <= '9') q++;
		}
		char tmp[64];
		size_t l = q - p->s;
		if (l >= sizeof(tmp)) goto badnum;
		memcpy(tmp, p->s, l);
		tmp[l] = 0;
		j->type = J_NUM;
		j->num = strtod(tmp, NULL);
		if (!isfinite(j->num)) goto badnum;
		p->s = q;
		return j;
	badnum:
		fail(p, "bad number");
		goto bad;
	}
	fail(p, "unexpected character '%c'", c);
bad:
	json_free(j);
	return NULL;
}

struct json *json_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct parser p = { buf, buf + len, err, errlen, 0 };
	err[0] = 0;
	if (memchr(buf, 0, len)) {
		snprintf(err, errlen, "NUL byte in input");
		return NULL;
	}
	struct json *j = parse_value(&p);
	if (!j)
		return NULL;
	ws(&p);
	if (p.s != p.end) {
		snprintf(err, errlen, "trailing characters after the JSON value");
		json_free(j);
		return NULL;
	}
	return j;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (const struct json *c = obj->child; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

size_t json_value_end(const char *buf, size_t len)
{
	size_t i = 0;
	int depth = 0;
	bool in_str = false, esc = false, started = false;
	while (i < len && !started && (buf[i] == ' ' || buf[i] == '\n' || buf[i] == '\r' || buf[i] == '\t'))
		i++;
	for (; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (esc) esc = false;
			else if (c == '\\') esc = true;
			else if (c == '"') { in_str = false; if (depth == 0) return i + 1; }
			continue;
		}
		if (c == '"') { in_str = true; started = true; continue; }
		if (c == '{' || c == '[') { depth++; started = true; continue; }
		if (c == '}' || c == ']') { if (--depth <= 0) return i + 1; continue; }
		if (!started && c != ' ' && c != '\n' && c != '\t' && c != '\r')
			started = true;
		/* a scalar at top level ends at whitespace */
		if (started && depth == 0 && (c == '\n' || c == ' ' || c == '\t' || c == '\r'))
			return i;
	}
	return 0;
}

void json_write_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
