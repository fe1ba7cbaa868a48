// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Every probe kind pktpath attaches, all built on on_hop() (skb_path.bpf.h). Sections are "pktpath/<kind>" so
 * that the loader's libbpf handlers can patch the pcap filter in before load (loader/filter_patch.c). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "pktpath.h"
#include "arch_regs.h"
#include "maps.bpf.h"
#include "probe_word.bpf.h"
#include "pcap_filter.bpf.h"
#include "skb_path.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Never used: they put the stream's record structs into the object's BTF, where test/unit/event-layout.test.ts
 * checks main/core/trace/event-layout.ts against them. */
const struct pktpath_event *btf_event __attribute__((unused));
const struct pktpath_capture *btf_capture __attribute__((unused));
const struct pktpath_task *btf_task __attribute__((unused));

/* ---- raw tracepoints: the skb is always the first argument ---- */
/* Index into tp_probe_id; the loader's table (loader/trace_plan.c) uses the same order. */
enum {
	TP_NETIF_RECEIVE_SKB,
	TP_NETIF_RX,
	TP_NAPI_GRO_RECEIVE_ENTRY,
	TP_NET_DEV_QUEUE,
	TP_NET_DEV_START_XMIT,
	TP_NET_DEV_XMIT,
	TP_KFREE_SKB,
	TP_CONSUME_SKB,
	TP_SKB_COPY_DATAGRAM_IOVEC,
	TP_NETIF_RECEIVE_SKB_ENTRY,
	TP_NETIF_RX_ENTRY,
	TP_NETIF_RECEIVE_SKB_LIST_ENTRY,
	TP_KMEM_CACHE_FREE /* never a hop: only ends tracking (tp_kmem_cache_free) */
};

/* A tracepoint's cookie: its probe id, quiet when it is attached only to end tracking. */
static __always_inline __u64 tp_cookie(int idx)
{
	return tp_probe_id[idx] | (tp_quiet & (1u << idx) ? PROBE_QUIET : 0);
}

