#!/usr/bin/env bash
# Builds a static libpcap for one arch (x86_64 | aarch64) from Debian's own source package, without the
# capture back-ends the loader never uses (D-Bus, RDMA, Bluetooth, USB, netfilter-log): Debian's libpcap.a needs
# libdbus-1 and libsystemd, and Debian ships no static libsystemd. Only pcap_compile() is used, on a dead handle.
# Usage: scripts/bpf-build-libpcap.sh ARCH OUTDIR   (prints nothing on success; OUTDIR/lib/libpcap.a)
set -euo pipefail
arch=$1 out=$(realpath -m "$2")
[ -f "$out/lib/libpcap.a" ] && exit 0
work=$out.build
rm -rf "$work" && mkdir -p "$work"
cd "$work"
# The Debian source package of the installed libpcap0.8-dev (needs a deb-src line in the apt sources).
ver=$(dpkg-query -W -f='${Version}\n' "libpcap0.8-dev:$(dpkg --print-architecture)" | head -1)
if ! apt-get source -q --download-only "libpcap=$ver" >/dev/null 2>&1; then
  echo "bpf-build-libpcap: 'apt-get source libpcap=$ver' failed; add 'deb-src' to the apt sources (Types: deb deb-src) and run apt-get update" >&2
  exit 1
fi
tar xzf libpcap_*.orig.tar.gz
cd libpcap-*/
host=()
[ "$arch" = aarch64 ] && host=(--host=aarch64-linux-gnu CC=aarch64-linux-gnu-gcc)
./configure -q --prefix="$out" --disable-shared --enable-static --disable-dbus --disable-rdma --disable-bluetooth \
  --disable-usb --disable-netmap --without-libnl --disable-remote --with-pcap=linux "${host[@]}" CFLAGS="-O2 -fPIC" >/dev/null
make -s -j"$(nproc)" libpcap.a >/dev/null 2>&1
mkdir -p "$out/lib" "$out/include"
cp libpcap.a "$out/lib/"
cp -r pcap "$out/include/" && cp pcap.h "$out/include/"
rm -rf "$work"
