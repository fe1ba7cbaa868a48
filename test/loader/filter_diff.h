/* SPDX-License-Identifier: MIT */
/* Runs a cBPF program both ways on one packet: libpcap's interpreter on the cBPF, and the eBPF interpreter on
 * cbpf_to_ebpf's translation. Shared by the unit tests and the fuzz targets. */
#ifndef FILTER_DIFF_H
#define FILTER_DIFF_H
#include "../../bpf/loader/pcap_compile.h"
#include <linux/bpf.h>

enum diff_result { DIFF_SAME, DIFF_MISMATCH, DIFF_BAD_EBPF, DIFF_UNTRANSLATED };

/* Compares whether the packet matches (return value != 0). cbpf is translated both ways (cbpf_to_ebpf, for the
 * direct object and the others; both refuse alike or neither does: DIFF_UNTRANSLATED with err, else
 * DIFF_BAD_EBPF). The other objects' translation runs with its window copy read (same answer as libpcap) and
 * faulting (ebpf_interp_window_faults: no match, unreadable bytes); the direct one's loads kernel memory that is
 * mapped, its packet loads checked against the readable bytes (same answer as libpcap). */
enum diff_result filter_diff(const struct cbpf_insn *cbpf, int ncbpf, const uint8_t *pkt, unsigned len,
                             unsigned wirelen, int *matched, char *err, size_t errlen);
#endif
