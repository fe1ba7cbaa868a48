/* SPDX-License-Identifier: MIT */
/* The builds of pktpath.bpf.c the loader carries, gzip-compressed (scripts/build-bpf.sh): the loader is copied to
 * every host it traces, and the three objects are most of its size uncompressed. They share pktpath_bpf's
 * skeleton (the build checks that their programs, maps and variables match). */
#ifndef BPF_OBJECTS_H
#define BPF_OBJECTS_H
#include <stddef.h>

/* full; compat for kernels without atomic fetch-and-add (< 5.12); direct for kernels with bpf_rdonly_cast (6.2+) */
enum bpf_object_kind { OBJ_FULL, OBJ_COMPAT, OBJ_DIRECT };
extern const char *const bpf_object_kind_names[];

/* The object's ELF, inflated on first use and kept for the process's life; NULL (errno set) when it cannot be. */
const void *bpf_object_elf(enum bpf_object_kind kind, size_t *size);
#endif
