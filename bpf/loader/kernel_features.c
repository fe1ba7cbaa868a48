// SPDX-License-Identifier: MIT
#include "kernel_features.h"
#include "btf_skb.h"
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Whether the verifier takes this tiny program (the loader's feature tests). */
static bool prog_loads(enum bpf_prog_type type, const char *name, const struct bpf_insn *insns, size_t n)
{
	int fd = bpf_prog_load(type, name, "Dual MIT/GPL", insns, n, NULL);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

bool kernel_has_atomic_fetch(void)
{
	/* *(u64 *)(fp - 8) = 0; r1 = 1; r1 = atomic_fetch_add((u64 *)(fp - 8), r1); r0 = 0; exit. Kernels before 5.12
	 * refuse it ("BPF_STX uses reserved fields") wherever it sits in a program. */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW,
		  .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_1,
		  .off = -8,
		  .imm = BPF_ADD | BPF_FETCH },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	return prog_loads(BPF_PROG_TYPE_SOCKET_FILTER, "pktpath_fetch", insns, sizeof(insns) / sizeof(insns[0]));
}

bool kernel_has_rdonly_cast(void)
{
	/* r1 = 0; r2 = <struct sk_buff>; r0 = bpf_rdonly_cast(r1, r2); r0 = 0; exit, as a raw tracepoint program.
	 * The kfunc is in the set every program type may call (the direct object's kprobe, tracing and TC programs
	 * included); the host's BTF gives both ids, as libbpf resolves them for the real object. */
	const struct btf *btf = host_btf();
	__s32 fn = btf ? btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) : -1;
	__s32 skb = btf ? btf__find_by_name_kind(btf, "sk_buff", BTF_KIND_STRUCT) : -1;
	if (fn <= 0 || skb <= 0)
		return false;
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = skb },
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = fn },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	return prog_loads(BPF_PROG_TYPE_RAW_TRACEPOINT, "pktpath_rdonly", insns, sizeof(insns) / sizeof(insns[0]));
}

bool kernel_has_attach_cookie(void)
{
	/* libbpf loads a tiny kprobe program calling the helper: 1 when the verifier knows it */
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, NULL) == 1;
}

/* The function prototype behind btf_trace_<name> (its first parameter is the tracepoint's data pointer). */
static const struct btf_type *tracepoint_proto(const struct btf *btf, const char *name)
{
	char tname[128];
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	__s32 id = btf ? btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF) : -1;
	if (id <= 0)
		return NULL;
	const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, id));
	if (!t || !btf_is_ptr(t) || !(t = btf__type_by_id(btf, t->type)) || !btf_is_func_proto(t))
		return NULL;
	return t;
}

bool tracepoint_has_args(const char *name, int nargs)
{
	const struct btf_type *proto = tracepoint_proto(host_btf(), name);
	return proto && btf_vlen(proto) - 1 >= nargs;
}

bool tracepoint_arg_is_struct(const char *name, int arg, const char *sname)
{
	const struct btf *btf = host_btf();
	const struct btf_type *proto = tracepoint_proto(btf, name);
	if (!proto || btf_vlen(proto) - 1 <= arg)
		return false;
	__s32 id = btf__resolve_type(btf, btf_params(proto)[arg + 1].type);
	const struct btf_type *t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!t || !btf_is_ptr(t) || (id = btf__resolve_type(btf, t->type)) <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	return t && btf_is_struct(t) && !strcmp(btf__name_by_offset(btf, t->name_off), sname);
}
