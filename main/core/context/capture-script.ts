/**
 * The host-context capture script (issue 9): run as root through the host's privilege method (after ROOT_PRELUDE:
 * `/bin/sh` by absolute path, PATH fixed to system directories). It only reads — `ip … show`, `nft list`,
 * `iptables-save`, `tc … show`, `ss`/`netstat`, files under /proc — and prints sections between marker lines that carry a
 * one-time token, so nothing a namespace's own output says can fake a section. test/unit/core/context-capture.test.ts
 * lists every command it runs against an allow-list of read-only ones. Busybox-compatible (the lab VMs have no
 * coreutils, no ss, no nstat).
 *
 * Arguments (after the prelude's token): `$1` = marker token, `$2` = seconds it may take, `$3` = the most
 * namespaces, then the netns inodes to capture (none = every namespace found).
 */

/** Per-section output caps in bytes (the script prints one byte more, so the parser can tell a cut section). */
export const SECTION_CAP = 256 * 1024;
export const RULESET_CAP = 1024 * 1024;
/** The whole capture: past this the output is cut (the parser reports it). */
export const TOTAL_CAP = 4 * 1024 * 1024;
export const DEFAULT_TIME_S = 10;
export const MAX_NAMESPACES = 64;

/** The sysctls that decide routing, filtering and delivery, read from /proc/sys inside each namespace. */
export const SYSCTL_FILES = [
  'ipv4/ip_forward',
  'ipv4/ip_default_ttl',
  'ipv4/ip_local_port_range',
  'ipv4/icmp_echo_ignore_all',
  'ipv4/tcp_syncookies',
  'ipv4/conf/*/rp_filter',
  'ipv4/conf/*/forwarding',
  'ipv4/conf/*/accept_local',
  'ipv4/conf/*/log_martians',
  'ipv4/conf/*/route_localnet',
  'ipv4/conf/*/arp_ignore',
  'ipv4/conf/*/arp_filter',
  'ipv6/conf/*/forwarding',
  'ipv6/conf/*/disable_ipv6',
  'core/rmem_default',
  'core/rmem_max',
  'core/wmem_default',
  'core/wmem_max',
  'core/netdev_max_backlog',
  'core/somaxconn',
  'netfilter/nf_conntrack_max',
  'netfilter/nf_conntrack_count',
  'bridge/bridge-nf-call-iptables',
].map((f) => `/proc/sys/net/${f}`);

/**
 * Runs inside one namespace (`nsenter --net=…`), with the tools' paths as arguments (found once by the outer
 * script; empty = not run): each section a marker line then at most its cap (+1 byte) of output, every netlink
 * command under `timeout` (by path: busybox's timeout would run its own applet of a bare name). Few processes per
 * namespace: a fork costs ~100 ms on a loaded TCG VM.
 */
export const NETNS_SCRIPT = `k=$1 ip=$2 nft=$3 ipt=$4 ip6t=$5 ls=$6 tc=$7
sec() { echo "@@$k sec $1"; }
cap() { head -c ${SECTION_CAP + 1}; echo; }
big() { head -c ${RULESET_CAP + 1}; echo; }
sec addr; timeout 5 "$ip" -j -d addr show 2>&1 | cap
sec route4; timeout 5 "$ip" -4 route show table all 2>&1 | cap
sec route6; timeout 5 "$ip" -6 route show table all 2>&1 | cap
sec rule4; timeout 5 "$ip" -4 rule show 2>&1 | cap
sec rule6; timeout 5 "$ip" -6 rule show 2>&1 | cap
sec neigh; timeout 5 "$ip" neigh show 2>&1 | cap
sec sysctl; grep -s -H . ${SYSCTL_FILES.join(' ')} | cap
if [ -n "$nft" ]; then sec nft; timeout 5 "$nft" -a list ruleset 2>&1 | big; fi
if [ -n "$ipt" ]; then sec iptables-save; timeout 5 "$ipt" 2>&1 | big; fi
if [ -n "$ip6t" ]; then sec ip6tables-save; timeout 5 "$ip6t" 2>&1 | big; fi
case $ls in
*/ss) sec ss; timeout 5 "$ls" -H -lntupw 2>&1 | cap ;;
?*) sec netstat; timeout 5 "$ls" -lntuw 2>&1 | cap ;;
esac
if [ -n "$tc" ]; then
  sec tc
  # qdiscs with their counters, then the filters of every hook a clsact/ingress qdisc opens (a drop there is TC_*)
  q=$(timeout 5 "$tc" -s qdisc show 2>&1)
  { printf "%s\\n" "$q"
    printf "%s\\n" "$q" | while read -r w kind h x d rest; do
      case $w.$kind in qdisc.clsact) dirs="ingress egress" ;; qdisc.ingress) dirs=ingress ;; *) continue ;; esac
      for dir in $dirs; do
        echo "filters dev $d $dir:"
        timeout 5 "$tc" -s filter show dev "$d" "$dir" 2>&1
      done
    done; } | cap
fi
sec snmp; cat /proc/net/snmp /proc/net/netstat 2>&1 | cap
sec snmp6; cat /proc/net/snmp6 2>&1 | cap
`;

