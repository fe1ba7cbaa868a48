/* SPDX-License-Identifier: MIT */
/* Puts the run's pcap filter into the programs: libbpf handlers for the "pktpath/<kind>" sections whose
 * prepare-load callback swaps the filter_pcap_l2/l3 stub bodies for the translated filter (pwru's technique,
 * done on libbpf's final, linked instructions). */
#ifndef FILTER_PATCH_H
#define FILTER_PATCH_H
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

/* Compiles `filter` (tcpdump syntax; "" matches everything) for both views. Returns 0 or -1 with err. */
int filter_prepare(const char *filter, char *err, size_t errlen);
/* Registers the section handlers; call before opening an object with pktpath/ sections. */
int filter_register_handlers(void);
/* The object whose programs are being loaded (its BTF names the stubs). */
void filter_set_object(struct bpf_object *obj);

/* The final instructions of a loaded program, kept to load the same program again for other attach targets
 * (fentry needs one load per function). */
struct prog_template {
	struct bpf_insn *insns;
	size_t cnt;
	void *func_info;
	__u32 func_info_cnt, func_info_rec_size;
	int prog_btf_fd;
	enum bpf_prog_type type;
};
const struct prog_template *filter_template(const char *prog_name);
#endif
