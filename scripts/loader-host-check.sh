#!/usr/bin/env bash
# Builds the loader's pure parts (trace config, filter compiler, cBPF -> eBPF translation, filter splicing, which
# tracepoints a function covers) on the host with ASan + UBSan, runs their unit tests, then runs each libFuzzer
# target for a bounded time.
#   scripts/loader-host-check.sh [SECONDS_PER_FUZZ_TARGET]   (default 30; 0 = unit tests only)
# Needs clang with compiler-rt (libclang-rt-*-dev), libjansson-dev and libpcap-dev (scripts/debian-packages.txt).
# A fuzzer's crash input is kept in OUT/crash-*; new corpus entries stay in OUT/corpus-* (the seeds are in
# test/loader/corpus/).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
out=${LOADER_HOST_OUT:-bpf/.output/host}
mkdir -p "$out"
src=bpf/loader
parsers=("$src/config.c" "$src/cbpf_to_ebpf.c" "$src/filter_splice.c" "$src/filter_compile.c" "$src/pcap_compile.c"
  "$src/tp_cover.c")
support=(test/loader/ebpf_interp.c test/loader/filter_diff.c test/loader/pcap_ref.c)
# -fno-sanitize-recover: a UBSan finding fails the run like an ASan one
san=(-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all)
cflags=(-std=gnu11 -Wall -Wextra -Werror -Ibpf -Ibpf/loader)
libs=(-ljansson -lpcap)

clang "${cflags[@]}" "${san[@]}" -o "$out/parsers_test" test/loader/parsers_test.c "${parsers[@]}" "${support[@]}" \
  "${libs[@]}"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 "$out/parsers_test"

[ "$secs" -gt 0 ] || exit 0
for t in config cbpf filter splice; do
  clang "${cflags[@]}" "${san[@]}" -fsanitize=fuzzer -o "$out/fuzz_$t" "test/loader/fuzz_$t.c" "${parsers[@]}" \
    "${support[@]}" "${libs[@]}"
  corpus="$out/corpus-$t"
  mkdir -p "$corpus"
  echo "fuzz_$t: ${secs}s"
  # -rss_limit_mb: the sanitizers' own overhead stays well below it; -timeout: one input may not hang
  rc=0
  ASAN_OPTIONS=detect_leaks=1 "$out/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$out/crash-$t-" "$corpus" "test/loader/corpus/$t" > "$out/fuzz_$t.log" 2>&1 ||
    rc=$?
  grep -E "^(stat::number_of_executed_units|SUMMARY|.*runtime error|Test unit written)" "$out/fuzz_$t.log" || true
  if [ "$rc" -ne 0 ]; then
    tail -60 "$out/fuzz_$t.log" >&2
    echo "fuzz_$t failed (exit $rc)" >&2
    exit 1
  fi
done
