// SPDX-License-Identifier: MIT
#include "filter_patch.h"
#include "cbpf_to_ebpf.h"
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct bpf_insn *view_insns[2];
static int view_cnt[2];
static struct bpf_object *cur_obj;
static const char *stub_names[2] = { "filter_pcap_l2", "filter_pcap_l3" };

#define MAX_TEMPLATES 32
static struct {
	char name[64];
	struct prog_template t;
} templates[MAX_TEMPLATES];
static int ntemplates;

/* A view's program when libpcap cannot express the filter there (`arp`, `ether host` have no raw-IP form): it
 * rejects every packet, as pwru does, so the other view alone decides. */
static const struct cbpf_insn reject_all = { .code = 0x06 /* BPF_RET | BPF_K */, .k = 0 };

int filter_prepare(const char *filter, char *err, size_t errlen)
{
	struct cbpf_insn *c[2] = { NULL, NULL };
	char perr[2][256];
	int n[2], rc = -1;

	for (int v = 0; v < 2; v++)
		n[v] = pcap_compile_view(filter, v == 0 ? VIEW_L2 : VIEW_L3, &c[v], perr[v], sizeof(perr[v]));
	if (n[0] < 0 && n[1] < 0) {
		/* neither view: libpcap's Ethernet message (the view that knows every primitive) */
		snprintf(err, errlen, "filter: %s", perr[0]);
		return -1;
	}
	for (int v = 0; v < 2; v++) {
		const struct cbpf_insn *prog = n[v] < 0 ? &reject_all : c[v];
		struct bpf_insn *e = NULL;
		int cnt = cbpf_to_ebpf(prog, n[v] < 0 ? 1 : n[v], &e, perr[v], sizeof(perr[v]));
		if (cnt < 0) {
			snprintf(err, errlen, "filter: %s", perr[v]);
			goto out;
		}
		free(view_insns[v]);
		view_insns[v] = e;
		view_cnt[v] = cnt;
	}
	rc = 0;
out:
	free(c[0]);
	free(c[1]);
	return rc;
}

void filter_set_object(struct bpf_object *obj) { cur_obj = obj; }

static bool is_call_rel(const struct bpf_insn *i)
{
	return (i->code == (BPF_JMP | BPF_CALL) && i->src_reg == BPF_PSEUDO_CALL) ||
	       (i->code == (BPF_LD | BPF_IMM | BPF_DW) && i->src_reg == BPF_PSEUDO_FUNC);
}

/* Rebuilds the program with each stub's body replaced; fixes bpf-to-bpf call offsets and func_info, drops
 * line_info (it would describe the stub's source lines). */
