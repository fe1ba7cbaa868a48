// SPDX-License-Identifier: MIT
#include "json_out.h"
#include <stdlib.h>
#include <string.h>

json_t *json_text(const char *s)
{
	json_t *v = json_string(s);
	if (v || !s)
		return v;
	char *copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	v = json_string(copy);
	free(copy);
	return v;
}

int json_print_line(FILE *f, json_t *v)
{
	int rc = v && !json_dumpf(v, f, JSON_OUT_FLAGS) && fputc('\n', f) != EOF ? 0 : -1;
	json_decref(v);
	return rc;
}
