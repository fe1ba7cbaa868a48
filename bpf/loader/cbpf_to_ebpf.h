/* SPDX-License-Identifier: MIT */
/* Translates libpcap's classic BPF into an eBPF subprogram body with the signature of the stubs in
 * bpf/pcap_filter.bpf.h: r1 = packet address (kernel memory), r2 = bytes readable there, r3 = wire length, r4 =
 * the same address as a read-only BTF pointer (the direct object's pkt_window). Returns r0 != 0 on a match. */
#ifndef CBPF_TO_EBPF_H
#define CBPF_TO_EBPF_H
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include "pcap_compile.h"

/* The window: the packet's first CBPF_WIN bytes, which constant-offset loads read without a helper call. The
 * prologue copies them (as many as the loads reach) into the stack from CBPF_OFF_WIN (fp-relative, CBPF_WIN + 8
 * bytes reserved): the only read that may reach past the readable bytes. With `direct`, the loads go through r4
 * instead and nothing is copied (the verifier takes constant offsets below 65 there: bpf/pcap_filter.bpf.h). */
#define CBPF_WIN     64
#define CBPF_OFF_WIN (-144 - CBPF_WIN - 8)

/* Returns the number of eBPF instructions written to *out (malloc'd), or -1 with a message. */
int cbpf_to_ebpf(const struct cbpf_insn *in, int n, bool direct, struct bpf_insn **out, char *err, size_t errlen);
#endif
