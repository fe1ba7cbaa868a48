/* SPDX-License-Identifier: MIT */
/* What every probe does with an skb: filter it once (meta filters, then the pcap filter) until it matches, give
 * it a packet id keyed by the skb address, then emit one event per hop until the skb is freed. */
#ifndef SKB_PATH_BPF_H
#define SKB_PATH_BPF_H

#define ETH_P_IP_BE   0x0008 /* htons(0x0800) */
#define ETH_P_IPV6_BE 0xDD86 /* htons(0x86DD) */

/* probe kinds, for the few things that differ between contexts */
#define PK_TRACE 0 /* raw_tp, kprobe, fentry: bpf_get_stackid works on ctx */
#define PK_TC    1 /* sched_cls: no stack ids */

static __always_inline __u32 skb_netns(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	struct sock *sk = BPF_CORE_READ(skb, sk);
	if (sk)
		return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return 0;
}

/* The meta filters; each reads the skb only when it is set (the loader's rodata: the verifier drops the rest), so
 * a run without them pays nothing here. */
static __always_inline bool meta_match(struct sk_buff *skb)
{
	if (cfg_netns && skb_netns(skb) != cfg_netns)
		return false;
	if (cfg_ifindex || cfg_ifname[0] || cfg_ifname[1]) {
		struct net_device *dev = BPF_CORE_READ(skb, dev);
		if (!dev)
			return false;
		if (cfg_ifindex && BPF_CORE_READ(dev, ifindex) != cfg_ifindex)
			return false;
		if (cfg_ifname[0] || cfg_ifname[1]) {
			__u64 name[2] = {};
			bpf_probe_read_kernel(name, sizeof(name), &dev->name);
			if (name[0] != cfg_ifname[0] || name[1] != cfg_ifname[1])
				return false;
		}
	}
	if (cfg_mark_mask && (BPF_CORE_READ(skb, mark) & cfg_mark_mask) != cfg_mark)
		return false;
	return true;
}

/* Fills the 5-tuple from the network header; returns a hash of it, 0 when the packet is not IP. */
static __always_inline __u32 read_tuple(struct sk_buff *skb, struct pktpath_event *e)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 net = BPF_CORE_READ(skb, network_header);
	__u16 proto = BPF_CORE_READ(skb, protocol);
	__u32 l4off;
	union {
		__u8 b[8];
		__be16 w[4];
	} l4 = {};

	if (proto == ETH_P_IP_BE) {
		struct iphdr ip;
		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + net) || ip.version != 4)
			return 0;
		e->ip_version = 4;
		e->l4proto = ip.protocol;
		__builtin_memcpy(e->saddr, &ip.saddr, 4);
		__builtin_memcpy(e->daddr, &ip.daddr, 4);
		l4off = net + ip.ihl * 4;
	} else if (proto == ETH_P_IPV6_BE) {
		struct ipv6hdr ip6;
		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + net) || ip6.version != 6)
			return 0;
		e->ip_version = 6;
		e->l4proto = ip6.nexthdr;
		__builtin_memcpy(e->saddr, &ip6.saddr, 16);
		__builtin_memcpy(e->daddr, &ip6.daddr, 16);
		l4off = net + sizeof(ip6);
	} else {
		return 0;
	}
	if (bpf_probe_read_kernel(&l4, sizeof(l4), head + l4off) == 0) {
		/* all three words unconditionally: indexing by protocol makes clang compute stack pointers the
		 * verifier rejects */
		__u16 w0 = bpf_ntohs(l4.w[0]), w1 = bpf_ntohs(l4.w[1]), w2 = bpf_ntohs(l4.w[2]);
		if (e->l4proto == IPPROTO_TCP || e->l4proto == IPPROTO_UDP) {
			e->sport = w0;
			e->dport = w1;
		} else if (e->l4proto == IPPROTO_ICMP || e->l4proto == 58 /* ICMPv6 */) {
			e->sport = w2; /* echo id */
			e->dport = w0; /* type << 8 | code */
		}
	}
	__u32 h = e->ip_version * 0x9e3779b1u ^ e->l4proto;
	__u32 *s = (__u32 *)e->saddr, *d = (__u32 *)e->daddr;
	for (int i = 0; i < 4; i++)
		h = (h ^ s[i]) * 0x01000193u ^ d[i] * 0x85ebca6bu;
	h ^= ((__u32)e->sport << 16 | e->dport) * 0xc2b2ae35u;
	return h ? h : 1;
}

