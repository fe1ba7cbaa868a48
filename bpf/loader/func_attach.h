/* SPDX-License-Identifier: MIT */
/* Function probes: attaching them with kprobe-multi, fentry/fexit or kprobe/kretprobe, each function falling back
 * along a chain of backends, and detaching them. */
#ifndef FUNC_ATTACH_H
#define FUNC_ATTACH_H
#include "config.h"

/* The probe kind name of a function backend ("kprobe-multi", "fentry", "kprobe"). */
const char *backend_kind(enum backend b);
/* Attaches every planned function probe: chain[0] takes them all, each later backend the ones all before it
 * refused. A probe records which backend has it (kind) and why the others refused it (fallbacks). */
void attach_functions(const enum backend *chain, int n);
/* Closes every function probe's links and programs, from several threads: the kernel waits for an RCU grace
 * period per single kprobe or fentry link, and waits overlap. */
void detach_functions(void);
#endif
