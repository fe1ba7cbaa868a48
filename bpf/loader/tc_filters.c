// SPDX-License-Identifier: MIT
#include "tc_filters.h"
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static __u32 bpf_prog_id(struct rtattr *opts)
{
	int len = RTA_PAYLOAD(opts);
	for (struct rtattr *o = RTA_DATA(opts); RTA_OK(o, len); o = RTA_NEXT(o, len))
		if ((o->rta_type & NLA_TYPE_MASK) == TCA_BPF_ID && RTA_PAYLOAD(o) >= sizeof(__u32))
			return *(__u32 *)RTA_DATA(o);
	return 0;
}

static void add_filter(struct nlmsghdr *h, struct tc_filter_list *l)
{
	struct tcmsg *t = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*t));
	struct tc_filter f = { .handle = t->tcm_handle };
	bool bpf = false;
	if (!t->tcm_handle) /* the dump's per-priority header entry, not a filter */
		return;
	for (struct rtattr *a = TCA_RTA(t); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND)
			bpf = RTA_PAYLOAD(a) >= 4 && !memcmp(RTA_DATA(a), "bpf", 4);
		else if ((a->rta_type & NLA_TYPE_MASK) == TCA_OPTIONS)
			f.prog_id = bpf_prog_id(a);
	}
	l->total++;
	if (bpf && f.prog_id && l->n < TC_FILTERS_MAX)
		l->f[l->n++] = f;
}

/* Reads the dump's replies until NLMSG_DONE. */
static int read_dump(int fd, struct tc_filter_list *out)
{
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (;;) {
		int len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return len < 0 ? -errno : -EPIPE;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (h->nlmsg_type == RTM_NEWTFILTER)
				add_filter(h, out);
		}
	}
}

int tc_filters_list(int ifindex, bool egress, __u16 prio, struct tc_filter_list *out)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
		        .nlmsg_type = RTM_GETTFILTER,
		        .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		        .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC,
		        .tcm_ifindex = ifindex,
		        .tcm_parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS),
		        .tcm_info = TC_H_MAKE((__u32)prio << 16, 0) },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	memset(out, 0, sizeof(*out));
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	int rc = sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0
	                 ? -errno
	                 : read_dump(fd, out);
	close(fd);
	return rc;
}
