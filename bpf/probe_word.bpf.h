/* SPDX-License-Identifier: MIT */
/* How a program learns what its hop is: the probe word (PROBE_* flags over the probe id, pktpath.h), the drop
 * reason and the free location. Tracepoint and TC programs have them as constants. A function probe looks its word
 * up (the attach cookie: on kprobe-multi a search over every attached address, costing about what the empty
 * program does; or the function's address in probe_by_ip) and reads the reason at the position the word names.
 * skb_path.bpf.h asks for it only once the skb is tracked or the filter matched, so a packet the filter refuses
 * costs the tracking lookup and the filter alone, at every probe. */
#ifndef PROBE_WORD_BPF_H
#define PROBE_WORD_BPF_H

struct hop {
	__u64 c;           /* the probe word */
	__u32 drop_reason; /* when has_reason */
	bool has_reason;
	__u64 location; /* kfree_skb's caller, 0 = none */
};

enum word_src {
	WORD_GIVEN,  /* tracepoints, TC: struct hop is filled in already */
	WORD_KPROBE, /* kprobe, kprobe-multi: ctx is struct pt_regs */
	WORD_FENTRY, /* fentry: ctx is the argument array */
};

/* Where a kprobe's handler sees the instruction pointer: past the int3 on x86 (also when ftrace stands in for it),
 * at the probed instruction on arm64. */
#if defined(__TARGET_ARCH_x86)
#define KPROBE_IP_OFF 1
#else
#define KPROBE_IP_OFF 0
#endif

/* The probe word of a kprobe (kp_cookie); false for an address the loader did not register. */
static __always_inline bool kprobe_word(struct pt_regs *ctx, __u64 *c)
{
	if (kp_cookie) {
		*c = bpf_get_attach_cookie(ctx);
		return true;
	}
	__u64 ip = PT_REGS_IP(ctx) - KPROBE_IP_OFF, *w = bpf_map_lookup_elem(&probe_by_ip, &ip);
	if (!w)
		return false;
	*c = *w;
	return true;
}

/* Fills h for a function probe (src is a constant at every call: the other branches compile away). False when the
 * function is not one the loader registered. */
static __always_inline bool hop_word(void *ctx, int src, struct hop *h)
{
	__u32 rpos;

	if (src == WORD_GIVEN)
		return true;
	if (src == WORD_KPROBE) {
		struct pt_regs *regs = ctx;
		if (!kprobe_word(regs, &h->c))
			return false;
		rpos = PROBE_REASON_POS(h->c);
		/* constant-offset reads only: a register picked at run time would be a modified ctx pointer, which
		 * the verifier rejects */
		__u64 a2 = PT_REGS_PARM2(regs), a3 = PT_REGS_PARM3(regs), a4 = PT_REGS_PARM4(regs),
		      a5 = PT_REGS_PARM5(regs);
		h->drop_reason = rpos == 2 ? a2 : rpos == 3 ? a3 : rpos == 4 ? a4 : rpos == 5 ? a5 : 0;
	} else {
		__u64 ip = bpf_get_func_ip(ctx), *w = bpf_map_lookup_elem(&probe_by_ip, &ip), reason = 0;
		if (!w)
			return false;
		h->c = *w;
		rpos = PROBE_REASON_POS(h->c);
		if (rpos)
			bpf_get_func_arg(ctx, rpos - 1, &reason);
		h->drop_reason = reason;
	}
	h->has_reason = rpos != 0;
	return true;
}

#endif
