/* SPDX-License-Identifier: MIT */
/* The tcpdump filter, run on the packet's bytes. The two stubs below are placeholders: at load time the loader
 * (loader/filter_patch.c) replaces their instructions with the eBPF translation of libpcap's cBPF for the run's
 * filter — one compiled for Ethernet (L2 view), one for raw IP (L3 view). Packet bytes are kernel memory here,
 * so the translation reads them with bpf_probe_read_kernel, bounded by linear_len. */
#ifndef PCAP_FILTER_BPF_H
#define PCAP_FILTER_BPF_H

/* The bodies only keep every argument alive so clang keeps the signature (data, linear_len, pkt_len). */
static __noinline int filter_pcap_l2(__u64 data, __u64 linear_len, __u64 pkt_len)
{
	return data != 0 && linear_len <= pkt_len && pkt_len != 0x7fffffff;
}

static __noinline int filter_pcap_l3(__u64 data, __u64 linear_len, __u64 pkt_len)
{
	return data != 0 && linear_len <= pkt_len && pkt_len != 0x7ffffffe;
}

/* Picks the view as pwru does: the L2 filter when the MAC header is set and non-empty, else the L3 one. */
static __always_inline bool pcap_match(struct sk_buff *skb, bool *l2)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	unsigned char *data = BPF_CORE_READ(skb, data);
	__u16 mac = BPF_CORE_READ(skb, mac_header);
	__u16 net = BPF_CORE_READ(skb, network_header);
	__u32 tail = BPF_CORE_READ(skb, tail);
	__u32 len = BPF_CORE_READ(skb, len);
	__u16 start;

	*l2 = mac != (__u16)~0U && net > mac;
	start = *l2 ? mac : net;
	if (!head || tail <= start)
		return false;
	/* wire length of this view: skb->len counts from skb->data, which may sit before or after `start` */
	__s64 view_len = (__s64)len + ((__s64)(long)data - (__s64)(long)(head + start));
	if (view_len <= 0)
		return false;
	__u64 p = (__u64)(long)head + start;
	if (*l2)
		return filter_pcap_l2(p, tail - start, view_len) != 0;
	return filter_pcap_l3(p, tail - start, view_len) != 0;
}

#endif
