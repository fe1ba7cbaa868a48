// SPDX-License-Identifier: MIT
#include "pcap_compile.h"
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>

int pcap_compile_view(const char *filter, enum pcap_view view, struct cbpf_insn **out, char *err, size_t errlen)
{
	/* A dead handle: no device, no capture, only the compiler. DLT_RAW yields IPv4-or-IPv6 code. */
	pcap_t *p = pcap_open_dead(view == VIEW_L2 ? DLT_EN10MB : DLT_RAW, 262144);
	struct bpf_program prog;
	int n = -1;

	if (!p) {
		snprintf(err, errlen, "pcap_open_dead failed");
		return -1;
	}
	if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		snprintf(err, errlen, "%s", pcap_geterr(p));
		goto out;
	}
	*out = calloc(prog.bf_len, sizeof(**out));
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		pcap_freecode(&prog);
		goto out;
	}
	for (unsigned i = 0; i < prog.bf_len; i++) {
		(*out)[i].code = prog.bf_insns[i].code;
		(*out)[i].jt = prog.bf_insns[i].jt;
		(*out)[i].jf = prog.bf_insns[i].jf;
		(*out)[i].k = prog.bf_insns[i].k;
	}
	n = prog.bf_len;
	pcap_freecode(&prog);
out:
	pcap_close(p);
	return n;
}
