/* SPDX-License-Identifier: MIT */
/* Puts the run's pcap filter into the programs: libbpf handlers for the "pktpath/<kind>" sections whose
 * prepare-load callback swaps the filter_pcap_l2/l3 stub bodies for the translated filter (pwru's technique,
 * done on libbpf's final, linked instructions; filter_splice.c). The handlers find the run's filter through
 * their cookie: a struct filter_code. */
#ifndef FILTER_PATCH_H
#define FILTER_PATCH_H
#include "filter_compile.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

/* The final instructions of a loaded program, kept to load the same program again for other attach targets
 * (fentry needs one load per function). */
struct prog_template {
	char name[64];
	struct bpf_insn *insns;
	size_t cnt;
	void *func_info;
	__u32 func_info_cnt, func_info_rec_size;
	int prog_btf_fd;
};

#define MAX_TEMPLATES 32

struct filter_code {
	struct filter_views views;
	struct bpf_object *obj; /* the object being loaded: its BTF names the stubs */
	struct prog_template templates[MAX_TEMPLATES];
	int ntemplates;
	void **func_infos; /* rewritten func_info arrays: libbpf reads them at load, so they live until teardown */
	int nfunc_infos, capfunc_infos;
};

/* Registers the section handlers for fc (once per process). Returns 0 or a negative errno. */
int filter_register_handlers(struct filter_code *fc);
const struct prog_template *filter_template(const struct filter_code *fc, const char *prog_name);
/* Frees the views, the templates and the rewritten func_info. */
void filter_code_free(struct filter_code *fc);
#endif
