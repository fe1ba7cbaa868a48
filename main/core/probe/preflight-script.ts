/**
 * The preflight's host-side scripts. They only read (files under /proc and /sys, mount tables, the kernel log)
 * and print `key=value` lines; test/unit/core/preflight.test.ts lists every command they run and checks that
 * none writes. Busybox-compatible (the lab VMs have no coreutils).
 */

/** `mnt DIR`: the mount point holding DIR (longest prefix in /proc/mounts) and its options. */
const MOUNT_OF = `mnt() { awk -v p="$1" '{ m=$2; gsub(/\\\\040/, " ", m)
  if ((p == m || index(p, (m == "/" ? "" : m) "/") == 1) && length(m) >= l) { l = length(m); r = m " " $4 } }
  END { print r }' /proc/mounts; }
`;

/**
 * As the login user: whether the upload directory (~/.cache/pktpath, or its nearest existing parent) is writable
 * and on which mount, and the user's groups (evidence when root is out of reach).
 */
export const LOGIN_PREFLIGHT_SCRIPT = `${MOUNT_OF}echo "user=$(id -un)"; echo "uid=$(id -u)"; echo "groups=$(id -Gn)"
d="$HOME/.cache/pktpath"; echo "cache.dir=$d"
while [ ! -e "$d" ] && [ "$d" != / ]; do d=$(dirname "$d"); done
echo "cache.existing=$d"
if [ -w "$d" ]; then echo cache.writable=1; else echo cache.writable=0; fi
echo "cache.mount=$(mnt "$d")"
for p in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
  for t in sudo doas; do [ -x "$p/$t" ] && echo "tool=$t"; done
done | sort -u
true
`;

/** BTF strings that show a kernel feature the loader relies on (helper ids in enum bpf_func_id, kernel functions). */
export const BTF_MARKERS = [
  'BPF_FUNC_get_func_ip',
  'BPF_FUNC_get_attach_cookie',
  'BPF_FUNC_get_func_arg',
  'BPF_FUNC_get_func_ret',
  'BPF_FUNC_ringbuf_reserve',
  'register_kprobe',
  'register_fprobe_ips',
  'bpf_kprobe_multi_link_attach',
] as const;
export type BtfMarker = (typeof BTF_MARKERS)[number];

/** Kernel config options the findings explain, read where the host keeps its config. */
export const CONFIG_OPTIONS = [
  'DEBUG_INFO_BTF',
  'KPROBES',
  'KPROBE_EVENTS',
  'FPROBE',
  'FUNCTION_TRACER',
  'DYNAMIC_FTRACE',
  'BPF_EVENTS',
  'SECURITY_LOCKDOWN_LSM',
  'LOCK_DOWN_KERNEL_FORCE_INTEGRITY',
  'LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY',
] as const;

/**
 * As root (through the host's privilege method): lockdown, BTF and its markers, the kernel config, tracefs,
 * SELinux/AppArmor and their recent denials of BPF or perf, and the directories root-exec can run a file from.
 */
export const ROOT_PREFLIGHT_SCRIPT = `${MOUNT_OF}echo "kernel=$(uname -r)"
if [ -r /sys/kernel/security/lockdown ]; then echo "lockdown=$(cat /sys/kernel/security/lockdown)"
elif awk '$3 == "securityfs" { f = 1 } END { exit !f }' /proc/mounts; then echo lockdown=absent
else echo lockdown=unknown; fi
# without securityfs: the boot's own lockdown= and the kernel's "locked down" lines
echo "cmdline=$(cat /proc/cmdline)"
dmesg 2>/dev/null | grep -E 'Kernel is locked down|Lockdown:' | tail -n 3 | sed 's/^/lockdown.log=/'
if [ -r /sys/kernel/btf/vmlinux ]; then echo btf=1; else echo btf=0; fi
echo "btf.modules=$(ls /sys/kernel/btf 2>/dev/null | grep -vc '^vmlinux$')"
# BTF strings are NUL-separated: one per line, matched whole (busybox grep stops a line at a NUL)
tr '\\0' '\\n' < /sys/kernel/btf/vmlinux 2>/dev/null | grep -x -F${BTF_MARKERS.map((m) => ` -e ${m}`).join('')} | sort -u | sed 's/^/btf.has=/'
c=; if [ -r /proc/config.gz ]; then c=/proc/config.gz; elif [ -r "/boot/config-$(uname -r)" ]; then c="/boot/config-$(uname -r)"; fi
if [ -n "$c" ]; then echo "config.file=$c"
  { if [ "$c" = /proc/config.gz ]; then zcat "$c"; else cat "$c"; fi; } 2>/dev/null |
    grep -E '^(# )?CONFIG_(${CONFIG_OPTIONS.join('|')})[= ]' |
    sed -e 's/^# CONFIG_\\([A-Z_]*\\) is not set/config=\\1=n/' -e 's/^CONFIG_/config=/'
fi
[ -e /sys/bus/event_source/devices/kprobe ] && echo kprobe.pmu=1
awk '$3 == "tracefs" { print "tracefs=" $2 }' /proc/mounts
[ -r /sys/fs/selinux/enforce ] && echo "selinux.enforce=$(cat /sys/fs/selinux/enforce)"
[ -r /sys/module/apparmor/parameters/enabled ] && echo "apparmor.enabled=$(cat /sys/module/apparmor/parameters/enabled)"
[ -r /sys/kernel/security/apparmor/profiles ] && echo "apparmor.profiles=$(grep -c . /sys/kernel/security/apparmor/profiles)"
{ dmesg 2>/dev/null; tail -n 5000 /var/log/audit/audit.log 2>/dev/null; } |
  grep -E 'apparmor="DENIED"|avc: +denied' | grep -E 'bpf|perfmon|perf_event|tracefs|sys_admin' | tail -n 3 | sed 's/^/denial=/'
echo "unprivileged_bpf_disabled=$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null)"
for b in /run /tmp /var/tmp; do echo "execdir=$(mnt "$b")"; done
true
`;
