/* SPDX-License-Identifier: MIT */
/* Which raw tracepoints an attached function probe stands for: a tracepoint fired inside a function a trace probes
 * anyway is left out when every tracepoint is asked for (docs/LOADER.md, "Tracepoints a function covers"). Pure:
 * what is attached and what the kernel has come in as predicates, so the host-side tests run it. */
#ifndef TP_COVER_H
#define TP_COVER_H
#include <stdbool.h>
#include <stddef.h>

/* Whether function `name` is attached (or, for `has`, exists on this kernel with an skb argument). */
typedef bool (*func_pred)(const void *arg, const char *name);

/* Whether the attached functions see tracepoint `tp`'s point; `by` gets their names, comma-separated ("" when not,
 * or when they do not fit in len bytes). */
bool tp_covered(const char *tp, func_pred attached, func_pred has, const void *arg, char *by, size_t len);
#endif
