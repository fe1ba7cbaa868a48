// SPDX-License-Identifier: MIT
#include "prog_holders.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool fdinfo_has_prog(const char *pid, const char *fd, __u32 prog_id)
{
	char path[300], line[128];
	unsigned id;
	bool found = false;
	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	FILE *f = fopen(path, "re");
	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "prog_id: %u", &id) == 1 && id == prog_id;
	if (f)
		fclose(f);
	return found;
}

/* 1: the process has an fd of the program; 0: it has none, or is gone; -1: its fds cannot be read. */
static int pid_holds_prog(const char *pid, __u32 prog_id)
{
	char path[300], target[32];
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	DIR *d = opendir(path);
	if (!d)
		return errno == ENOENT || errno == ESRCH ? 0 : -1;
	struct dirent *de;
	int held = 0;
	while (!held && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, de->d_name);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0) /* closed meanwhile */
			continue;
		target[n] = 0;
		held = !strcmp(target, "anon_inode:bpf-prog") && fdinfo_has_prog(pid, de->d_name, prog_id);
	}
	closedir(d);
	return held;
}

bool prog_has_holder(__u32 pid_hint, __u32 prog_id)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%u", pid_hint);
	if (pid_hint && pid_holds_prog(pid, prog_id))
		return true;
	/* the hint is only a shortcut: the owner may run in another PID namespace */
	DIR *d = opendir("/proc");
	if (!d)
		return true;
	struct dirent *de;
	bool held = false;
	while (!held && (de = readdir(d)))
		held = isdigit((unsigned char)de->d_name[0]) && pid_holds_prog(de->d_name, prog_id) != 0;
	closedir(d);
	return held;
}
