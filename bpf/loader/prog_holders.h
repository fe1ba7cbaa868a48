/* SPDX-License-Identifier: MIT */
/* Whether a BPF program is still held by a live process. A classic TC filter outlives the loader that attached
 * it; while that loader lives it holds a file descriptor of the filter's program (pktpath never pins programs).
 * A program id cannot be reused while the filter references the program, so "no process has an fd of it" proves
 * the owner is dead, where a PID alone would not (PIDs are reused). */
#ifndef PROG_HOLDERS_H
#define PROG_HOLDERS_H
#include <linux/types.h>
#include <stdbool.h>

/* True when some process has an fd of program prog_id, or when /proc cannot tell (never a false "dead").
 * pid_hint (the filter's handle: its loader's PID) is checked first, then every process. */
bool prog_has_holder(__u32 pid_hint, __u32 prog_id);
#endif
