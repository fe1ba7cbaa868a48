/* SPDX-License-Identifier: MIT */
/* /proc/kallsyms: function addresses (fentry probes find their id by address) and symbols for stack traces. */
#ifndef KALLSYMS_H
#define KALLSYMS_H
#include <stddef.h>
#include <stdint.h>
int kallsyms_load(void);
uint64_t kallsyms_addr(const char *name); /* 0 if unknown */
/* A traceable function's start address: through available_filter_functions_addrs when the kernel has it, so a
 * name shared by several static functions picks the one ftrace knows. 0 if unknown. */
uint64_t traceable_addr(const char *name);
const char *kallsyms_sym(uint64_t addr, uint64_t *off); /* NULL if unknown */
#endif
