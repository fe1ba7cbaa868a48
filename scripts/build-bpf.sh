#!/usr/bin/env bash
# Builds the tracer: BPF objects (CO-RE, clang -target bpf), their libbpf skeletons, and the static loader for
# x86_64 and aarch64, stripped, into resources/<arch>/, plus resources/manifest.json (sha256 and size of each
# artifact, and sourcesHash over the sources so a unit test can tell when bpf/ changed without a rebuild).
#   scripts/build-bpf.sh               build everything
#   scripts/build-bpf.sh --vmlinux     first regenerate bpf/vmlinux.h from this machine's BTF
#   ARCHS="x86_64" scripts/build-bpf.sh  one arch only (the manifest keeps the other's entries)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=bpf/.output
archs=${ARCHS:-"x86_64 aarch64"}
scripts/setup-bpf-build.sh

if [ "${1:-}" = "--vmlinux" ]; then
  bpftool btf dump file /sys/kernel/btf/vmlinux format c > bpf/vmlinux.h
fi
[ -s bpf/vmlinux.h ] || { echo "build-bpf: bpf/vmlinux.h missing (run with --vmlinux)" >&2; exit 1; }

for arch in $archs; do
  case $arch in
    x86_64) tarch=x86; cc=gcc; strip=strip; libdir=/usr/lib/x86_64-linux-gnu ;;
    aarch64) tarch=arm64; cc=aarch64-linux-gnu-gcc; strip=aarch64-linux-gnu-strip; libdir=/usr/lib/aarch64-linux-gnu ;;
    *) echo "build-bpf: unknown arch $arch" >&2; exit 1 ;;
  esac
  o=$out/$arch
  mkdir -p "$o" "resources/$arch"
  for src in pktpath attach_probe; do
    # -mcpu=v3: atomic fetch-and-add for packet ids and 32-bit jumps (kernels >= 5.12)
    clang -g -O2 -mcpu=v3 -target bpf -D__TARGET_ARCH_$tarch -Ibpf -c "bpf/$src.bpf.c" -o "$o/$src.bpf.o"
    # DWARF is not needed at run time; BTF and CO-RE relocations (.BTF, .BTF.ext) are kept, not the relocations
    # of .BTF.ext itself (libbpf reads none outside code sections)
    llvm-strip -g "$o/$src.bpf.o"
    llvm-objcopy --remove-section=.rel.BTF.ext "$o/$src.bpf.o"
    bpftool gen skeleton "$o/$src.bpf.o" name "${src}_bpf" > "$o/$src.skel.h"
    cp "$o/$src.bpf.o" "resources/$arch/$src.bpf.o"
  done
  # Two more builds of the same source, picked by the loader at run time (loader/trace_load.c): the compat object
  # (PKTPATH_NO_FETCH) for kernels without atomic fetch-and-add (< 5.12), the direct object (PKTPATH_DIRECT) for
  # kernels with the bpf_rdonly_cast kfunc (6.2+). The loader opens each through pktpath_bpf's skeleton (only its
  # ELF bytes are used), so their programs, maps and variables must be pktpath_bpf's exactly: the skeletons, names
  # aside, must match line for line.
  skel_shape() { sed -e "s/$2/pktpath_bpf/g; s/${2^^}/PKTPATH_BPF/g" "$1" | grep -v -e '^\\' -e '\*sz = [0-9]*;'; }
  for variant in compat:PKTPATH_NO_FETCH direct:PKTPATH_DIRECT; do
    name=pktpath_${variant%%:*}
    clang -g -O2 -mcpu=v3 -target bpf -D__TARGET_ARCH_$tarch -D"${variant#*:}" -Ibpf -c bpf/pktpath.bpf.c \
      -o "$o/$name.bpf.o"
    llvm-strip -g "$o/$name.bpf.o"
    llvm-objcopy --remove-section=.rel.BTF.ext "$o/$name.bpf.o"
    bpftool gen skeleton "$o/$name.bpf.o" name "${name}_bpf" > "$o/$name.skel.h"
    diff <(skel_shape "$o/pktpath.skel.h" pktpath_bpf) <(skel_shape "$o/$name.skel.h" "${name}_bpf") >&2 || {
      echo "build-bpf: $arch $name object differs from pktpath_bpf's skeleton" >&2; exit 1; }
  done
  # kernels < 5.12 take only BPF_STX | BPF_ATOMIC with imm 0 (the old XADD); objdump prints every atomic as `lock`
  if llvm-objdump -d "$o/pktpath_compat.bpf.o" | grep -E '^ *[0-9]+:\s+(c3|db) ([0-9a-f]{2} ){3}' |
    grep -qvE '(c3|db) ([0-9a-f]{2} ){3}00 00 00 00'; then
    echo "build-bpf: $arch compat object still has an atomic fetch (kernels < 5.12 refuse it)" >&2; exit 1
  fi
  # a kfunc (an undefined symbol libbpf resolves against the host's BTF) fails the whole object before 6.2
  if [ -n "$(llvm-nm --undefined-only "$o/pktpath.bpf.o" "$o/pktpath_compat.bpf.o" | grep ' U ')" ]; then
    echo "build-bpf: $arch full or compat object calls a kfunc (kernels < 6.2 refuse it)" >&2; exit 1
  fi
  # The loader carries the three objects gzip-compressed (loader/bpf_objects.c, ~6x smaller), so the skeleton's
  # own copy of pktpath.bpf.o (its ELF bytes literal) goes
  for name in pktpath pktpath_compat pktpath_direct; do gzip -9nc "$o/$name.bpf.o" > "$o/$name.bpf.o.gz"; done
  sed -i -e '/^\treturn (const void \*)"\\$/,/";$/c\\treturn NULL; /* the ELF: loader/bpf_objects.c */' \
    -e 's/^\t\*sz = [0-9]*;$/\t*sz = 0;/' "$o/pktpath.skel.h"
  if grep -q '^\\x7f\\x45\\x4c\\x46' "$o/pktpath.skel.h"; then
    echo "build-bpf: $arch pktpath.skel.h still embeds the object" >&2; exit 1
  fi
  scripts/bpf-build-libpcap.sh "$arch" "$out/libpcap-$arch"
  # shellcheck disable=SC2046
  # -Werror: a warning fails the build on either arch. jansson (JSON) from Debian's own static archive.
  $cc -O2 -Wall -Wextra -Werror -std=gnu11 -static -Wa,-I"$o" \
    -I"$o" -Ibpf -I"$out/libpcap-$arch/include" -idirafter /usr/include \
    -o "$o/pktpath-loader" bpf/loader/*.c \
    -L"$out/libpcap-$arch/lib" -L"$libdir" -lpcap -lbpf -ljansson -lelf -lz -lpthread -lm 2> "$o/link.log" || {
      cat "$o/link.log" >&2; exit 1; }
  grep -v "statically linked applications requires at runtime" "$o/link.log" | grep -v "in function \`" >&2 || true
  $strip -o "resources/$arch/pktpath-loader" "$o/pktpath-loader"
done

# sourcesHash: sha256 of `sha256sum` lines ("<hex>  <path>") of every source, sorted by path. The unit test
# (test/unit/resources.test.ts) computes the same.
sources_hash() {
  { find bpf -path bpf/.output -prune -o -type f -print; echo scripts/build-bpf.sh; ls scripts/bpf-*; } |
    LC_ALL=C sort | xargs sha256sum | sha256sum | cut -d' ' -f1
}
node - "$(sources_hash)" <<'JS'
const { createHash } = require('node:crypto');
const { readFileSync, readdirSync, statSync, existsSync } = require('node:fs');
const manifest = { version: 1, sourcesHash: process.argv[2], artifacts: {} };
for (const arch of ['x86_64', 'aarch64']) {
  const dir = `resources/${arch}`;
  if (!existsSync(dir)) continue;
  for (const f of readdirSync(dir).sort()) {
    const buf = readFileSync(`${dir}/${f}`);
    manifest.artifacts[`${arch}/${f}`] = { arch, sha256: createHash('sha256').update(buf).digest('hex'), size: statSync(`${dir}/${f}`).size };
  }
}
require('node:fs').writeFileSync('resources/manifest.json', JSON.stringify(manifest, null, 2) + '\n');
JS
echo "build-bpf: $(for a in $archs; do printf '%s %s bytes; ' "$a" "$(stat -c %s resources/$a/pktpath-loader)"; done)" >&2
