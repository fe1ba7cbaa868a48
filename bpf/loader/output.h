/* SPDX-License-Identifier: MIT */
/* The stdout stream: binary frames (default) or one JSON object per line (--json). Layout in docs/LOADER.md.
 * Frame: u32 length (header included, little-endian) | u16 type | u16 reserved (0) | payload. */
#ifndef OUTPUT_H
#define OUTPUT_H
#include <linux/types.h> /* before pktpath.h, which uses its types */
#include "../pktpath.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

enum frame_type { FRAME_HELLO = 1, FRAME_EVENT = 2, FRAME_STATUS = 3, FRAME_CAPTURE = 4, FRAME_TASK = 5 };

struct output {
	FILE *f;
	bool json;
	bool hello_sent;
};

void output_init(struct output *o, FILE *f, bool json);
void output_event(struct output *o, const struct pktpath_event *e, const char *probe_name);
/* A capture record: frame type 4 with the 24-byte header and caplen bytes, or a JSON line with hex data. */
void output_capture(struct output *o, const struct pktpath_capture *c);
/* A task record (the receiving process): frame type 5 with the 40-byte struct, or a JSON line. */
void output_task(struct output *o, const struct pktpath_task *k);
/* Writes a status record (takes the reference; NULL, from a failed allocation, writes nothing). The first one
 * (hello) goes out as a FRAME_HELLO. */
void output_status(struct output *o, json_t *rec);
/* Returns non-zero when stdout is gone. */
int output_flush(struct output *o);
#endif
