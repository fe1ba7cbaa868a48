/* SPDX-License-Identifier: MIT */
/* Reads the trace config from a stream that stays open: the decoder pulls bytes until the first complete JSON
 * object, so the config needs no framing and stdin can go on as the liveness channel. */
#ifndef CONFIG_READ_H
#define CONFIG_READ_H
#include "config.h"

#define CONFIG_MAX_BYTES (1 << 20)

/* Reads and validates the config from fd. rest (cap restlen) gets the bytes read past it (e.g. a "stop" sent
 * with it). Returns 0, or -1 with err. */
int config_read_fd(int fd, struct config *c, char *rest, size_t restlen, char *err, size_t errlen);
#endif
