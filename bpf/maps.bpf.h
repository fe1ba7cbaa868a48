/* SPDX-License-Identifier: MIT */
/* Maps and run configuration shared by every program in pktpath.bpf.c. Sizes are set by the loader before load. */
#ifndef MAPS_BPF_H
#define MAPS_BPF_H

/* Meta filters and limits, set by the loader (rodata: the verifier sees them as constants). */
const volatile __u32 cfg_netns = 0;         /* netns inode, 0 = any */
const volatile __u32 cfg_ifindex = 0;       /* 0 = any */
const volatile __u64 cfg_ifname[2] = {};    /* device name (IFNAMSIZ bytes), all zero = any */
const volatile __u32 cfg_mark = 0;
const volatile __u32 cfg_mark_mask = 0;     /* 0 = any mark */
const volatile __u32 cfg_max_packets = 0;   /* 0 = no limit */
const volatile bool cfg_stack = false;      /* record a kernel stack id with every event */
/* Probe ids of the fixed programs (raw tracepoints, TC observer), from the loader's probe table. */
const volatile __u32 tp_probe_id[16] = {};
const volatile __u32 tc_probe_id[2] = {};

/* Packet ids are handed out from here; __sync_fetch_and_add keeps them unique across CPUs. */
__u32 next_packet_id = 0;
/* Packets tracked right now: the loader ends a packet-limited run once this drops to 0. */
__s64 live_packets = 0;

struct pkt_track {
	__u32 packet_id;
	__u32 tuple_hash; /* of the last 5-tuple reported: a change (NAT) is reported again */
};

/* skb address -> tracked packet. Entries go when the skb is freed (kfree_skb / consume_skb). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pkt_track);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Ring-buffer reservation failures per probe id: lost events are never silent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PKTPATH_MAX_PROBES);
	__type(key, __u32);
	__type(value, __u64);
} lost_by_probe SEC(".maps");

/* fentry programs are loaded once per function; they find their probe id by function address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKTPATH_MAX_PROBES);
	__type(key, __u64);
	__type(value, __u32);
} probe_by_ip SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1024);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PKTPATH_STACK_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &which);
	if (v)
		*v += 1;
}

#endif
