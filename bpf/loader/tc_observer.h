/* SPDX-License-Identifier: MIT */
/* The TC observer: attach a sched_cls program to an interface's ingress/egress in some network namespace.
 * TCX links (6.6+) vanish with the process; older kernels get a classic cls_bpf filter, tagged with
 * PKTPATH_TC_HANDLE/PRIO so that a later run or `loader cleanup` removes leftovers. */
#ifndef TC_OBSERVER_H
#define TC_OBSERVER_H
#include <stdbool.h>
#include <stddef.h>

#define PKTPATH_TC_HANDLE 0x7074 /* "pt" */
#define PKTPATH_TC_PRIO 0x7074

struct tc_attachment {
	int ifindex;
	int netns_fd;      /* -1: the loader's own namespace */
	bool egress;
	int link_fd;       /* TCX link, or -1 */
	bool classic;      /* classic cls_bpf filter to remove at detach */
	bool created_qdisc;
	char ifname[16];
};

/* Enter/leave a namespace given by a path (/run/netns/x, /proc/PID/ns/net) or "" for our own. */
int netns_enter(const char *path, int *saved_fd, int *target_fd, char *err, size_t errlen);
int netns_leave(int saved_fd);

int tc_attach(int prog_fd, const char *netns, const char *ifname, bool egress, bool allow_tcx,
	      struct tc_attachment *out, char *err, size_t errlen);
void tc_detach(struct tc_attachment *a);
/* Removes pktpath's classic TC filters left on an interface (by tag and program name). Returns the count. */
int tc_remove_leftovers_ifindex(int ifindex);
/* Sweeps every interface of our namespace and of each namespace in /run/netns. Returns the count removed. */
int tc_cleanup_all(void);
#endif
