// SPDX-License-Identifier: MIT
#include "filter_compile.h"
#include "cbpf_to_ebpf.h"
#include "pcap_compile.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A view's program when libpcap cannot express the filter there: reject every packet. */
static const struct cbpf_insn reject_all = { .code = 0x06 /* BPF_RET | BPF_K */, .k = 0 };

int filter_compile(const char *filter, bool direct, struct filter_views *out, char *err, size_t errlen)
{
	struct cbpf_insn *c[2] = { NULL, NULL };
	char perr[2][256];
	int n[2], rc = -1;

	memset(out, 0, sizeof(*out));
	for (int v = 0; v < 2; v++)
		n[v] = pcap_compile_view(filter, v == 0 ? VIEW_L2 : VIEW_L3, &c[v], perr[v], sizeof(perr[v]));
	if (n[0] < 0 && n[1] < 0) {
		/* neither view: libpcap's Ethernet message (the view that knows every primitive) */
		snprintf(err, errlen, "filter: %s", perr[0]);
		return -1;
	}
	for (int v = 0; v < 2; v++) {
		const struct cbpf_insn *prog = n[v] < 0 ? &reject_all : c[v];
		out->cnt[v] = cbpf_to_ebpf(prog, n[v] < 0 ? 1 : n[v], direct, &out->insns[v], perr[v], sizeof(perr[v]));
		if (out->cnt[v] < 0) {
			snprintf(err, errlen, "filter: %s", perr[v]);
			filter_views_free(out);
			goto out;
		}
	}
	rc = 0;
out:
	free(c[0]);
	free(c[1]);
	return rc;
}

void filter_views_free(struct filter_views *v)
{
	for (int i = 0; i < 2; i++) {
		free(v->insns[i]);
		v->insns[i] = NULL;
		v->cnt[i] = 0;
	}
}