/* Three counters shared by every CPU. Kernels before 5.12 have no atomic fetch-and-add (their verifier refuses the
 * instruction anywhere in an object), only an atomic add without a result: the compat object (PKTPATH_NO_FETCH,
 * picked by the loader on such kernels) gets the same answers another way, each said where it is weaker. */
#ifndef PKTPATH_NO_FETCH
static __always_inline __u32 claim_packet_id(void)
{
	return __sync_fetch_and_add(&next_packet_id, 1) + 1;
}

/* Takes one of the cfg_max_packets slots; false when they were gone. */
static __always_inline bool claim_limit_slot(void)
{
	return __sync_fetch_and_add(&limited_packets, 1) < cfg_max_packets;
}

/* One skb of the packet fewer; true when it was the last (the caller then owns the release). */
static __always_inline bool drop_ref(__u32 *refs, __u32 id)
{
	if (__sync_fetch_and_add(refs, -1) > 1)
		return false;
	bpf_map_delete_elem(&pkt_refs, &id);
	return true;
}
#else
/* Per-CPU counters interleaved by CPU: unique across CPUs without a shared fetch. Two programs nesting on one CPU
 * (an interrupt between the add and the read) could still share an id. */
static __always_inline __u32 claim_packet_id(void)
{
	__u32 zero = 0, *n = bpf_map_lookup_elem(&id_seq, &zero);
	if (!n)
		return 0;
	__sync_fetch_and_add(n, 1);
	return (*n - 1) * cfg_ncpus + bpf_get_smp_processor_id() + 1;
}

/* Two CPUs taking the last slot at once may both be refused: the run then ends one packet short. */
static __always_inline bool claim_limit_slot(void)
{
	__sync_fetch_and_add(&limited_packets, 1);
	return limited_packets <= cfg_max_packets;
}

/* Two CPUs freeing the last two skbs at once may both read 0: the map delete, atomic, picks the one that owns the
 * release. */
static __always_inline bool drop_ref(__u32 *refs, __u32 id)
{
	__sync_fetch_and_add(refs, -1);
	if (*refs > 0 && *refs < 0x80000000u)
		return false;
	return bpf_map_delete_elem(&pkt_refs, &id) == 0;
}
#endif

/* The skb's last reference is gone: returns true when it was the packet's last skb (the path ends). */
static __always_inline bool release(struct pkt_track *t)
{
	__u32 id = t->packet_id, *refs = bpf_map_lookup_elem(&pkt_refs, &id);

	t->freed = 1;
	if (refs && !drop_ref(refs, id))
		return false;
	if (!refs)
		bpf_map_delete_elem(&pkt_refs, &id);
	__sync_fetch_and_add(&live_packets, -1);
	count(CNT_FREED);
	return true;
}

/* The sk_buff struct at `key` went back to its cache: tracking of that address ends, without an event. */
static __always_inline void end_struct(__u64 key)
{
	struct pkt_track *t = track_get(key);

	if (!t)
		return;
	if (!t->freed)
		release(t);
	track_del(key);
}

/* Copies up to cfg_snaplen bytes of the packet's linear data into a capture record, from the MAC header when it
 * is set (as pcap_match picks its view), else from the network header. */
static __always_inline void emit_capture(struct sk_buff *skb, __u32 packet_id, __u32 probe_id, __u64 ktime)
{
	struct skb_view v;
	bool l2;
	__u16 start;
	__s64 wire = 0;

	read_skb_view(skb, &v);
	__u32 n = view_start(&v, &l2, &start, &wire);
	if (!n)
		return;
	if (n > cfg_snaplen)
		n = cfg_snaplen;
	if (n > PKTPATH_MAX_SNAPLEN)
		n = PKTPATH_MAX_SNAPLEN;
	struct pktpath_capture *c = bpf_ringbuf_reserve(&events, sizeof(*c), 0);
	if (!c) {
		count(CNT_LOST);
		return;
	}
	c->ktime_ns = ktime;
	c->packet_id = packet_id;
	c->probe_id = probe_id;
	c->wire_len = wire;
	c->flags = l2 ? CAP_L2 : 0;
	c->_pad = 0;
	/* a failed read (unmapped head) records 0 bytes */
	if (bpf_probe_read_kernel(c->data, n, v.head + start))
		n = 0;
	c->caplen = n;
	bpf_ringbuf_submit(c, 0);
}

