// SPDX-License-Identifier: MIT
#include "pcap_ref.h"
#include <pcap/pcap.h>
#include <stdlib.h>

static struct bpf_insn *to_pcap(const struct cbpf_insn *p, int n)
{
	struct bpf_insn *v = calloc(n > 0 ? n : 1, sizeof(*v));
	for (int i = 0; v && i < n; i++)
		v[i] = (struct bpf_insn){ p[i].code, p[i].jt, p[i].jf, p[i].k };
	return v;
}

unsigned pcap_ref_run(const struct cbpf_insn *p, int n, const uint8_t *pkt, unsigned wirelen, unsigned buflen)
{
	struct bpf_insn *v = to_pcap(p, n);
	if (!v)
		abort();
	unsigned r = bpf_filter(v, pkt, wirelen, buflen);
	free(v);
	return r;
}

int pcap_ref_valid(const struct cbpf_insn *p, int n)
{
	struct bpf_insn *v = to_pcap(p, n);
	if (!v)
		abort();
	int ok = bpf_validate(v, n);
	free(v);
	return ok;
}
