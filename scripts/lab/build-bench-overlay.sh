#!/usr/bin/env bash
# Builds the benchmark overlay for the lab VMs: a second gzip'd newc cpio with the peers the tracer bench measures
# pktpath against (bpftrace, iperf3) and their shared-library closure, taken from this machine like the base image.
# The kernel unpacks concatenated archives in order, so `cat initrd.img overlay.cpio.gz` is the base image plus
# these files; only benchmark boots use it (test/lab/vm-bench.ts). Rebuilt when the binaries change.
#   scripts/lab/build-bench-overlay.sh OUT_FILE
set -euo pipefail
out=${1:?usage: build-bench-overlay.sh OUT_FILE}
list=$(dirname "$0")/bench-overlay-binaries.txt
for t in ldd cpio gzip sha256sum; do command -v "$t" >/dev/null || { echo "build-bench-overlay: needs $t" >&2; exit 1; }; done

bins=()
while read -r name _; do
  [[ -z $name || $name == \#* ]] && continue
  p=$(command -v "$name") || { echo "build-bench-overlay: $name not installed (apt-get install $name)" >&2; exit 1; }
  bins+=("$(readlink -f "$p")")
done <"$list"

# inputs: this script, the binaries and their libraries; same inputs, same overlay
closure() { for b in "${bins[@]}"; do echo "$b"; ldd "$b" | awk '$2=="=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'; done | LC_ALL=C sort -u; }
stamp=$({ echo "$0"; closure; } | xargs sha256sum | sha256sum | cut -d' ' -f1)
if [[ -s $out && -s $out.stamp && $(cat "$out.stamp") == "$stamp" ]]; then exit 0; fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# Each file at its canonical path: on a merged-/usr base, an archive entry for /lib or /lib64 would replace the
# base's symlinks with directories (and hide /lib/modules). The base already has the dynamic loader.
# Names stay as the loader asks for them (the soname), only the directory is canonicalised.
for f in $(closure); do
  [[ $f == */ld-linux* ]] && continue
  d=$(readlink -f "$(dirname "$f")")
  mkdir -p "$root$d"
  cp -L "$f" "$root$d/$(basename "$f")"
done
# the binaries under /usr/bin whatever their real path, so the guest finds them on PATH
for b in "${bins[@]}"; do
  mkdir -p "$root/usr/bin"
  [[ -e $root/usr/bin/$(basename "$b") ]] || cp -L "$b" "$root/usr/bin/$(basename "$b")"
done
mkdir -p "$(dirname "$out")"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$stamp" >"$out.stamp"
