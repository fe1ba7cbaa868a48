/* SPDX-License-Identifier: MIT */
/* The tcpdump filter, run on the packet's bytes. The two stubs below are placeholders: at load time the loader
 * (loader/filter_patch.c) replaces their instructions with the eBPF translation of libpcap's cBPF for the run's
 * filter — one compiled for Ethernet (L2 view), one for raw IP (L3 view). Packet bytes are kernel memory here:
 * the translation reads them with bpf_probe_read_kernel, bounded by linear_len, or (the direct object) loads its
 * constant-offset ones through `win`, a read-only BTF pointer to the same address (pkt_window below). */
#ifndef PCAP_FILTER_BPF_H
#define PCAP_FILTER_BPF_H

/* The bodies only keep every argument alive so clang keeps the signature (data, linear_len, pkt_len, win). */
static __noinline int filter_pcap_l2(__u64 data, __u64 linear_len, __u64 pkt_len, const void *win)
{
	return data != 0 && linear_len <= pkt_len && pkt_len != 0x7fffffff && win != (const void *)linear_len;
}

static __noinline int filter_pcap_l3(__u64 data, __u64 linear_len, __u64 pkt_len, const void *win)
{
	return data != 0 && linear_len <= pkt_len && pkt_len != 0x7ffffffe && win != (const void *)linear_len;
}

/* Where an sk_buff's bytes are: what the filter's view and a capture record start from. */
struct skb_view {
	unsigned char *head, *data;
	__u32 tail, len;
	__u16 mac, net;
};

#define SKB_OFF(f) bpf_core_field_offset(struct sk_buff, f)

#ifdef PKTPATH_DIRECT
/* The direct object (kernels whose verifier has the bpf_rdonly_cast kfunc, 6.2+): the skb, whatever the program
 * got it as (a pt_regs argument, a raw tracepoint's u64, TC's context), as a read-only BTF pointer whose fields
 * load with plain instructions; a load that faults reads 0, as a failed helper read does. Older verifiers refuse
 * a kfunc call anywhere in an object, so the other objects never hold one. */
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym;

static __always_inline void read_skb_view(struct sk_buff *skb, struct skb_view *v)
{
	const struct sk_buff *s = bpf_rdonly_cast(skb, bpf_core_type_id_kernel(struct sk_buff));

	v->head = s->head;
	v->data = s->data;
	v->tail = s->tail;
	v->len = s->len;
	v->net = s->network_header;
	v->mac = s->mac_header;
}
#else
/* Reads the view's fields in three helper calls instead of six where the kernel keeps tail, end, head and data
 * together and mac_header right after network_header (64-bit kernels: sk_buff_data_t is an offset there); else
 * one read per field. Every packet a filter refuses pays this at every probe. The offsets are CO-RE constants, so
 * the verifier keeps one of the two branches. */
static __always_inline void read_skb_view(struct sk_buff *skb, struct skb_view *v)
{
	if (bpf_core_field_size(struct sk_buff, tail) == 4 && SKB_OFF(end) == SKB_OFF(tail) + 4 &&
	    SKB_OFF(head) == SKB_OFF(tail) + 8 && SKB_OFF(data) == SKB_OFF(tail) + 16 &&
	    SKB_OFF(mac_header) == SKB_OFF(network_header) + 2) {
		struct {
			__u32 tail, end;
			unsigned char *head, *data;
		} b;
		__u16 h[2];
		/* a failed read zero-fills: head 0 means "no bytes" below */
		bpf_probe_read_kernel(&b, sizeof(b), (void *)skb + SKB_OFF(tail));
		bpf_probe_read_kernel(h, sizeof(h), (void *)skb + SKB_OFF(network_header));
		v->head = b.head;
		v->data = b.data;
		v->tail = b.tail;
		v->net = h[0];
		v->mac = h[1];
	} else {
		v->head = BPF_CORE_READ(skb, head);
		v->data = BPF_CORE_READ(skb, data);
		v->tail = BPF_CORE_READ(skb, tail);
		v->net = BPF_CORE_READ(skb, network_header);
		v->mac = BPF_CORE_READ(skb, mac_header);
	}
	v->len = BPF_CORE_READ(skb, len);
}
#endif

/* The view's start: the MAC header when it is set and non-empty (the L2 view, as pwru picks it), else the network
 * header. Returns the bytes readable there (0: none) and the wire length from there in *wire. */
static __always_inline __u32 view_start(const struct skb_view *v, bool *l2, __u16 *start, __s64 *wire)
{
	*l2 = v->mac != (__u16)~0U && v->net > v->mac;
	*start = *l2 ? v->mac : v->net;
	if (!v->head || v->tail <= *start)
		return 0;
	/* skb->len counts from skb->data, which may sit before or after the start */
	*wire = (__s64)v->len + ((__s64)(long)v->data - (__s64)(long)(v->head + *start));
	return *wire > 0 ? v->tail - *start : 0;
}

#ifdef PKTPATH_DIRECT
/* The packet's first bytes as the direct object's filter loads them: cast to a kernel struct that starts with 65
 * bytes of char (new_utsname.sysname, a UAPI layout), so the verifier takes a load of 1, 2 or 4 bytes at any
 * constant offset below 65 (CBPF_WIN in loader/cbpf_to_ebpf.h) as a plain load. Where the bytes fault, it reads
 * 0; the translation checks every load against linear_len first, as with a helper read. */
static __always_inline const void *pkt_window(__u64 p)
{
	return bpf_rdonly_cast((void *)p, bpf_core_type_id_kernel(struct new_utsname));
}
#else
/* Unused by the translation there; a value clang cannot fold keeps the argument in the stubs' signature. */
static __always_inline const void *pkt_window(__u64 p)
{
	return (const void *)p;
}
#endif

static __always_inline bool pcap_match(struct sk_buff *skb, bool *l2)
{
	struct skb_view v;
	__u16 start;
	__s64 wire = 0;

	read_skb_view(skb, &v);
	__u32 lin = view_start(&v, l2, &start, &wire);
	if (!lin)
		return false;
	__u64 p = (__u64)(long)v.head + start;
	if (*l2)
		return filter_pcap_l2(p, lin, wire, pkt_window(p)) != 0;
	return filter_pcap_l3(p, lin, wire, pkt_window(p)) != 0;
}

#endif
