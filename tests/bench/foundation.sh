#!/usr/bin/env bash
# Foundation baselines that later issues are compared against. Prints plain numbers:
#   - test host L1 boot (QEMU start to the agent's READY), from one boot of the real test host
#   - guest kernel build: cold (recorded by the build in the cache's build-seconds) and cached
#     (a second build-kernel.sh run, measured now), with their ratio
#   - guest boot-to-marker under QEMU microvm inside the test host: median of BENCH_RUNS (5)
#     boots per vCPU count in BENCH_VCPUS ("1 2"), with the ratio of each to the 1-vCPU median
# Usage: tests/bench/foundation.sh     (env: BENCH_RUNS, BENCH_VCPUS)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

runs="${BENCH_RUNS:-5}"
vcpus_list="${BENCH_VCPUS:-1 2}"
bench_positive BENCH_RUNS "$runs"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

ks_step "guest kernel (first call builds it if the cache is cold)"
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
cold=$(cat "$kernel/build-seconds")
start=$(now)
"$KS_ROOT/guest-image/kernel/build-kernel.sh" >/dev/null 2>&1
cached=$(since "$start")
release=$(cat "$kernel/kernel.release")

initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$KS_ROOT/guest-image/test-initrd/marker-init.sh")

ks_step "booting the test host and the guest ($runs boots per vCPU count: $vcpus_list)"
bench_in_testhost --timings 3600 bash "$BENCH_INNER/guest-boots.sh" "$kernel" "$initrd" "$runs" "$vcpus_list"
mode=$(sed -n 's/.*mode=\([A-Za-z]*\).*/\1/p' <<<"$BENCH_TIMING")
l1_boot=$(sed -n 's/.*boot-seconds=\([0-9.]*\).*/\1/p' <<<"$BENCH_TIMING")

bench_header foundation
echo "test host mode:                         $mode"
echo "test host L1 boot to READY:             ${l1_boot} s"
echo "guest kernel $release build, cold:      ${cold} s"
echo "guest kernel build, cached (now):       ${cached} s   (cached/cold ratio $(bench_ratio "$cached" "$cold"))"
base=""
for n in $vcpus_list; do
  times=$(grep -o "boot vcpus=$n marker-seconds=[0-9.]*" <<<"$BENCH_OUT" | sed 's/.*=//')
  count=$(grep -c . <<<"$times" || true)
  m=$(bench_median <<<"$times")
  uptimes=$(grep "boot vcpus=$n " <<<"$BENCH_OUT" | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p' | bench_median)
  [ -z "$base" ] && base="$m"
  echo "guest boot to marker, $n vCPU(s):         median ${m} s of $count boots (guest uptime at marker ${uptimes} s; ratio to ${vcpus_list%% *} vCPU $(bench_ratio "$m" "$base"))"
done
