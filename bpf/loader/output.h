/* SPDX-License-Identifier: MIT */
/* The stdout stream: binary frames (default) or one JSON object per line (--json). Layout in docs/LOADER.md.
 * Frame: u32 length (header included, little-endian) | u16 type | u16 reserved (0) | payload. */
#ifndef OUTPUT_H
#define OUTPUT_H
#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "../pktpath.h"

enum frame_type { FRAME_HELLO = 1, FRAME_EVENT = 2, FRAME_STATUS = 3, FRAME_CAPTURE = 4 };

struct output {
	FILE *f;
	bool json;
	bool hello_sent;
	char *status_buf;
	size_t status_len;
	FILE *status; /* a status record being written */
};

void output_init(struct output *o, FILE *f, bool json);
void output_event(struct output *o, const struct pktpath_event *e, const char *probe_name);
/* A capture record: frame type 4 with the 24-byte header and caplen bytes, or a JSON line with hex data. */
void output_capture(struct output *o, const struct pktpath_capture *c);
/* Status records are written as JSON into the returned stream, then framed by output_status_end. The first
 * one (hello) goes out as a FRAME_HELLO. */
FILE *output_status_begin(struct output *o);
void output_status_end(struct output *o);
/* Returns non-zero when stdout is gone. */
int output_flush(struct output *o);
#endif
