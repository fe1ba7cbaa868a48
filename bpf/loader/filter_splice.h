/* SPDX-License-Identifier: MIT */
/* Splices the translated filter into a program's final instructions: the bodies of the filter_pcap_l2/l3 stub
 * subprograms are replaced, and every relative call (and function address load) is re-pointed at the new start
 * of its target. Pure: built on the host with sanitizers and fuzzed. */
#ifndef FILTER_SPLICE_H
#define FILTER_SPLICE_H
#include <linux/bpf.h>
#include <stddef.h>

struct splice_in {
	const struct bpf_insn *insns; /* the program as libbpf linked it */
	size_t cnt;
	const __u32 *start; /* nf subprogram starts (func_info insn_off), ascending, start[0] == 0 */
	const int *view;    /* per subprogram: -1 keep it, 0 or 1 replace its body with that view's filter */
	__u32 nf;
	const struct bpf_insn *views[2]; /* the translated filter of each view */
	int view_cnt[2];
};

/* Writes the new program to *out (malloc'd) and each subprogram's new start to nstart[0..nf). Returns the new
 * instruction count, or -1 with a message. */
int filter_splice(const struct splice_in *in, struct bpf_insn **out, __u32 *nstart, char *err, size_t errlen);
#endif
