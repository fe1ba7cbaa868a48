/* SPDX-License-Identifier: MIT */
/* A small eBPF interpreter for the instructions cbpf_to_ebpf emits (ALU/ALU64, JMP/JMP32, stack loads and
 * stores, bpf_probe_read_kernel, byte swaps, exit): runs a translated filter on a packet in user memory, so tests
 * and fuzzers can compare it with libpcap's own cBPF interpreter. Host-only test code. */
#ifndef EBPF_INTERP_H
#define EBPF_INTERP_H
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runs prog with r1 = pkt, r2 = linear_len, r3 = wire_len, r4 = pkt again: with `direct`, as the direct object's
 * window pointer (loads through it, or a copy of it, at constant offsets below CBPF_WIN + 1; each must lie in the
 * readable bytes, which the translation checks first). Returns 0 with *r0 set, or -1 when the program does
 * something the interpreter does not allow (an unknown opcode, a jump out of range, a stack access out of bounds,
 * misaligned, or of bytes never written, as the verifier refuses them; a read outside the packet; too many
 * steps): a translation bug. */
/* The prologue's window copy faults (r0 = -EFAULT) instead of reading past the packet: exercises the
 * translation's path for a packet whose bytes cannot be read. */
extern bool ebpf_interp_window_faults;
/* Whether the last run copied the window (the only read that may reach past the readable bytes). */
extern bool ebpf_interp_window_read;
/* bpf_probe_read_kernel calls and instructions run so far (tests reset them): what a filter costs per packet. */
extern int ebpf_interp_reads, ebpf_interp_steps;

int ebpf_run(const struct bpf_insn *prog, int n, const uint8_t *pkt, uint64_t linear_len, uint64_t wire_len,
             bool direct, uint64_t *r0);
#endif