#define SKB_TP(name, idx, flags)                                                   \
	SEC("pktpath/raw_tp")                                                      \
	int BPF_PROG(tp_##name, struct sk_buff *skb)                               \
	{                                                                          \
		on_skb(ctx, skb, tp_cookie(idx) | (flags), PK_TRACE, 0, false, 0); \
		return 0;                                                          \
	}

SKB_TP(netif_receive_skb, TP_NETIF_RECEIVE_SKB, 0)
SKB_TP(netif_rx, TP_NETIF_RX, 0)
SKB_TP(napi_gro_receive_entry, TP_NAPI_GRO_RECEIVE_ENTRY, 0)
SKB_TP(net_dev_queue, TP_NET_DEV_QUEUE, 0)
SKB_TP(net_dev_start_xmit, TP_NET_DEV_START_XMIT, 0)
SKB_TP(net_dev_xmit, TP_NET_DEV_XMIT, 0)
SKB_TP(consume_skb, TP_CONSUME_SKB, PROBE_FREE)
SKB_TP(skb_copy_datagram_iovec, TP_SKB_COPY_DATAGRAM_IOVEC, PROBE_TASK)
SKB_TP(netif_receive_skb_entry, TP_NETIF_RECEIVE_SKB_ENTRY, 0)
SKB_TP(netif_rx_entry, TP_NETIF_RX_ENTRY, 0)
SKB_TP(netif_receive_skb_list_entry, TP_NETIF_RECEIVE_SKB_LIST_ENTRY, 0)

/* kfree_skb(skb, location[, reason]): the drop reason is the third argument since 5.17 (tp_kfree_reason); before,
 * every kfree_skb is a drop and only its location says where. `location` (the caller that freed it) goes into the
 * event's retval slot, symbolized by the loader (loader/drop_sites.c). */
SEC("pktpath/raw_tp")
int tp_kfree_skb(__u64 *ctx)
{
	__u32 reason = tp_kfree_reason ? (__u32)ctx[2] : 0;
	on_skb(ctx, (struct sk_buff *)ctx[0], tp_cookie(TP_KFREE_SKB) | PROBE_FREE, PK_TRACE, reason, tp_kfree_reason,
	       ctx[1]);
	return 0;
}

/* kmem_cache_free(call_site, ptr[, cache]): where an sk_buff struct goes back to its cache when no function probe
 * (kfree_skbmem) sees it. TCP frees the segments it received through __kfree_skb and kfree_skb_partial, which pass
 * no tracepoint; the next skb at that address (often the reply, in the other direction) would otherwise join the
 * old packet. Quiet: it writes no event. An fclone pair is one slab object: the clone (skb2) goes with skb1. */
SEC("pktpath/raw_tp")
int tp_kmem_cache_free(__u64 *ctx)
{
	__u64 obj = ctx[1], clone = obj + bpf_core_field_offset(struct sk_buff_fclones, skb2);
	struct sk_buff *orig = (struct sk_buff *)obj;
	bool pair = true;

	/* Every slab free on the host comes here: one load each in the counting filter (maps.bpf.h) when no tracked
	 * skb sits at either address, as for almost all of them. */
	if (!track_maybe(obj) && !track_maybe(clone))
		return 0;
	if (tp_slab_cache_arg) {
		/* Most slab frees are of objects smaller than an sk_buff: one read of the cache's object size instead
		 * of two lookups. Only "smaller" is sure: SLUB merges caches of like size (skbuff_fclone_cache is often
		 * an alias of a 512-byte cache), and a merged cache's object size is its largest member's. */
		__u32 size = BPF_CORE_READ((struct kmem_cache *)ctx[2], object_size);
		if (size < bpf_core_type_size(struct sk_buff))
			return 0;
		pair = size >= bpf_core_type_size(struct sk_buff_fclones);
	}
	end_struct(obj);
	if (pair && track_get(clone) && BPF_CORE_READ_BITFIELD_PROBED(orig, fclone) == SKB_FCLONE_ORIG)
		end_struct(clone);
	return 0;
}

/* ---- TC observer: the seed's mechanism. At runtime the context is the kernel's sk_buff itself. ---- */
static __always_inline int tc_observe(struct __sk_buff *ctx, __u32 dir)
{
	/* The skb's address as a number (its tracking key is hashed, and the verifier allows no arithmetic on a
	 * context pointer): read back from the stack. */
	void *p = ctx;
	__u64 skb = 0;
	bpf_probe_read_kernel(&skb, sizeof(skb), &p);
	on_skb(ctx, (struct sk_buff *)skb, tc_probe_id[dir], PK_TC, 0, false, 0);
	return -1; /* TC_ACT_UNSPEC / TCX_NEXT: observe only, never change the verdict */
}

SEC("pktpath/tc")
int tc_ingress(struct __sk_buff *ctx)
{
	return tc_observe(ctx, 0);
}

SEC("pktpath/tc")
int tc_egress(struct __sk_buff *ctx)
{
	return tc_observe(ctx, 1);
}

/* ---- function probes: one program per skb argument position (pwru's kprobe_skb_N) ----
 * The cookie (kprobe, kprobe-multi) or the probe_by_ip value (fentry, fexit) is the probe's PROBE_* word. */

static __always_inline __u64 task_key(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	/* pid 0 is every CPU's idle task (softirqs run there): tell them apart by CPU */
	return (__u32)id ? id : (1ULL << 63) | bpf_get_smp_processor_id();
}

/* A function's entry: its return probe (PROBE_RET, PROBE_CLONE) cannot read arguments, so a tracked skb is handed
 * over. An untracked one is not: its return has nothing to record. */
static __always_inline void after_entry(struct sk_buff *skb, bool tracked, const struct hop *h)
{
	if (!tracked || !(h->c & (PROBE_RET | PROBE_CLONE)))
		return;
	struct ret_key k = { task_key(), h->c };
	__u64 v = (__u64)(long)skb;
	bpf_map_update_elem(&ret_stash, &k, &v, BPF_ANY);
}

static __always_inline int on_regs(struct pt_regs *ctx, struct sk_buff *skb)
{
	struct hop h = {};
	after_entry(skb, on_hop(ctx, skb, WORD_KPROBE, &h, PK_TRACE), &h);
	return 0;
}

static __always_inline int on_regs_ret(struct pt_regs *ctx)
{
	/* without cookies a kretprobe cannot tell which function returned: the loader attaches none */
	if (!kp_cookie)
		return 0;
	__u64 c = bpf_get_attach_cookie(ctx);
	struct ret_key k = { task_key(), c };
	__u64 *skb = bpf_map_lookup_elem(&ret_stash, &k);

	if (!skb)
		return 0;
	__u64 s = *skb;
	bpf_map_delete_elem(&ret_stash, &k);
	return on_ret(ctx, (struct sk_buff *)s, c, (__s64)PT_REGS_RC(ctx));
}

SEC("pktpath/kprobe")
int kretprobe_skb(struct pt_regs *ctx)
{
	return on_regs_ret(ctx);
}

SEC("pktpath/kprobe.multi")
int kmulti_ret_skb(struct pt_regs *ctx)
{
	return on_regs_ret(ctx);
}

/* An fentry/fexit argument as a number: read from ctx it would be a typed pointer, whose address the verifier lets
 * no program hash (the tracking key, maps.bpf.h). */
static __always_inline struct sk_buff *fentry_skb(void *ctx, int i)
{
	__u64 a = 0;
	bpf_get_func_arg(ctx, i, &a);
	return (struct sk_buff *)a;
}

#define KPROBE_SKB(N)                                                                         \
	SEC("pktpath/kprobe")                                                                 \
	int kprobe_skb_##N(struct pt_regs *ctx)                                               \
	{                                                                                     \
		return on_regs(ctx, (struct sk_buff *)PT_REGS_PARM##N(ctx));                  \
	}                                                                                     \
	SEC("pktpath/kprobe.multi")                                                           \
	int kmulti_skb_##N(struct pt_regs *ctx)                                               \
	{                                                                                     \
		return on_regs(ctx, (struct sk_buff *)PT_REGS_PARM##N(ctx));                  \
	}                                                                                     \
	SEC("pktpath/fentry")                                                                 \
	int fentry_skb_##N(__u64 *ctx)                                                        \
	{                                                                                     \
		struct hop h = {};                                                            \
		on_hop(ctx, fentry_skb(ctx, N - 1), WORD_FENTRY, &h, PK_TRACE);               \
		return 0;                                                                     \
	}                                                                                     \
	SEC("pktpath/fexit")                                                                  \
	int fexit_skb_##N(__u64 *ctx)                                                         \
	{                                                                                     \
		struct sk_buff *skb = fentry_skb(ctx, N - 1);                                 \
		if (!track_maybe((__u64)(long)skb))                                           \
			return 0; /* untracked: no word lookup (on_ret checks again) */       \
		__u64 ip = bpf_get_func_ip(ctx), *c = bpf_map_lookup_elem(&probe_by_ip, &ip); \
		__u64 ret = 0;                                                                \
		if (!c)                                                                       \
			return 0;                                                             \
		bpf_get_func_ret(ctx, &ret);                                                  \
		return on_ret(ctx, skb, *c, (__s64)ret);                                      \
	}

KPROBE_SKB(1)
KPROBE_SKB(2)
KPROBE_SKB(3)
KPROBE_SKB(4)
KPROBE_SKB(5)