/* The receiving task, at a PROBE_TASK probe (skb_copy_datagram_iter: recvmsg's copy runs in its process). In
 * interrupt context on an idle CPU the task is the idle one (pid 0): nothing to say then. */
static __always_inline void emit_task(__u32 packet_id, __u32 probe_id, __u64 ktime)
{
	__u64 id = bpf_get_current_pid_tgid();
	if (!(__u32)id)
		return;
	struct pktpath_task *k = bpf_ringbuf_reserve(&events, sizeof(*k), 0);
	if (!k) {
		count(CNT_LOST);
		return;
	}
	k->ktime_ns = ktime;
	k->packet_id = packet_id;
	k->probe_id = probe_id;
	k->tgid = id >> 32;
	k->pid = (__u32)id;
	bpf_get_current_comm(k->comm, sizeof(k->comm));
	bpf_ringbuf_submit(k, 0);
}

/* Writes one event for a tracked skb; lost reservations are counted per probe. `c`: the probe cookie. */
static __always_inline void emit(void *ctx, struct sk_buff *skb, struct pkt_track *t, __u64 c, int kind, __u16 flags,
                                 __u32 drop_reason, __s64 retval)
{
	__u32 probe_id = PROBE_ID(c);
	struct pktpath_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u32 id = probe_id < PKTPATH_MAX_PROBES ? probe_id : PKTPATH_MAX_PROBES - 1;
		__u64 *lost = bpf_map_lookup_elem(&lost_by_probe, &id);
		if (lost)
			*lost += 1;
		count(CNT_LOST);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ktime_ns = bpf_ktime_get_ns();
	e->skb = (__u64)(long)skb;
	e->packet_id = t->packet_id;
	e->probe_id = probe_id;
	e->cpu = bpf_get_smp_processor_id();
	e->netns = skb_netns(skb);
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	e->ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	e->len = BPF_CORE_READ(skb, len);
	e->mark = BPF_CORE_READ(skb, mark);
	__u32 h = read_tuple(skb, e);
	if (h && h != t->tuple_hash) {
		flags |= EV_TUPLE;
		t->tuple_hash = h;
	} else {
		__builtin_memset(e->saddr, 0, sizeof(e->saddr) + sizeof(e->daddr));
		e->sport = e->dport = 0;
		e->l4proto = e->ip_version = 0;
	}
	e->drop_reason = drop_reason;
	e->retval = retval;
	/* a stack on every event (options.stack), at the probes that asked for one, or at drops (options.dropStack:
	 * the frames above kfree_skb name the function that decided the drop where no function probe attaches;
	 * kfree_skb always has its location, and before 5.17 no reason) */
	if (kind == PK_TRACE &&
	    (cfg_stack || (c & PROBE_STACK) || (cfg_drop_stack && (flags & (EV_DROP | EV_LOCATION))))) {
		e->stack_id = bpf_get_stackid(ctx, &stacks, 0);
		if (e->stack_id >= 0)
			flags |= EV_STACK;
	}
	e->flags = flags;
	__u64 ktime = e->ktime_ns;
	bpf_ringbuf_submit(e, 0);
	count(CNT_EVENTS);
	if (cfg_snaplen && (flags & (EV_FIRST | EV_TUPLE)))
		emit_capture(skb, t->packet_id, probe_id, ktime);
	if (kind == PK_TRACE && (c & PROBE_TASK) && !(flags & EV_RETVAL))
		emit_task(t->packet_id, probe_id, ktime);
}

/* An skb seen for the first time at this hop, and matched by the filter: it gets a packet id and is tracked (or,
 * with the tracking map full, gets one event as `fresh`). Returns NULL when it takes no id (the packet limit). */
static __always_inline struct pkt_track *start_packet(__u64 key, const struct hop *h, struct pkt_track *fresh,
                                                      __u16 *flags, bool l2)
{
	/* matched only at a free or release point: an skb from before the attach, or one whose earlier hops no probe
	 * saw (e.g. the original of a copy made in an unprobed function) - a fragment, not a path */
	bool partial = h->c & (PROBE_FREE | PROBE_TAIL | PROBE_END);
	struct pkt_track *t = NULL;

	/* the packet limit counts whole paths: past it nothing new matches; fragments never take a slot */
	if (cfg_max_packets && limited_packets >= cfg_max_packets) {
		count(CNT_OVER_LIMIT);
		return NULL;
	}
	if (cfg_max_packets && !partial && !claim_limit_slot()) {
		count(CNT_OVER_LIMIT); /* another CPU took the last slot */
		return NULL;
	}
	if (!(fresh->packet_id = claim_packet_id()))
		return NULL;
	*flags |= EV_FIRST | (l2 ? EV_L2 : 0) | (partial ? EV_PARTIAL : 0);
	count(CNT_PACKETS);
	__u32 one = 1;
	if (track_put(key, fresh) && bpf_map_update_elem(&pkt_refs, &fresh->packet_id, &one, BPF_ANY) == 0) {
		__sync_fetch_and_add(&live_packets, 1);
		t = bpf_map_lookup_elem(&tracked, &key);
	} else {
		count(CNT_TRACK_FULL);
		track_del(key);
	}
	if (!t) {
		/* untracked: one event, and never counted as live */
		fresh->freed = 1;
		t = fresh;
	}
	return t;
}

