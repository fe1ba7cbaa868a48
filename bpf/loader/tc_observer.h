/* SPDX-License-Identifier: MIT */
/* The TC observer: attach a sched_cls program to an interface's ingress/egress in some network namespace.
 * TCX links (6.6+) vanish with the process; older kernels get a classic cls_bpf filter at PKTPATH_TC_PRIO whose
 * handle is the attaching loader's PID, so runs on one interface never share a filter. A later run or `loader
 * cleanup` removes only filters whose owner is provably dead (prog_holders.h). */
#ifndef TC_OBSERVER_H
#define TC_OBSERVER_H
#include <stdbool.h>
#include <stddef.h>

#define PKTPATH_TC_PRIO 0x7074 /* "pt"; before per-run handles, the handle was 0x7074 too */

enum tc_attach_flags {
	TC_ALLOW_TCX = 1,  /* try a TCX link before a classic filter */
	TC_SWEEP_DEAD = 2, /* first remove dead loaders' filters from the interface (never for `probe`) */
};

struct tc_attachment {
	int ifindex;
	int netns_fd; /* -1: the loader's own namespace */
	bool egress;
	int link_fd;     /* TCX link, or -1 */
	bool classic;    /* classic cls_bpf filter to remove at detach */
	unsigned handle; /* its handle */
	bool created_qdisc;
	char ifname[16];
};

/* Enter/leave a namespace given by a path (/run/netns/x, /proc/PID/ns/net) or "" for our own. */
int netns_enter(const char *path, int *saved_fd, int *target_fd, char *err, size_t errlen);
int netns_leave(int saved_fd);

int tc_attach(int prog_fd, const char *netns, const char *ifname, bool egress, unsigned flags,
              struct tc_attachment *out, char *err, size_t errlen);
/* Removes our own filter only, and a clsact we created once no filter at all is left on it. */
void tc_detach(struct tc_attachment *a);
/* Removes pktpath's classic filters whose loader is dead from every interface of our namespace and of each
 * namespace in /run/netns. Returns the count removed. */
int tc_cleanup_all(void);
#endif
