/* SPDX-License-Identifier: MIT */
/* A tcpdump filter compiled for both views (libpcap on a dead handle, then cbpf_to_ebpf). A view that cannot
 * express the filter (`arp`, `ether host` have no raw-IP form) gets a program that rejects every packet, as
 * pwru does; the filter is refused only when neither view compiles. Needs no root and no kernel. */
#ifndef FILTER_COMPILE_H
#define FILTER_COMPILE_H
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>

struct filter_views {
	struct bpf_insn *insns[2]; /* [0]: Ethernet (L2) view, [1]: raw IP (L3) view */
	int cnt[2];
};

/* Compiles `filter` ("" matches everything) for the direct object (`direct`: cbpf_to_ebpf.h) or the others.
 * Returns 0, or -1 with "filter: <libpcap's message>". */
int filter_compile(const char *filter, bool direct, struct filter_views *out, char *err, size_t errlen);
void filter_views_free(struct filter_views *v);
#endif
