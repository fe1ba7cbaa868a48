/* SPDX-License-Identifier: MIT */
/* What the host's BTF says: functions taking an sk_buff (and where), and the names of drop reasons. */
#ifndef BTF_SKB_H
#define BTF_SKB_H
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <stdbool.h>

struct skb_func {
	char *name;
	int pos;         /* 1..5: argument position of the struct sk_buff * */
	char *module;    /* NULL for vmlinux */
	__u32 btf_id;    /* FUNC id in its BTF (vmlinux or module) */
	bool traceable;  /* listed in available_filter_functions */
	char *signature; /* C declaration from BTF, traceable functions only, when skb_funcs.signatures is set */
};

struct skb_funcs {
	struct skb_func *v;
	int n, cap;
	int traceable;
	char filter_err[128]; /* why available_filter_functions could not be read, "" if it was */
	bool signatures;      /* in: also format each traceable function's C signature (loader probe) */
};

/* Loads vmlinux BTF (cached). NULL when the kernel has none. */
struct btf *host_btf(void);
/* Every function with a struct sk_buff * in arguments 1..5, from vmlinux and module BTF, marked traceable when
 * ftrace can attach to it. Sorted by name. */
int skb_funcs_load(struct skb_funcs *out);
const struct skb_func *skb_funcs_find(const struct skb_funcs *f, const char *name);
void skb_funcs_free(struct skb_funcs *f);

/* enum skb_drop_reason value -> name without the SKB_DROP_REASON_ prefix; NULL if unknown. */
const char *drop_reason_name(unsigned value);
/* Iterates the enum: returns the count and fills names[i]/values[i] up to max. */
int drop_reasons(const char **names, unsigned *values, int max);

/* Where tracefs is (mounting it when it is not): "/sys/kernel/tracing" or the debugfs path; NULL if none. */
const char *tracefs_dir(void);
#endif