/* The body of every entry probe. `src` says where the hop's probe word comes from (probe_word.bpf.h): it is
 * looked up only for a tracked skb or one the filter matched. Returns true when the skb is tracked after this hop,
 * with h filled in (a function probe then hands the skb to its return probe). */
static __always_inline bool on_hop(void *ctx, struct sk_buff *skb, int src, struct hop *h, int kind)
{
	__u64 key = (__u64)(long)skb;
	struct pkt_track *t, fresh = {};
	__u16 flags = 0;
	bool l2 = false, known = src == WORD_GIVEN;

	if (!skb)
		return false;
	t = track_get(key);
	if (t) {
		if (!hop_word(ctx, src, h))
			return false;
		known = true;
		if (t->freed && !(h->c & (PROBE_TAIL | PROBE_END))) {
			/* freed before, and the address is in use again: this is another skb */
			track_del(key);
			t = NULL;
		}
	}
	if (!t && known && (h->c & PROBE_QUIET))
		return false;
	if (!t) {
		/* Not tracked yet: filter it here (and at every later probe until it matches). */
		if (!meta_match(skb) || !pcap_match(skb, &l2))
			return false;
		if (!known && (!hop_word(ctx, src, h) || (h->c & PROBE_QUIET)))
			return false;
		if (!(t = start_packet(key, h, &fresh, &flags, l2)))
			return false;
	}
	flags |= (h->has_reason ? EV_DROP : 0) | (h->location ? EV_LOCATION : 0);
	if ((h->c & (PROBE_FREE | PROBE_END)) && !t->freed && release(t))
		flags |= EV_FREE;
	if (!(h->c & PROBE_QUIET))
		emit(ctx, skb, t, h->c, kind, flags, h->drop_reason, (__s64)h->location);
	if (t->freed && (!fn_tail || (h->c & PROBE_END))) {
		track_del(key);
		return false;
	}
	return t != &fresh && !t->freed;
}

/* A hop whose probe word and reason are at hand (tracepoints, TC). */
static __always_inline void on_skb(void *ctx, struct sk_buff *skb, __u64 c, int kind, __u32 drop_reason,
                                   bool has_reason, __u64 location)
{
	struct hop h = { .c = c, .drop_reason = drop_reason, .has_reason = has_reason, .location = location };
	on_hop(ctx, skb, WORD_GIVEN, &h, kind);
}

/* The body of every return probe: the return value of a probed function, and clones/copies joining their
 * packet. Untracked or freed skbs are ignored (a return never starts a packet). */
static __always_inline int on_ret(void *ctx, struct sk_buff *skb, __u64 c, __s64 ret)
{
	__u64 key = (__u64)(long)skb, nkey = (__u64)ret;
	struct pkt_track *t = track_get(key);

	if (!t || t->freed)
		return 0;
	if (!(c & PROBE_CLONE)) {
		emit(ctx, skb, t, c, PK_TRACE, EV_RETVAL, 0, ret);
		return 0;
	}
	if (!ret || nkey == key)
		return 0; /* the copy failed, or the function kept the skb */
	struct pkt_track n = { .packet_id = t->packet_id };
	__u32 *refs = bpf_map_lookup_elem(&pkt_refs, &n.packet_id);
	if (!refs || !track_put(nkey, &n)) {
		count(CNT_TRACK_FULL);
		return 0;
	}
	__sync_fetch_and_add(refs, 1);
	struct pkt_track *nt = bpf_map_lookup_elem(&tracked, &nkey);
	if (nt)
		emit(ctx, (struct sk_buff *)nkey, nt, c, PK_TRACE, EV_RETVAL, 0, ret);
	return 0;
}

#endif
