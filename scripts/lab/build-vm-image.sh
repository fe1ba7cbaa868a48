#!/usr/bin/env bash
# Build a pktpath lab VM image: a Debian kernel plus an initramfs that IS the root fs
# (busybox, sshd, iproute2, nft, bpftool, ping, kmod + the kernel modules the tests need).
# Usage: build-vm-image.sh NAME KERNEL_PKG_GLOB OUTDIR PUBKEY_FILE [ARCH]
#   KERNEL_PKG_GLOB is a bash extglob matched against apt package names; the newest match
#   wins (sort -V). -cloud-/-rt- flavours are dropped unless the glob names them.
#   ARCH is a Debian architecture (default: this machine's). For a foreign one (arm64 on an
#   amd64 host, via dpkg multiarch) the userland comes from that arch's .debs, unpacked into a
#   sysroot, with the library closure found by readelf instead of ldd.
# Output in OUTDIR: vmlinuz, initrd.img, meta.json, ssh_host_ed25519_key{,.pub}.
# Rebuilds only when the inputs hash changes. Runs as root (mknod for /dev/console).
set -euo pipefail
shopt -s extglob nullglob

[[ $# -eq 4 || $# -eq 5 ]] || { echo "usage: $0 NAME KERNEL_PKG_GLOB OUTDIR PUBKEY_FILE [ARCH]" >&2; exit 2; }
NAME=$1 KGLOB=$2 OUTDIR=$3 PUBKEY=$4
NATIVE=$(dpkg --print-architecture)
ARCH=${5:-$NATIVE}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INITDIR=$HERE/vm-init
CACHE=${PKTPATH_LAB_CACHE:-$HOME/.cache/pktpath-lab}
DEBS=$CACHE/debs
SECONDS=0

log() { printf '[lab-image %s] %s\n' "$NAME" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $NAME =~ ^[a-z0-9-]+$ ]] || die "bad NAME '$NAME'"
[[ -r $PUBKEY ]] || die "cannot read PUBKEY_FILE $PUBKEY"
for t in apt-cache apt-get dpkg-deb dpkg-query depmod modprobe kmod cpio gzip xz ssh-keygen \
  busybox sha256sum ldd flock sshd ip tc nft bpftool ping dash bash readelf; do
  command -v "$t" >/dev/null || die "missing tool '$t' (see scripts/lab/debian-packages.txt)"
done
[[ $ARCH == "$NATIVE" ]] || dpkg --print-foreign-architectures | grep -qx "$ARCH" ||
  die "$ARCH is not a dpkg architecture here (dpkg --add-architecture $ARCH; apt-get update)"
mkdir -p "$OUTDIR" "$DEBS"
OUTDIR=$(cd "$OUTDIR" && pwd)

# One build per OUTDIR at a time; apt list/download operations serialized across builds.
exec 8>"$OUTDIR/.lock"; flock 8
apt_locked() { flock "$DEBS/.apt.lock" "$@"; }

# --- resolve the kernel package -------------------------------------------------------
resolve_pkg() {
  local prefix p
  prefix=$(sed 's/[][*?+@!(].*//' <<<"$KGLOB")
  apt-cache pkgnames "$prefix" 2>/dev/null | while read -r p; do
    # shellcheck disable=SC2053  # unquoted RHS: pattern match is the point
    [[ $p == $KGLOB ]] || continue
    [[ $p =~ -(cloud|rt)- && ! $KGLOB =~ (cloud|rt) ]] && continue
    echo "$p"
  done | sort -V | tail -n1
}
PKG=$(resolve_pkg)
if [[ -z $PKG ]]; then
  log "no package matches '$KGLOB'; running apt-get update"
  apt_locked apt-get update -qq >&2
  PKG=$(resolve_pkg)
fi
[[ -n $PKG ]] || die "no apt package matches '$KGLOB'"
VER=$(apt-cache policy "$PKG:$ARCH" | awk '/Candidate:/{print $2}')
[[ -n $VER && $VER != "(none)" ]] || die "no installable candidate for $PKG"

# --- inputs hash: this script, vm-init/, kernel package, pubkey, host tool versions ----
HOST_PKGS="busybox-static openssh-server iproute2 nftables bpftool iputils-ping kmod libc6"
# The guest's userland packages when they are not the host's own binaries (foreign ARCH).
GUEST_PKGS="$HOST_PKGS openssh-sftp-server dash bash"
INPUTS_HASH=$(
  {
    echo "name=$NAME pkg=$PKG=$VER"
    sha256sum "${BASH_SOURCE[0]}" "$HERE/foreign-sysroot.sh" | cut -d' ' -f1
    (cd "$INITDIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum <"$PUBKEY"
    # shellcheck disable=SC2086
    if [[ $ARCH == "$NATIVE" ]]; then dpkg-query -W -f '${Package}=${Version}\n' $HOST_PKGS 2>/dev/null || true
    else apt-cache policy $(printf "%s:$ARCH " $GUEST_PKGS) | grep -E '^\S|Candidate:'; fi
  } | sha256sum | cut -c1-16
)
if [[ -f $OUTDIR/meta.json && -f $OUTDIR/vmlinuz && -f $OUTDIR/initrd.img && -f $OUTDIR/ssh_host_ed25519_key.pub ]] &&
  grep -q "\"inputsHash\": *\"$INPUTS_HASH\"" "$OUTDIR/meta.json"; then
  log "cached ($PKG $VER, hash $INPUTS_HASH)"
  exit 0
fi
log "building: $PKG $VER (hash $INPUTS_HASH)"

# --- fetch + unpack the kernel .deb ---------------------------------------------------
deb_file() { local f=("$DEBS/${PKG}_"*"_$ARCH.deb") x; for x in "${f[@]}"; do
  [[ $(dpkg-deb -f "$x" Version) == "$VER" ]] && { echo "$x"; return; }; done; }
DEB=$(deb_file)
if [[ -z $DEB ]]; then
  log "downloading $PKG=$VER"
  (cd "$DEBS" && apt_locked apt-get download -q -o APT::Sandbox::User=root "$PKG:$ARCH=$VER" >&2) || {
    log "download failed; apt-get update and retry"
    apt_locked apt-get update -qq >&2
    (cd "$DEBS" && apt_locked apt-get download -q -o APT::Sandbox::User=root "$PKG:$ARCH=$VER" >&2)
  }
  DEB=$(deb_file)
  [[ -n $DEB ]] || die "download of $PKG=$VER produced no .deb"
  for x in "$DEBS"/*.deb; do # drop superseded kernels of this glob (~100 MB each)
    p=$(basename "$x"); p=${p%%_*}
    # shellcheck disable=SC2053
    [[ $x != "$DEB" && $p == $KGLOB ]] && { log "pruning $(basename "$x")"; rm -f "$x"; }
  done
fi

WORK=$(mktemp -d "$CACHE/build-$NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
K=$WORK/kernel ROOT=$WORK/root
mkdir -p "$K" "$ROOT"
dpkg-deb -x "$DEB" "$K"
KMODDIR=$(echo "$K"/lib/modules/*/)
[[ -d $KMODDIR ]] || die "no lib/modules in $DEB"
KREL=$(basename "$KMODDIR")
[[ -f $K/boot/vmlinuz-$KREL ]] || die "no boot/vmlinuz-$KREL in $DEB"
depmod -b "$K" "$KREL"   # the .deb ships no modules.dep (postinst makes it)

# --- rootfs skeleton (merged /usr like the host) --------------------------------------
MULTIARCH=$(dpkg-architecture -a "$ARCH" -q DEB_HOST_MULTIARCH 2>/dev/null)
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib/$MULTIARCH,usr/lib64,dev,proc,sys,run,tmp,mnt,var/empty,etc/ssh,root/.ssh}
ln -s usr/bin "$ROOT/bin"; ln -s usr/sbin "$ROOT/sbin"; ln -s usr/lib "$ROOT/lib"; ln -s usr/lib64 "$ROOT/lib64"
ln -s /run "$ROOT/var/run"
chmod 1777 "$ROOT/tmp"; chmod 700 "$ROOT/root" "$ROOT/root/.ssh"
mkdir -p "$ROOT"/sys/{kernel/tracing,kernel/debug,fs/bpf,fs/cgroup}
mknod -m 600 "$ROOT/dev/console" c 5 1 2>/dev/null || log "mknod failed (not root?); /init reopens the console"

