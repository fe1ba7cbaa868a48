/* SPDX-License-Identifier: MIT */
/* libpcap's own cBPF interpreter and validator, the reference the translated filters are compared with (in a
 * file of its own: pcap/bpf.h and linux/bpf.h both define struct bpf_insn). */
#ifndef PCAP_REF_H
#define PCAP_REF_H
#include "../../bpf/loader/pcap_compile.h"

/* bpf_filter(): the cBPF program's return value for a packet of wirelen bytes, buflen of them readable. */
unsigned pcap_ref_run(const struct cbpf_insn *p, int n, const uint8_t *pkt, unsigned wirelen, unsigned buflen);
/* bpf_validate(): non-zero when libpcap would run this program. */
int pcap_ref_valid(const struct cbpf_insn *p, int n);
#endif
