// SPDX-License-Identifier: MIT
#include "filter_patch.h"
#include "filter_splice.h"
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stub_names[2] = { "filter_pcap_l2", "filter_pcap_l3" };

/* Keeps p until teardown (libbpf uses a program's func_info after prepare-load returns). */
static int keep(struct filter_code *fc, void *p)
{
	if (fc->nfunc_infos == fc->capfunc_infos) {
		int cap = fc->capfunc_infos ? fc->capfunc_infos * 2 : 16;
		void **v = realloc(fc->func_infos, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		fc->func_infos = v;
		fc->capfunc_infos = cap;
	}
	fc->func_infos[fc->nfunc_infos++] = p;
	return 0;
}

/* Subprogram starts and which stub each is, from the program's BTF func_info. */
static int read_func_info(const struct btf *btf, const struct bpf_prog_load_opts *opts, __u32 *start, int *view)
{
	for (__u32 f = 0; f < opts->func_info_cnt; f++) {
		const struct bpf_func_info *fi =
		        (const void *)((const char *)opts->func_info + (size_t)f * opts->func_info_rec_size);
		const struct btf_type *t = btf__type_by_id(btf, fi->type_id);
		const char *name = t ? btf__name_by_offset(btf, t->name_off) : NULL;
		start[f] = fi->insn_off;
		view[f] = -1;
		for (int v = 0; v < 2; v++)
			if (name && !strcmp(name, stub_names[v]))
				view[f] = v;
	}
	return 0;
}

/* func_info with each subprogram's new start; kept in fc. */
static void *moved_func_info(struct filter_code *fc, const struct bpf_prog_load_opts *opts, const __u32 *nstart)
{
	size_t rec = opts->func_info_rec_size, nf = opts->func_info_cnt;
	void *fi = malloc(nf * rec);
	if (!fi || keep(fc, fi)) {
		free(fi);
		return NULL;
	}
	memcpy(fi, opts->func_info, nf * rec);
	for (size_t f = 0; f < nf; f++)
		((struct bpf_func_info *)((char *)fi + f * rec))->insn_off = nstart[f];
	return fi;
}

/* fentry programs are loaded again per function: keep what that load needs (the instructions are taken). */
static void add_template(struct filter_code *fc, struct bpf_program *prog, const struct bpf_prog_load_opts *opts,
                         struct bpf_insn **insns, size_t cnt)
{
	if (bpf_program__type(prog) != BPF_PROG_TYPE_TRACING || fc->ntemplates >= MAX_TEMPLATES)
		return;
	struct prog_template *t = &fc->templates[fc->ntemplates++];
	snprintf(t->name, sizeof(t->name), "%s", bpf_program__name(prog));
	t->insns = *insns;
	t->cnt = cnt;
	t->func_info = (void *)opts->func_info;
	t->func_info_cnt = opts->func_info_cnt;
	t->func_info_rec_size = opts->func_info_rec_size;
	t->prog_btf_fd = opts->prog_btf_fd;
	*insns = NULL;
}

/* Rebuilds the program with each stub's body replaced; fixes bpf-to-bpf call offsets and func_info, drops
 * line_info (it would describe the stub's source lines). */
static int prepare_load(struct bpf_program *prog, struct bpf_prog_load_opts *opts, long cookie)
{
	struct filter_code *fc = (struct filter_code *)cookie;
	const struct btf *btf = fc->obj ? bpf_object__btf(fc->obj) : NULL;
	__u32 nf = opts->func_info_cnt;
	char err[160];
	int rc = -ENOMEM, n = -1;

	if (!btf || !opts->func_info || !nf) {
		fprintf(stderr, "filter_patch: %s: no BTF func_info to find the filter stubs\n",
		        bpf_program__name(prog));
		return -EINVAL;
	}
	__u32 *start = calloc(nf, sizeof(*start)), *nstart = calloc(nf, sizeof(*nstart));
	int *view = calloc(nf, sizeof(*view));
	struct bpf_insn *out = NULL;
	if (!start || !nstart || !view)
		goto out;
	read_func_info(btf, opts, start, view);
	struct splice_in in = { bpf_program__insns(prog),
		                bpf_program__insn_cnt(prog),
		                start,
		                view,
		                nf,
		                { fc->views.insns[0], fc->views.insns[1] },
		                { fc->views.cnt[0], fc->views.cnt[1] } };
	if ((n = filter_splice(&in, &out, nstart, err, sizeof(err))) < 0) {
		fprintf(stderr, "filter_patch: %s: %s\n", bpf_program__name(prog), err);
		rc = -EINVAL;
		goto out;
	}
	if (!(opts->func_info = moved_func_info(fc, opts, nstart)))
		goto out;
	opts->line_info = NULL;
	opts->line_info_cnt = 0;
	if ((rc = bpf_program__set_insns(prog, out, n)) == 0)
		add_template(fc, prog, opts, &out, n);
out:
	free(out); /* libbpf copied it (set_insns), or a template took it */
	free(start);
	free(nstart);
	free(view);
	return rc;
}

const struct prog_template *filter_template(const struct filter_code *fc, const char *prog_name)
{
	for (int i = 0; i < fc->ntemplates; i++)
		if (!strcmp(fc->templates[i].name, prog_name))
			return &fc->templates[i];
	return NULL;
}

int filter_register_handlers(struct filter_code *fc)
{
	static const struct {
		const char *sec;
		enum bpf_prog_type type;
		enum bpf_attach_type attach;
	} defs[] = {
		{ "pktpath/raw_tp", BPF_PROG_TYPE_RAW_TRACEPOINT, 0 },
		{ "pktpath/tc", BPF_PROG_TYPE_SCHED_CLS, 0 },
		{ "pktpath/kprobe", BPF_PROG_TYPE_KPROBE, 0 },
		{ "pktpath/kprobe.multi", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI },
		{ "pktpath/fentry", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
		{ "pktpath/fexit", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT },
	};
	for (size_t i = 0; i < sizeof(defs) / sizeof(defs[0]); i++) {
		LIBBPF_OPTS(libbpf_prog_handler_opts, o, .cookie = (long)fc, .prog_prepare_load_fn = prepare_load);
		int r = libbpf_register_prog_handler(defs[i].sec, defs[i].type, defs[i].attach, &o);
		if (r < 0)
			return r;
	}
	return 0;
}

void filter_code_free(struct filter_code *fc)
{
	filter_views_free(&fc->views);
	for (int i = 0; i < fc->ntemplates; i++)
		free(fc->templates[i].insns);
	for (int i = 0; i < fc->nfunc_infos; i++)
		free(fc->func_infos[i]);
	free(fc->func_infos);
	fc->ntemplates = fc->nfunc_infos = fc->capfunc_infos = 0;
	fc->func_infos = NULL;
}
