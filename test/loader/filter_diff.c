// SPDX-License-Identifier: MIT
#include "filter_diff.h"
#include "ebpf_interp.h"
#include "pcap_ref.h"
#include <stdbool.h>

enum diff_result filter_diff(const struct cbpf_insn *cbpf, int ncbpf, const struct bpf_insn *ebpf, int nebpf,
                             const uint8_t *pkt, unsigned len, unsigned wirelen, int *matched)
{
	unsigned ref = pcap_ref_run(cbpf, ncbpf, pkt, wirelen, len);
	*matched = ref != 0;
	/* twice: with the prologue's window copy read, and faulting (unreadable bytes: no match) */
	for (int fault = 0; fault < 2; fault++) {
		uint64_t r0 = 0;
		ebpf_interp_window_faults = fault;
		int bad = ebpf_run(ebpf, nebpf, pkt, len, wirelen, &r0);
		ebpf_interp_window_faults = false;
		if (bad)
			return DIFF_BAD_EBPF;
		bool want = fault && ebpf_interp_window_read ? false : ref != 0;
		if (want != ((uint32_t)r0 != 0))
			return DIFF_MISMATCH;
	}
	return DIFF_SAME;
}
