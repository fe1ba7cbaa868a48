/* SPDX-License-Identifier: MIT */
/* ABI shared by the eBPF programs and the loader: event layout, limits, flags. Documented in docs/LOADER.md;
 * changing a field's meaning or offset means bumping PKTPATH_FRAMING_VERSION. */
#ifndef PKTPATH_H
#define PKTPATH_H

#define PKTPATH_FRAMING_VERSION 1
#define PKTPATH_MAX_PROBES      8192 /* probe ids: lost-event counters are indexed by them */
#define PKTPATH_MAX_ARG_POS     5    /* skb at argument positions 1..5 */
#define PKTPATH_STACK_DEPTH     32

/* event flags */
#define EV_TUPLE    (1 << 0) /* the 5-tuple fields are set: first sight, or it changed (NAT) */
#define EV_DROP     (1 << 1) /* kfree_skb: drop_reason is set */
#define EV_STACK    (1 << 2) /* stack_id is set */
#define EV_RETVAL   (1 << 3) /* retval is set (fexit/kretprobe) */
#define EV_FIRST    (1 << 4) /* the probe where the filter matched and the packet got its id */
#define EV_FREE     (1 << 5) /* the skb was freed here: the packet's path ends */
#define EV_L2       (1 << 6) /* the filter saw the L2 (MAC) view; else the L3 view */
#define EV_PARTIAL  (1 << 7) /* with EV_FIRST: first seen while being freed, so its path before is unknown */
#define EV_LOCATION (1 << 8) /* kfree_skb: retval holds the tracepoint's `location` (the caller that freed it) */

/* One hop of one packet: 104 bytes, little-endian on every supported arch, naturally aligned. */
struct pktpath_event {
	__u64 ktime_ns;  /* bpf_ktime_get_ns() */
	__u64 skb;       /* skb address (tracking key) */
	__u32 packet_id; /* 1.. per run */
	__u32 probe_id;  /* index into the run's probe table (status record "probe") */
	__u32 cpu;
	__u32 netns;       /* netns inode of skb->dev (or of skb->sk when there is no device) */
	__u32 ifindex;     /* skb->dev->ifindex, 0 without a device */
	__u32 len;         /* skb->len */
	__u32 mark;        /* skb->mark */
	__u16 flags;       /* EV_* */
	__u8 l4proto;      /* IPPROTO_* when EV_TUPLE */
	__u8 ip_version;   /* 4 or 6 when EV_TUPLE, else 0 */
	__u32 drop_reason; /* enum skb_drop_reason value when EV_DROP */
	__s32 stack_id;    /* when EV_STACK */
	__s64 retval;      /* when EV_RETVAL */
	__u8 saddr[16];    /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
	__u16 sport; /* TCP/UDP ports; ICMP: sport = echo id, dport = type << 8 | code */
	__u16 dport;
	__u32 _pad;
};

/* Packet bytes (opt-in, `capture.snaplen`): one record per packet at its first sight and whenever its 5-tuple
 * changes (NAT), beside the hop events, so hop events stay small. Told apart from events in the ring buffer by
 * size; the loader writes it as frame type 4 with only the header and `caplen` bytes. */
#define PKTPATH_MAX_SNAPLEN 256
#define CAP_L2              1 /* data starts at the MAC header (Ethernet); else at the network header (raw IP) */

struct pktpath_capture {
	__u64 ktime_ns; /* same clock and moment as the hop event it goes with */
	__u32 packet_id;
	__u32 probe_id;
	__u32 wire_len; /* length of the packet from where the data starts (pcap "original length") */
	__u16 caplen;   /* bytes in data (linear part only, at most the snaplen) */
	__u8 flags;     /* CAP_* */
	__u8 _pad;
	__u8 data[PKTPATH_MAX_SNAPLEN];
};

/* The task a PROBE_TASK probe ran in: the copy of a packet to user space runs in the receiving process's recvmsg,
 * so this names the process the kernel delivered it to. Told apart from the others in the ring buffer by size;
 * the loader writes it as frame type 5. */
struct pktpath_task {
	__u64 ktime_ns; /* same clock and moment as the hop event it goes with */
	__u32 packet_id;
	__u32 probe_id;
	__u32 tgid;    /* process id */
	__u32 pid;     /* thread id */
	char comm[16]; /* the thread's name (TASK_COMM_LEN), NUL-padded */
};

/* Probe cookie (kprobe/kprobe-multi attach cookie, fentry/fexit probe_by_ip value, raw_tp constants): the probe
 * id in the low 32 bits, what the probed function does to the skb above it. */
#define PROBE_ID(c)         ((__u32)(c))
#define PROBE_FREE          (1ULL << 32) /* frees the skb for sure (its last reference) */
#define PROBE_TAIL          (1ULL << 33) /* runs while an skb is being freed: still part of the freed packet */
#define PROBE_END           (1ULL << 34) /* releases the sk_buff struct itself: its address stops being tracked */
#define PROBE_CLONE         (1ULL << 35) /* returns a clone/copy of its skb argument: the copy joins the packet */
#define PROBE_RET           (1ULL << 36) /* also probed on return: record the return value */
#define PROBE_STACK         (1ULL << 37) /* record a kernel stack id at this probe (per-function `stack`) */
#define PROBE_QUIET         (1ULL << 38) /* a free point the user did not ask for: ends tracking, starts and writes nothing */
#define PROBE_TASK          (1ULL << 39) /* runs in the receiving process (recvmsg's copy to user): record the task */
#define PROBE_REASON_SHIFT  40           /* bits 40..43: argument position of the drop reason, 0 = none */
#define PROBE_REASON_POS(c) (((c) >> PROBE_REASON_SHIFT) & 0xf)

/* Run-wide counters (an array map, one slot per counter; per-CPU). */
enum pktpath_counter {
	CNT_PACKETS = 0, /* packets that matched and got an id */
	CNT_OVER_LIMIT,  /* matches ignored because the packet limit was reached */
	CNT_TRACK_FULL,  /* matches not tracked because the tracking map was full */
	CNT_EVENTS,      /* events written to the ring buffer */
	CNT_LOST,        /* ring-buffer reservation failures (also per probe) */
	CNT_FREED,       /* tracked packets whose skb was freed */
	CNT_MAX,
};

#endif
