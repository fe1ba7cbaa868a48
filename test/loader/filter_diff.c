// SPDX-License-Identifier: MIT
#include "filter_diff.h"
#include "ebpf_interp.h"
#include "cbpf_to_ebpf.h"
#include "pcap_ref.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Runs one translation: for the other objects twice, with its window copy read and faulting; direct once. */
static enum diff_result run_translation(const struct bpf_insn *ebpf, int nebpf, bool direct, const uint8_t *pkt,
                                        unsigned len, unsigned wirelen, unsigned ref)
{
	for (int fault = 0; fault < (direct ? 1 : 2); fault++) {
		uint64_t r0 = 0;
		ebpf_interp_window_faults = fault;
		int bad = ebpf_run(ebpf, nebpf, pkt, len, wirelen, direct, &r0);
		ebpf_interp_window_faults = false;
		if (bad)
			return DIFF_BAD_EBPF;
		bool want = fault && ebpf_interp_window_read ? false : ref != 0;
		if (want != ((uint32_t)r0 != 0))
			return DIFF_MISMATCH;
	}
	return DIFF_SAME;
}

enum diff_result filter_diff(const struct cbpf_insn *cbpf, int ncbpf, const uint8_t *pkt, unsigned len,
                             unsigned wirelen, int *matched, char *err, size_t errlen)
{
	enum diff_result d = DIFF_SAME;
	struct bpf_insn *e[2] = { NULL, NULL };
	char derr[256] = "";
	int ne[2];
	unsigned ref = 0;
	*matched = 0;
	ne[0] = cbpf_to_ebpf(cbpf, ncbpf, false, &e[0], err, errlen);
	ne[1] = cbpf_to_ebpf(cbpf, ncbpf, true, &e[1], derr, sizeof(derr));
	if (ne[0] < 0 || ne[1] < 0)
		d = ne[0] < 0 && ne[1] < 0 && !strcmp(err, derr) ? DIFF_UNTRANSLATED : DIFF_BAD_EBPF;
	else /* only now: libpcap's interpreter aborts on the opcodes the translation refuses */
		*matched = (ref = pcap_ref_run(cbpf, ncbpf, pkt, wirelen, len)) != 0;
	for (int direct = 0; direct < 2 && d == DIFF_SAME; direct++)
		d = run_translation(e[direct], ne[direct], direct, pkt, len, wirelen, ref);
	free(e[0]);
	free(e[1]);
	return d;
}
