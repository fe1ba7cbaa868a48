// SPDX-License-Identifier: MIT
/* libFuzzer: any bytes as a trace config. It parses or fails with a message; never crashes, leaks or hits UB. */
#include "../../bpf/loader/config.h"
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char err[512];
	err[0] = 0;
	if (config_parse((const char *)data, size, &c, err, sizeof(err)) == 0)
		config_free(&c);
	else if (!err[0])
		abort(); /* a refusal always says why */
	return 0;
}
