// SPDX-License-Identifier: MIT
#include "bpf_objects.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The gzip files scripts/build-bpf.sh writes next to the skeletons (found through the assembler's -I). */
#define EMBED(sym, file)                                                                                     \
	__asm__(".section .rodata\n.balign 8\n" #sym ":\n.incbin \"" file "\"\n" #sym "_end:\n.previous\n"); \
	extern const unsigned char sym[], sym##_end[]
EMBED(obj_full_gz, "pktpath.bpf.o.gz");
EMBED(obj_compat_gz, "pktpath_compat.bpf.o.gz");
EMBED(obj_direct_gz, "pktpath_direct.bpf.o.gz");

const char *const bpf_object_kind_names[] = { [OBJ_FULL] = "full", [OBJ_COMPAT] = "compat", [OBJ_DIRECT] = "direct" };

/* Inflates one gzip member of known size (its trailer says it); zlib checks the CRC. */
static unsigned char *gunzip(const unsigned char *gz, size_t n, size_t *size)
{
	if (n < 18)
		return NULL;
	uint32_t isize =
	        (uint32_t)gz[n - 4] | (uint32_t)gz[n - 3] << 8 | (uint32_t)gz[n - 2] << 16 | (uint32_t)gz[n - 1] << 24;
	unsigned char *out = malloc(isize ? isize : 1);
	z_stream z = { .next_in = (unsigned char *)gz, .avail_in = (uInt)n, .next_out = out, .avail_out = isize };
	if (!out || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return NULL;
	}
	int rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (rc != Z_STREAM_END || z.total_out != isize) {
		free(out);
		return NULL;
	}
	*size = isize;
	return out;
}

const void *bpf_object_elf(enum bpf_object_kind kind, size_t *size)
{
	static const unsigned char *const gz[][2] = {
		[OBJ_FULL] = { obj_full_gz, obj_full_gz_end },
		[OBJ_COMPAT] = { obj_compat_gz, obj_compat_gz_end },
		[OBJ_DIRECT] = { obj_direct_gz, obj_direct_gz_end },
	};
	static unsigned char *elf[3];
	static size_t elf_size[3];
	if ((unsigned)kind >= 3) {
		errno = EINVAL;
		return NULL;
	}
	if (!elf[kind] && !(elf[kind] = gunzip(gz[kind][0], (size_t)(gz[kind][1] - gz[kind][0]), &elf_size[kind]))) {
		errno = EBADMSG;
		return NULL;
	}
	*size = elf_size[kind];
	return elf[kind];
}
