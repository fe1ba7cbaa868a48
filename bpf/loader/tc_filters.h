/* SPDX-License-Identifier: MIT */
/* Lists the filters on a clsact hook with an rtnetlink dump: libbpf's bpf_tc_query needs the handle up front,
 * and each loader's classic filter has its own handle (tc_observer.h). */
#ifndef TC_FILTERS_H
#define TC_FILTERS_H
#include <linux/types.h>
#include <stdbool.h>

#define TC_FILTERS_MAX 64

struct tc_filter {
	__u32 handle;
	__u32 prog_id; /* 0: not a cls_bpf filter */
};

struct tc_filter_list {
	int total; /* every filter on the hook at that priority, whatever its kind */
	int n;     /* cls_bpf filters in f (at most TC_FILTERS_MAX) */
	struct tc_filter f[TC_FILTERS_MAX];
};

/* Filters on clsact ingress/egress of ifindex in the current netns; prio 0 = every priority.
 * No clsact (or no such device) is an empty list. Returns 0 or -errno. */
int tc_filters_list(int ifindex, bool egress, __u16 prio, struct tc_filter_list *out);
#endif
