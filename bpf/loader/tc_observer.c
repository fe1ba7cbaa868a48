// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "tc_observer.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef BPF_TCX_INGRESS /* Debian 12's UAPI headers predate TCX (6.6) */
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS 47
#endif

int netns_enter(const char *path, int *saved_fd, int *target_fd, char *err, size_t errlen)
{
	*saved_fd = *target_fd = -1;
	if (!path || !path[0])
		return 0;
	*target_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*target_fd < 0) {
		snprintf(err, errlen, "netns %s: %s", path, strerror(errno));
		return -1;
	}
	*saved_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved_fd < 0 || setns(*target_fd, CLONE_NEWNET)) {
		snprintf(err, errlen, "setns %s: %s", path, strerror(errno));
		if (*saved_fd >= 0)
			close(*saved_fd);
		close(*target_fd);
		*saved_fd = *target_fd = -1;
		return -1;
	}
	return 0;
}

int netns_leave(int saved_fd)
{
	if (saved_fd < 0)
		return 0;
	int r = setns(saved_fd, CLONE_NEWNET);
	close(saved_fd);
	return r;
}

static bool prog_is_ours(int prog_id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	bool ours = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    (!strncmp(info.name, "tc_ingress", 10) || !strncmp(info.name, "tc_egress", 9));
	close(fd);
	return ours;
}

int tc_remove_leftovers_ifindex(int ifindex)
{
	int removed = 0;
	for (int dir = 0; dir < 2; dir++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, q, .handle = PKTPATH_TC_HANDLE, .priority = PKTPATH_TC_PRIO);
		if (bpf_tc_query(&hook, &q) == 0 && prog_is_ours(q.prog_id)) {
			LIBBPF_OPTS(bpf_tc_opts, d, .handle = PKTPATH_TC_HANDLE, .priority = PKTPATH_TC_PRIO);
			if (bpf_tc_detach(&hook, &d) == 0)
				removed++;
		}
	}
	return removed;
}

int tc_attach(int prog_fd, const char *netns, const char *ifname, bool egress, bool allow_tcx,
	      struct tc_attachment *out, char *err, size_t errlen)
{
	int saved, target, rc = -1;
	memset(out, 0, sizeof(*out));
	out->link_fd = -1;
	out->netns_fd = -1;
	out->egress = egress;
	snprintf(out->ifname, sizeof(out->ifname), "%s", ifname);
	if (netns_enter(netns, &saved, &target, err, errlen))
		return -1;
	out->netns_fd = target;
	out->ifindex = if_nametoindex(ifname);
	if (!out->ifindex) {
		snprintf(err, errlen, "interface %s: %s", ifname, strerror(errno));
		goto out;
	}
	tc_remove_leftovers_ifindex(out->ifindex);
	if (allow_tcx) {
		int fd = bpf_link_create(prog_fd, out->ifindex, egress ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, NULL);
		if (fd >= 0) {
			out->link_fd = fd;
			rc = 0;
			goto out;
		}
	}
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = out->ifindex, .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	int r = bpf_tc_hook_create(&hook);
	if (r && r != -EEXIST) {
		snprintf(err, errlen, "clsact on %s: %s", ifname, strerror(-r));
		goto out;
	}
	out->created_qdisc = r == 0;
	LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = prog_fd, .handle = PKTPATH_TC_HANDLE, .priority = PKTPATH_TC_PRIO);
	r = bpf_tc_attach(&hook, &o);
	if (r) {
		snprintf(err, errlen, "tc filter on %s: %s", ifname, strerror(-r));
		if (out->created_qdisc) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		goto out;
	}
	out->classic = true;
	rc = 0;
out:
	netns_leave(saved);
	if (rc && out->netns_fd >= 0) {
		close(out->netns_fd);
		out->netns_fd = -1;
	}
	return rc;
}

void tc_detach(struct tc_attachment *a)
{
	if (a->link_fd >= 0) {
		close(a->link_fd);
		a->link_fd = -1;
	}
	if (a->classic) {
		int saved = -1;
		if (a->netns_fd >= 0) {
			saved = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
			if (setns(a->netns_fd, CLONE_NEWNET)) {
				close(saved);
				saved = -1;
			}
		}
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = a->egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, o, .handle = PKTPATH_TC_HANDLE, .priority = PKTPATH_TC_PRIO);
		bpf_tc_detach(&hook, &o);
		if (a->created_qdisc) {
			/* only the qdisc we created; destroying clsact removes both directions */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		netns_leave(saved);
		a->classic = false;
	}
	if (a->netns_fd >= 0) {
		close(a->netns_fd);
		a->netns_fd = -1;
	}
}

static int sweep_current_netns(void)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int removed = 0;
	for (i = ifs; i && i->if_index; i++)
		removed += tc_remove_leftovers_ifindex(i->if_index);
	if (ifs)
		if_freenameindex(ifs);
	return removed;
}

int tc_cleanup_all(void)
{
	int removed = sweep_current_netns();
	DIR *d = opendir("/run/netns");
	struct dirent *de;
	char err[128], path[300];
	while (d && (de = readdir(d))) {
		int saved, target;
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (netns_enter(path, &saved, &target, err, sizeof(err)))
			continue;
		removed += sweep_current_netns();
		netns_leave(saved);
		close(target);
	}
	if (d)
		closedir(d);
	return removed;
}
