// SPDX-License-Identifier: MIT
#include "filter_splice.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_call_rel(const struct bpf_insn *i)
{
	return (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_CALL) ||
	       (i->code == (BPF_LD | BPF_IMM | BPF_DW) && i->src_reg == BPF_PSEUDO_FUNC);
}

static int check_layout(const struct splice_in *in, char *err, size_t errlen)
{
	if (!in->nf || in->start[0] != 0) {
		snprintf(err, errlen, "no subprogram starts at instruction 0");
		return -1;
	}
	for (__u32 f = 0; f < in->nf; f++) {
		__u32 end = f + 1 < in->nf ? in->start[f + 1] : in->cnt;
		if (in->start[f] > end || end > in->cnt || in->view[f] < -1 || in->view[f] > 1) {
			snprintf(err, errlen, "bad subprogram %u layout", f);
			return -1;
		}
		if (in->view[f] >= 0 && in->view_cnt[in->view[f]] <= 0) {
			snprintf(err, errlen, "no filter for view %d", in->view[f]);
			return -1;
		}
	}
	return 0;
}

/* The subprogram starting exactly at `target`, or -1. */
static long func_at(const struct splice_in *in, long target)
{
	for (__u32 g = 0; g < in->nf; g++)
		if (in->start[g] == target)
			return g;
	return -1;
}

/* Re-points the kept subprograms' relative calls: old target index -> the new start of the same subprogram. */
static int fix_calls(const struct splice_in *in, struct bpf_insn *out, const __u32 *nstart, char *err, size_t errlen)
{
	for (__u32 f = 0; f < in->nf; f++) {
		__u32 end = f + 1 < in->nf ? in->start[f + 1] : in->cnt;
		if (in->view[f] >= 0)
			continue;
		for (__u32 i = in->start[f]; i < end; i++) {
			if (!is_call_rel(&in->insns[i]))
				continue;
			long g = func_at(in, (long)i + 1 + in->insns[i].imm);
			if (g < 0) {
				snprintf(err, errlen, "call into the middle of a function at %u", i);
				return -1;
			}
			__u32 ni = nstart[f] + (i - in->start[f]);
			out[ni].imm = (int)nstart[g] - (int)(ni + 1);
		}
	}
	return 0;
}

int filter_splice(const struct splice_in *in, struct bpf_insn **res, __u32 *nstart, char *err, size_t errlen)
{
	if (check_layout(in, err, errlen))
		return -1;
	size_t cap = in->cnt +
	             (size_t)in->nf * (size_t)(in->view_cnt[0] > in->view_cnt[1] ? in->view_cnt[0] : in->view_cnt[1]);
	struct bpf_insn *out = calloc(cap ? cap : 1, sizeof(*out));
	size_t n = 0;
	if (!out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (__u32 f = 0; f < in->nf; f++) {
		__u32 end = f + 1 < in->nf ? in->start[f + 1] : in->cnt;
		const struct bpf_insn *src = in->view[f] >= 0 ? in->views[in->view[f]] : in->insns + in->start[f];
		size_t len = in->view[f] >= 0 ? (size_t)in->view_cnt[in->view[f]] : end - in->start[f];
		nstart[f] = n;
		memcpy(out + n, src, len * sizeof(*out));
		n += len;
	}
	if (n > 0x7fffffff || fix_calls(in, out, nstart, err, errlen)) {
		if (n > 0x7fffffff)
			snprintf(err, errlen, "program too large");
		free(out);
		return -1;
	}
	*res = out;
	return (int)n;
}
