/* SPDX-License-Identifier: MIT */
/* libpcap's filter compiler, behind a header that does not clash with linux/bpf.h (both define struct bpf_insn). */
#ifndef PCAP_COMPILE_H
#define PCAP_COMPILE_H
#include <stddef.h>
#include <stdint.h>

struct cbpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

enum pcap_view { VIEW_L2 /* Ethernet */, VIEW_L3 /* raw IPv4/IPv6 */ };

/* Compiles a tcpdump filter for one view. Returns the instruction count (> 0) or -1 with libpcap's message. */
int pcap_compile_view(const char *filter, enum pcap_view view, struct cbpf_insn **out, char *err, size_t errlen);
#endif
