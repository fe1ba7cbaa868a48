#!/usr/bin/env bash
# What `npm run build:bpf` needs beyond scripts/setup.sh (tests and CI never rebuild the committed artifacts, so
# they don't need this): arm64 multiarch libraries for the aarch64 loader, and deb-src so libpcap can be rebuilt
# from Debian's source package without D-Bus/systemd (see scripts/bpf-build-libpcap.sh).
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
updated=""
apt_update() { [ -n "$updated" ] || { $sudo apt-get update -q >/dev/null; updated=1; }; }

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $sudo dpkg --add-architecture arm64
  updated=""
fi
if ! grep -Eqs '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/*; then
  echo "setup-bpf-build: enabling deb-src in /etc/apt/sources.list.d/debian.sources" >&2
  $sudo sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources
  updated=""
fi

want=(clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool libpcap0.8-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  dpkg-dev flex bison libjansson-dev libbpf-dev:arm64 libelf-dev:arm64 zlib1g-dev:arm64 libpcap0.8-dev:arm64
  libjansson-dev:arm64)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})) || ! apt-get source --print-uris -q libpcap >/dev/null 2>&1; then apt_update; fi
if ((${#missing[@]})); then
  echo "setup-bpf-build: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