# --- binaries + shared-library closure ------------------------------------------------
if [[ $ARCH == "$NATIVE" ]]; then
  copy_file() { # host path -> same path in ROOT, following symlinks
    [[ -e $ROOT$1 ]] && return 0
    mkdir -p "$ROOT$(dirname "$1")"
    cp -L "$1" "$ROOT$1"
  }
  copy_elf() {
    local bin=$1 dest=${2:-$1} lib
    mkdir -p "$ROOT$(dirname "$dest")"
    cp -L "$bin" "$ROOT$dest"
    # "libx.so => /path (addr)" and the loader "/lib64/ld-linux-x86-64.so.2 (addr)"
    for lib in $(ldd "$bin" 2>/dev/null | awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
      copy_file "$lib"
    done
  }
  host() { readlink -f "$(command -v "$1")"; }
  SR=""
else
  # shellcheck source=foreign-sysroot.sh
  source "$HERE/foreign-sysroot.sh"
  fetch_sysroot "$WORK/sysroot"
  copy_file() { sr_copy_file "$1"; }
  copy_elf() { sr_copy_elf "$1" "${2:-$1}"; }
  host() { sr_bin "$1"; }
fi
copy_elf "$(host busybox)" /usr/bin/busybox
copy_elf "$(host sshd)" /usr/sbin/sshd
copy_elf /usr/lib/openssh/sftp-server
copy_elf "$(host ip)" /usr/sbin/ip
copy_elf "$(host tc)" /usr/sbin/tc
copy_elf "$(host nft)" /usr/sbin/nft
copy_elf "$(host bpftool)" /usr/sbin/bpftool
copy_elf "$(host ping)" /usr/bin/ping
copy_elf "$(host kmod)" /usr/bin/kmod
# /bin/sh must not be busybox: Debian's busybox ash runs its own applets (ip, tc, ping,
# modprobe...) in preference to PATH ("standalone shell"), hiding the real tools.
copy_elf "$(host dash)" /usr/bin/dash
copy_elf "$(host bash)" /usr/bin/bash
ln -s dash "$ROOT/usr/bin/sh"
for l in /lib/$MULTIARCH/libnss_files.so.2 /lib/$MULTIARCH/libnss_dns.so.2; do
  [[ -e $SR$l ]] && copy_file "$l"
done
for a in modprobe insmod rmmod lsmod depmod modinfo; do ln -s /usr/bin/kmod "$ROOT/usr/sbin/$a"; done
[[ -d $SR/etc/iproute2 ]] && cp -r "$SR/etc/iproute2" "$ROOT/etc/"
# busybox applets for everything not provided by a real binary above (the list from the host's busybox: the
# same Debian package, and a foreign one cannot run here)
while read -r p; do
  n=${p##*/}
  [[ $n == linuxrc || -e $ROOT/usr/bin/$n || -e $ROOT/usr/sbin/$n || -L $ROOT/usr/bin/$n || -L $ROOT/usr/sbin/$n ]] && continue
  case $p in sbin/* | usr/sbin/*) ln -s /usr/bin/busybox "$ROOT/usr/sbin/$n" ;; *) ln -s /usr/bin/busybox "$ROOT/usr/bin/$n" ;; esac
done < <(busybox --list-full)

# --- kernel modules: closure from the kernel's own modules.dep, stored uncompressed ---
# (uncompressed: no decompression work in the slow TCG guest; signatures stay valid)
MODS=() ; while read -r m; do [[ -n $m && $m != \#* ]] && MODS+=("$m"); done <"$INITDIR/modules"
LOADED=()
DSTMOD=$ROOT/usr/lib/modules/$KREL
mkdir -p "$DSTMOD"
for m in "${MODS[@]}"; do
  deps=$(modprobe -d "$K" -S "$KREL" --show-depends "$m" 2>/dev/null) || { log "module $m: not in this kernel, skipped"; continue; }
  if [[ $deps == builtin* ]]; then continue; fi
  LOADED+=("$m")
  for f in $(awk '$1=="insmod"{print $2}' <<<"$deps"); do
    rel=${f#"$KMODDIR"}; out=$DSTMOD/${rel%.@(xz|zst|gz)}
    [[ -e $out ]] && continue
    mkdir -p "$(dirname "$out")"
    case $f in
      *.xz) xz -dc "$f" >"$out" ;; *.zst) zstd -qdc "$f" >"$out" ;; *.gz) gzip -dc "$f" >"$out" ;; *) cp "$f" "$out" ;;
    esac
  done
done
cp "$KMODDIR"/modules.{order,builtin,builtin.modinfo} "$DSTMOD/" 2>/dev/null || true
depmod -b "$ROOT" "$KREL"
printf '%s\n' "${LOADED[@]}" >"$ROOT/etc/lab-modules"

# --- config, keys, init ---------------------------------------------------------------
cp -r "$INITDIR/rootfs/." "$ROOT/"
# arm64's virt machine has a PL011 UART, not a 16550: the console shell goes there
[[ $ARCH == arm64 ]] && sed -i 's/^ttyS0::/ttyAMA0::/' "$ROOT/etc/inittab"
install -m 0755 "$INITDIR/init" "$ROOT/init"
echo "$NAME" >"$ROOT/etc/hostname"
install -m 0600 "$PUBKEY" "$ROOT/root/.ssh/authorized_keys"
# Host key survives rebuilds (kept in OUTDIR) so pinned known_hosts stay valid.
[[ -f $OUTDIR/ssh_host_ed25519_key ]] ||
  ssh-keygen -q -t ed25519 -N '' -C "root@$NAME" -f "$OUTDIR/ssh_host_ed25519_key"
install -m 0600 "$OUTDIR/ssh_host_ed25519_key" "$ROOT/etc/ssh/ssh_host_ed25519_key"
install -m 0644 "$OUTDIR/ssh_host_ed25519_key.pub" "$ROOT/etc/ssh/ssh_host_ed25519_key.pub"

# --- pack + publish (meta.json last: it marks the output complete) --------------------
(cd "$ROOT" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$WORK/initrd.img"
cp "$K/boot/vmlinuz-$KREL" "$WORK/vmlinuz"
rm -f "$OUTDIR/meta.json"
mv "$WORK/vmlinuz" "$WORK/initrd.img" "$OUTDIR/"
cat >"$WORK/meta.json" <<EOF
{
  "name": "$NAME",
  "kernelPackage": "$PKG",
  "kernelPackageVersion": "$VER",
  "kernelRelease": "$KREL",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "inputsHash": "$INPUTS_HASH"
}
EOF
mv "$WORK/meta.json" "$OUTDIR/meta.json"
log "done in ${SECONDS}s: kernel $KREL, initrd $(du -h "$OUTDIR/initrd.img" | cut -f1), ${#LOADED[@]} boot modules"