static int prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts, long cookie)
{
	const struct bpf_insn *old = bpf_program__insns(prog);
	size_t cnt = bpf_program__insn_cnt(prog);
	const struct btf *btf = cur_obj ? bpf_object__btf(cur_obj) : NULL;
	__u32 rec = opts->func_info_rec_size, nf = opts->func_info_cnt;
	(void)cookie;

	if (!btf || !opts->func_info || !nf) {
		fprintf(stderr, "filter_patch: %s: no BTF func_info to find the filter stubs\n", bpf_program__name(prog));
		return -EINVAL;
	}
	/* function boundaries, in instruction order */
	__u32 *start = calloc(nf + 1, sizeof(__u32));
	int *kind = calloc(nf, sizeof(int)); /* -1 = keep, 0/1 = stub for view */
	__u32 *nstart = calloc(nf + 1, sizeof(__u32));
	for (__u32 f = 0; f < nf; f++) {
		const struct bpf_func_info *fi = (const void *)((const char *)opts->func_info + f * rec);
		const struct btf_type *t = btf__type_by_id(btf, fi->type_id);
		const char *name = t ? btf__name_by_offset(btf, t->name_off) : "";
		start[f] = fi->insn_off;
		kind[f] = -1;
		for (int v = 0; v < 2; v++)
			if (name && !strcmp(name, stub_names[v]))
				kind[f] = v;
	}
	start[nf] = cnt;

	size_t cap = cnt + view_cnt[0] + view_cnt[1] + 16, n = 0;
	struct bpf_insn *out = calloc(cap, sizeof(*out));
	for (__u32 f = 0; f < nf; f++) {
		nstart[f] = n;
		if (kind[f] >= 0) {
			memcpy(out + n, view_insns[kind[f]], view_cnt[kind[f]] * sizeof(*out));
			n += view_cnt[kind[f]];
		} else {
			memcpy(out + n, old + start[f], (start[f + 1] - start[f]) * sizeof(*out));
			n += start[f + 1] - start[f];
		}
	}
	nstart[nf] = n;
	/* re-point relative calls: old target index -> the new start of the same function */
	for (__u32 f = 0; f < nf; f++) {
		if (kind[f] >= 0)
			continue;
		for (__u32 i = start[f]; i < start[f + 1]; i++) {
			if (!is_call_rel(&old[i]))
				continue;
			__u32 target = i + 1 + old[i].imm, g;
			for (g = 0; g < nf && start[g] != target; g++)
				;
			if (g == nf) {
				fprintf(stderr, "filter_patch: call into the middle of a function at %u\n", i);
				return -EINVAL;
			}
			__u32 ni = nstart[f] + (i - start[f]);
			out[ni].imm = (int)nstart[g] - (int)(ni + 1);
		}
	}
	void *fi_new = malloc((size_t)nf * rec);
	memcpy(fi_new, opts->func_info, (size_t)nf * rec);
	for (__u32 f = 0; f < nf; f++)
		((struct bpf_func_info *)((char *)fi_new + f * rec))->insn_off = nstart[f];
	opts->func_info = fi_new; /* kept until exit: the template may reuse it */
	opts->line_info = NULL;
	opts->line_info_cnt = 0;
	int err = bpf_program__set_insns(prog, out, n);

	/* fentry programs are loaded again per function: keep what the load needs */
	if (!err && bpf_program__type(prog) == BPF_PROG_TYPE_TRACING && ntemplates < MAX_TEMPLATES) {
		struct prog_template *t = &templates[ntemplates].t;
		snprintf(templates[ntemplates].name, sizeof(templates[0].name), "%s", bpf_program__name(prog));
		t->insns = out;
		t->cnt = n;
		t->func_info = fi_new;
		t->func_info_cnt = nf;
		t->func_info_rec_size = rec;
		t->prog_btf_fd = opts->prog_btf_fd;
		t->type = bpf_program__type(prog);
		ntemplates++;
		out = NULL;
	}
	free(out);
	free(start);
	free(kind);
	free(nstart);
	return err;
}

const struct prog_template *filter_template(const char *prog_name)
{
	for (int i = 0; i < ntemplates; i++)
		if (!strcmp(templates[i].name, prog_name))
			return &templates[i].t;
	return NULL;
}

int filter_register_handlers(void)
{
	static bool done;
	static const struct { const char *sec; enum bpf_prog_type type; enum bpf_attach_type attach; } defs[] = {
		{ "pktpath/raw_tp", BPF_PROG_TYPE_RAW_TRACEPOINT, 0 },
		{ "pktpath/tc", BPF_PROG_TYPE_SCHED_CLS, 0 },
		{ "pktpath/kprobe", BPF_PROG_TYPE_KPROBE, 0 },
		{ "pktpath/kprobe.multi", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI },
		{ "pktpath/fentry", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
		{ "pktpath/fexit", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT },
	};
	if (done)
		return 0;
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		LIBBPF_OPTS(libbpf_prog_handler_opts, o, .prog_prepare_load_fn = prepare_load);
		int r = libbpf_register_prog_handler(defs[i].sec, defs[i].type, defs[i].attach, &o);
		if (r < 0)
			return r;
	}
	done = true;
	return 0;
}
