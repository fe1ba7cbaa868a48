// SPDX-License-Identifier: MIT
#define _GNU_SOURCE
#include "tc_observer.h"
#include "prog_holders.h"
#include "tc_filters.h"
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/file.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef BPF_TCX_INGRESS /* Debian 12's UAPI headers predate TCX (6.6) */
#define BPF_TCX_INGRESS 46
#define BPF_TCX_EGRESS  47
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

static bool prog_is_ours(__u32 prog_id)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(prog_id);
	if (fd < 0)
		return false;
	bool ours =
	        bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	        (!strcmp(info.name, "tc_ingress") || !strcmp(info.name, "tc_egress") || !strcmp(info.name, "probe_tc"));
	close(fd);
	return ours;
}

/* Serializes loaders' classic-TC changes on this host: a sweep, or a clsact's "is it empty" check and its
 * destruction, must not interleave with another loader attaching. Without /run: no lock (best effort). */
static int tc_lock(void)
{
	int fd = open("/run/pktpath-tc.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	while (fd >= 0 && flock(fd, LOCK_EX) && errno == EINTR)
		;
	return fd;
}

static void tc_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* Removes pktpath's filters (priority and program name) on an interface of the current netns whose loader is
 * provably dead. Callers hold tc_lock. */
static int sweep_ifindex(int ifindex)
{
	int removed = 0;
	for (int dir = 0; dir < 2; dir++) {
		struct tc_filter_list l;
		if (tc_filters_list(ifindex, dir, PKTPATH_TC_PRIO, &l))
			continue;
		for (int i = 0; i < l.n; i++) {
			if (!prog_is_ours(l.f[i].prog_id) || prog_has_holder(l.f[i].handle, l.f[i].prog_id))
				continue;
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			            .attach_point = dir ? BPF_TC_EGRESS : BPF_TC_INGRESS);
			LIBBPF_OPTS(bpf_tc_opts, d, .handle = l.f[i].handle, .priority = PKTPATH_TC_PRIO);
			removed += bpf_tc_detach(&hook, &d) == 0;
		}
	}
	return removed;
}

/* No filter of any kind or priority left on either side of the interface's clsact. */
static bool clsact_empty(int ifindex)
{
	struct tc_filter_list l;
	for (int dir = 0; dir < 2; dir++)
		if (tc_filters_list(ifindex, dir, 0, &l) || l.total)
			return false;
	return true;
}

/* A classic cls_bpf filter with our own handle (our PID), on a clsact created if missing. */
static int attach_classic(int prog_fd, struct tc_attachment *out, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = out->ifindex,
	            .attach_point = out->egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	int r = bpf_tc_hook_create(&hook);
	if (r && r != -EEXIST) {
		snprintf(err, errlen, "clsact on %s: %s", out->ifname, strerror(-r));
		return -1;
	}
	out->created_qdisc = r == 0;
	out->handle = getpid();
	LIBBPF_OPTS(bpf_tc_opts, o, .prog_fd = prog_fd, .handle = out->handle, .priority = PKTPATH_TC_PRIO);
	r = bpf_tc_attach(&hook, &o);
	if (r) {
		snprintf(err, errlen, "tc filter on %s: %s", out->ifname, strerror(-r));
		if (out->created_qdisc && clsact_empty(out->ifindex)) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		return -1;
	}
	out->classic = true;
	return 0;
}

int tc_attach(int prog_fd, const char *netns, const char *ifname, bool egress, unsigned flags,
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
	if (flags & TC_ALLOW_TCX) {
		int fd = bpf_link_create(prog_fd, out->ifindex, egress ? BPF_TCX_EGRESS : BPF_TCX_INGRESS, NULL);
		if (fd >= 0) {
			out->link_fd = fd;
			rc = 0;
			goto out;
		}
	}
	int lock = tc_lock();
	if (flags & TC_SWEEP_DEAD)
		sweep_ifindex(out->ifindex);
	rc = attach_classic(prog_fd, out, err, errlen);
	tc_unlock(lock);
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
		LIBBPF_OPTS(bpf_tc_opts, o, .handle = a->handle, .priority = PKTPATH_TC_PRIO);
		int lock = tc_lock();
		bpf_tc_detach(&hook, &o);
		/* only a clsact we created, and only once nobody's filter is left: destroying it removes them all */
		if (a->created_qdisc && clsact_empty(a->ifindex)) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		tc_unlock(lock);
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
		removed += sweep_ifindex(i->if_index);
	if (ifs)
		if_freenameindex(ifs);
	return removed;
}

int tc_cleanup_all(void)
{
	int lock = tc_lock();
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
	tc_unlock(lock);
	return removed;
}
