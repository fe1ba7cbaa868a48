// SPDX-License-Identifier: MIT
#include "filter_diff.h"
#include "ebpf_interp.h"
#include "pcap_ref.h"

enum diff_result filter_diff(const struct cbpf_insn *cbpf, int ncbpf, const struct bpf_insn *ebpf, int nebpf,
                             const uint8_t *pkt, unsigned len, unsigned wirelen, int *matched)
{
	uint64_t r0 = 0;
	unsigned ref = pcap_ref_run(cbpf, ncbpf, pkt, wirelen, len);
	if (ebpf_run(ebpf, nebpf, pkt, len, wirelen, &r0))
		return DIFF_BAD_EBPF;
	*matched = ref != 0;
	return (ref != 0) == ((uint32_t)r0 != 0) ? DIFF_SAME : DIFF_MISMATCH;
}
