/* SPDX-License-Identifier: MIT */
/* Maps and run configuration shared by every program in pktpath.bpf.c. Sizes are set by the loader before load. */
#ifndef MAPS_BPF_H
#define MAPS_BPF_H

/* Meta filters and limits, set by the loader (rodata: the verifier sees them as constants). */
const volatile __u32 cfg_netns = 0;      /* netns inode, 0 = any */
const volatile __u32 cfg_ifindex = 0;    /* 0 = any */
const volatile __u64 cfg_ifname[2] = {}; /* device name (IFNAMSIZ bytes), all zero = any */
const volatile __u32 cfg_mark = 0;
const volatile __u32 cfg_mark_mask = 0;     /* 0 = any mark */
const volatile __u32 cfg_max_packets = 0;   /* 0 = no limit */
const volatile bool cfg_stack = false;      /* record a kernel stack id with every event */
const volatile bool cfg_drop_stack = false; /* ... and with every drop event (EV_DROP) */
const volatile __u32 cfg_snaplen = 0;       /* packet bytes to capture (struct pktpath_capture), 0 = none */
/* Probe ids of the fixed programs (raw tracepoints, TC observer), from the loader's probe table. */
const volatile __u32 tp_probe_id[16] = {};
const volatile __u32 tc_probe_id[2] = {};
/* Tracepoints (bit = TP_* index) attached only to end the tracking of freed skbs: PROBE_QUIET. */
const volatile __u32 tp_quiet = 0;
/* skb:kfree_skb passes the drop reason (a third argument, 5.17+): the loader reads it from the host's BTF. A raw
 * tracepoint program that reads past the tracepoint's arguments fails to attach, so the read sits behind this. */
const volatile bool tp_kfree_reason = true;
/* kmem:kmem_cache_free passes the cache (a third argument, 6.1+; 5.13-6.0 pass its name): the loader reads it
 * from the host's BTF. With it, frees from caches that cannot hold an sk_buff skip the map lookups. */
const volatile bool tp_slab_cache_arg = false;
/* kprobe programs read their probe word with bpf_get_attach_cookie (5.15); before, by the probed function's
 * address in probe_by_ip. The verifier drops the branch not taken, helper call included. */
const volatile bool kp_cookie = true;
/* Possible CPUs (the loader sets it): the compat object interleaves per-CPU packet id counters by it. */
const volatile __u32 cfg_ncpus = 1;

/* Set by the loader once a PROBE_END function (kfree_skbmem) is attached: a freed skb then stays tracked, marked,
 * until its struct is released, so the tail of freeing (skb_release_data, kfree_skbmem) stays in its path. */
bool fn_tail = false;
/* Packet ids are handed out from here; an atomic fetch-and-add keeps them unique across CPUs (claim_packet_id). */
__u32 next_packet_id = 0;
/* Whole packets matched so far (not fragments): what limits.packets counts. */
__u32 limited_packets = 0;
/* Packets tracked right now: the loader ends a packet-limited run once this drops to 0. */
__s64 live_packets = 0;

struct pkt_track {
	__u32 packet_id;
	__u32 tuple_hash; /* of the last 5-tuple reported: a change (NAT) is reported again */
	__u32 freed;      /* freed, waiting for its struct to be released (fn_tail) */
	__u32 _pad;
};

/* skb address -> tracked packet. Entries go when the skb is freed (kfree_skb / consume_skb). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pkt_track);
} tracked SEC(".maps");

/* How many tracked skbs hash to each slot: a counting filter in front of `tracked`. An skb whose slot is 0 is not
 * tracked, so a packet the filter refuses costs one load here at every probe instead of a hash map lookup. The
 * count goes up before an entry is added and down after one is removed (track_put, track_del): it never reads 0
 * for an address in the map. 256 KB. */
#define TRACK_SLOTS (1 << 16)
__u32 track_slots[TRACK_SLOTS] = {};

static __always_inline __u32 *track_slot(__u64 key)
{
	/* Fibonacci hashing: sk_buffs sit on a 64- or 256-byte stride in their slabs, the top bits mix them all */
	return &track_slots[(key * 0x9E3779B97F4A7C15ULL) >> 48];
}

/* False when no tracked skb is at this address. */
static __always_inline bool track_maybe(__u64 key)
{
	return *(volatile __u32 *)track_slot(key) != 0;
}

/* The tracked entry of an skb address, if any. */
static __always_inline struct pkt_track *track_get(__u64 key)
{
	return track_maybe(key) ? bpf_map_lookup_elem(&tracked, &key) : NULL;
}

/* Adds key's entry, or replaces the one it has; false when the map is full. */
static __always_inline bool track_put(__u64 key, const struct pkt_track *v)
{
	__u32 *slot = track_slot(key);
	__sync_fetch_and_add(slot, 1);
	if (bpf_map_update_elem(&tracked, &key, v, BPF_NOEXIST) == 0)
		return true;
	__sync_fetch_and_add(slot, -1); /* not added: there was one, or no room */
	return bpf_map_update_elem(&tracked, &key, v, BPF_EXIST) == 0;
}

static __always_inline void track_del(__u64 key)
{
	if (bpf_map_delete_elem(&tracked, &key) == 0)
		__sync_fetch_and_add(track_slot(key), -1);
}

/* packet id -> skbs alive that carry it (the original plus its clones/copies): the path ends at the last free. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} pkt_refs SEC(".maps");

/* kprobe -> kretprobe hand-over of the skb argument (return probes cannot read arguments). LRU: a return that
 * never comes (missed kretprobe) must not fill it. */
struct ret_key {
	__u64 task; /* pid_tgid, or the CPU when in idle/softirq context of pid 0 */
	__u64 probe;
};
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ret_key);
	__type(value, __u64);
} ret_stash SEC(".maps");

/* The compat object's packet id counter, one per CPU (claim_packet_id). Declared in both objects: the loader opens
 * either through one skeleton, so their maps and variables must be the same. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} id_seq SEC(".maps");

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

/* fentry programs are loaded once per function, and kprobes without cookies share one per argument position: they
 * find their probe word by function address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PKTPATH_MAX_PROBES);
	__type(key, __u64);
	__type(value, __u64); /* the probe's cookie */
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