/**
 * Lists namespaces (init, `ip netns` names, then every process's, named `pid (comm)` of its lowest pid), keeps
 * the wanted ones up to the bound, and captures each until the deadline. The whole output is cut at TOTAL_CAP+1.
 */
export const CONTEXT_SCRIPT = `k=$1 secs=$2 most=$3; shift 3
want=" $* "
ns=$(NETNS_SCRIPT_TEXT)
end=$(( $(date +%s) + secs ))
# loaded or built in: reading its tables cannot make the kernel load a module
have() { [ -d /sys/module/$1 ] || ! grep -qs "/$1\\.ko" "/lib/modules/$(uname -r)/modules.dep"; }
ip=$(command -v ip) tc=$(command -v tc) ss=$(command -v ss) || ss=$(command -v netstat)
nft= ipt= ip6t=
if have nf_tables; then nft=$(command -v nft); fi
# iptables-save over nf_tables needs nf_tables; the legacy one needs ip_tables / ip6_tables
if ipt=$(command -v iptables-save); then
  case $("$ipt" -V 2>/dev/null) in *nf_tables*) have nf_tables ;; *) have ip_tables ;; esac || ipt=
fi
if ip6t=$(command -v ip6tables-save); then
  case $("$ip6t" -V 2>/dev/null) in *nf_tables*) have nf_tables ;; *) have ip6_tables ;; esac || ip6t=
fi
echo "__pktpath_ready_\${t}__" >&2
{
list() {
  # the root namespace is pid 1's; where pid 1 is out of reach (a container), the one this shell is in
  for f in /proc/1/ns/net /proc/$$/ns/net; do
    i=$(stat -L -c %i $f 2>/dev/null) && { printf '%s\\t%s\\t%s\\n' "$i" $f init; break; }
  done
  stat -L -c '%i %n' /run/netns/* 2>/dev/null | while read -r i f; do
    printf '%s\\t%s\\t%s\\n' "$i" "$f" "\${f#/run/netns/}"
  done
  stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null | awk '{ split($2, p, "/"); pid = p[3] + 0
    if (!($1 in m) || pid < m[$1]) m[$1] = pid } END { for (i in m) print i, m[i] }' |
  while read -r i pid; do
    c=; read -r c < /proc/$pid/comm 2>/dev/null
    printf '%s\\t%s\\t%s\\n' "$i" "/proc/$pid/ns/net" "$pid ($c)"
  done
}
n=0 seen=" "
tab=$(printf '\\t')
list | while IFS=$tab read -r i path name; do
  case "$seen" in *" $i "*) continue ;; esac
  seen="$seen$i "
  [ "$want" = "  " ] || case "$want" in *" $i "*) ;; *) continue ;; esac
  if [ "$n" -ge "$most" ]; then echo "@@$k cut namespaces"; break; fi
  left=$(( end - $(date +%s) ))
  if [ "$left" -le 0 ]; then echo "@@$k cut time"; break; fi
  n=$((n + 1))
  printf '@@%s ns %s\\t%s\\n' "$k" "$i" "$name"
  timeout $left nsenter --net="$path" /bin/sh -c "$ns" pktpath-ns "$k" "$ip" "$nft" "$ipt" "$ip6t" "$ss" "$tc" 2>&1
done
echo "@@$k done"
} | head -c ${TOTAL_CAP + 1}
`.replace('$(NETNS_SCRIPT_TEXT)', `'${NETNS_SCRIPT.replace(/'/g, `'\\''`)}'`);
