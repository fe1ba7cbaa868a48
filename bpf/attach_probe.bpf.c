// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Tiny programs that `loader probe` loads and attaches one at a time to learn which attach kinds this kernel
 * really supports. They do nothing but call the helper the tracer's programs of that kind need (pktpath.bpf.c),
 * so a kind the kernel attaches but cannot serve is not reported as working. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* kprobes work without cookies (the tracer then finds a probe by its address) */
SEC("kprobe")
int probe_kprobe(void *ctx)
{
	return 0;
}

SEC("kprobe.multi")
int probe_kprobe_multi(void *ctx)
{
	bpf_get_attach_cookie(ctx);
	return 0;
}

SEC("fentry")
int probe_fentry(void *ctx)
{
	bpf_get_func_ip(ctx); /* fentry programs must return 0 (checked since 5.19) */
	return 0;
}

SEC("raw_tp")
int probe_raw_tp(void *ctx)
{
	return 0;
}

SEC("tc")
int probe_tc(struct __sk_buff *ctx)
{
	return -1;
}
