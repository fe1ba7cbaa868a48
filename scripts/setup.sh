#!/usr/bin/env bash
# Installs what pktpath needs on a Debian 12 machine: the Debian packages listed in scripts/debian-packages.txt and
# scripts/lab/debian-packages.txt (only those missing), then the npm dependencies (npm ci, which also builds).
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=$(cat scripts/debian-packages.txt scripts/lab/debian-packages.txt 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=()
for pkg in $wanted; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# The lab's arm64 VM (vmarm64) is built from Debian's arm64 packages: apt must know that architecture.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup: adding the arm64 dpkg architecture (lab VM vmarm64)" >&2
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -q >/dev/null
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm 11 runs no dependency install scripts unless allowed; pktpath needs none (Electron's binary download
# cannot work here anyway, and `npm start` says so). `prepare` builds pktpath itself.
npm ci --no-audit --no-fund
