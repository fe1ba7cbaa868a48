// SPDX-License-Identifier: MIT
/* libFuzzer: any subprogram layout and instructions through the filter splicing. It is refused with a message
 * or yields a program where every kept relative call lands on the new start of the subprogram it called.
 * Input: u8 subprogram count, per subprogram u16 start and u8 view (0 keep, 1 l2, 2 l3), then instructions. */
#include "../../bpf/loader/filter_splice.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct bpf_insn l2[] = { { .code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 1 },
	                              { .code = BPF_JMP | BPF_EXIT } };
static const struct bpf_insn l3[] = { { .code = BPF_JMP | BPF_EXIT } };

static int is_call(const struct bpf_insn *i)
{
	return (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_CALL) ||
	       (i->code == (BPF_LD | BPF_IMM | BPF_DW) && i->src_reg == BPF_PSEUDO_FUNC);
}

/* Each kept call's new target is the new start of the subprogram the old target started. */
static void check(const struct splice_in *in, const struct bpf_insn *out, const __u32 *nstart)
{
	for (__u32 f = 0; f < in->nf; f++) {
		__u32 end = f + 1 < in->nf ? in->start[f + 1] : in->cnt;
		for (__u32 i = in->start[f]; in->view[f] < 0 && i < end; i++) {
			if (!is_call(&in->insns[i]))
				continue;
			long target = (long)i + 1 + in->insns[i].imm, g = 0;
			while (g < in->nf && in->start[g] != target)
				g++;
			__u32 ni = nstart[f] + (i - in->start[f]);
			if (g == in->nf || (long)ni + 1 + out[ni].imm != (long)nstart[g])
				abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	__u32 nf = data[0] % 16, start[16], nstart[16];
	int view[16];
	if (size < 1 + 3 * (size_t)nf)
		return 0;
	for (__u32 f = 0; f < nf; f++) {
		start[f] = data[1 + 3 * f] | data[2 + 3 * f] << 8;
		view[f] = data[3 + 3 * f] % 3 - 1;
	}
	size_t off = 1 + 3 * (size_t)nf, cnt = (size - off) / sizeof(struct bpf_insn);
	struct bpf_insn *insns = malloc((cnt ? cnt : 1) * sizeof(*insns)), *out = NULL;
	char err[160] = "";
	if (!insns)
		return 0;
	memcpy(insns, data + off, cnt * sizeof(*insns));
	struct splice_in in = { insns, cnt, start, view, nf, { l2, l3 }, { 2, 1 } };
	int n = filter_splice(&in, &out, nstart, err, sizeof(err));
	if (n < 0 && !err[0])
		abort();
	if (n >= 0)
		check(&in, out, nstart);
	free(out);
	free(insns);
	return 0;
}
