#!/usr/bin/env bash
# Density (issue 15): how many small pods (memory_mib = 128 by default) the nested test host holds, and the time to
# start the N-th pod as N grows. Inside the test host (tests/testhost/shim/density.sh), pods are started one at a
# time until DENSITY_MAX run, a start fails or takes longer than DENSITY_POD_TIMEOUT, or L1's MemAvailable falls
# below DENSITY_RESERVE_MIB; then all are removed. Numbers, not pass/fail; the baseline is the first pod.
# Usage: tests/bench/density.sh     (env: DENSITY_MAX 40, DENSITY_POD_TIMEOUT 180, DENSITY_RESERVE_MIB 512,
#                                    DENSITY_POD_MIB 128)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

max="${DENSITY_MAX:-40}" pod_timeout="${DENSITY_POD_TIMEOUT:-180}"
reserve_mib="${DENSITY_RESERVE_MIB:-512}" pod_mib="${DENSITY_POD_MIB:-128}"
bench_positive DENSITY_MAX "$max"
bench_positive DENSITY_POD_TIMEOUT "$pod_timeout"
bench_positive DENSITY_RESERVE_MIB "$reserve_mib"
bench_positive DENSITY_POD_MIB "$pod_mib"

bench_pod_assets

ks_step "booting the test host; up to $max pods of $pod_mib MiB, one at a time"
# The test host's own boot and set-up, then every pod's start at its worst, then the removals.
bench_in_testhost $(( 900 + max * (pod_timeout + 30) )) env "DENSITY_MAX=$max" "DENSITY_POD_TIMEOUT=$pod_timeout" \
  "DENSITY_RESERVE_MIB=$reserve_mib" "DENSITY_POD_MIB=$pod_mib" \
  bash "$KS_ROOT/tests/testhost/shim/density.sh" --bin "$KS_OUT/bin" --kernel-dir "$kernel" --initrd "$initrd"

v() { bench_value "$1"; }
mib() { awk -v k="$1" 'BEGIN { if (k ~ /^[0-9]+$/) printf "%.0f", k / 1024; else print "n/a" }'; }
# mean of the numbers on stdin (anything else, e.g. "fail", ignored), or n/a
mean() { tr -s ' ' '\n' | awk '/^[0-9]+$/ { s += $1; n++ } END { if (n) printf "%.0f\n", s / n; else print "n/a" }'; }
held=$(v pods_held)
read -r -a ms <<<"$(v start_ms)"
read -r -a avail <<<"$(v mem_available_kib)"
read -r -a host <<<"$(v pod_host_kib)"
read -r -a guest <<<"$(v pod_guest_ram_kib)"

bench_header density "kernel $(cat "$kernel/kernel.release"), pods of memory_mib = $(v memory_mib) (guest RAM mapping $(v guest_ram_size_kib) KiB), 1 vCPU, busybox sleep, in the nested test host (L1: $(v l1_cpus) CPUs, $(mib "$(v l1_mem_total_kib)") MiB)"
echo "L1's MemAvailable before the first pod: $(mib "$(v mem_available_before_kib)") MiB; limits: DENSITY_MAX $max, DENSITY_POD_TIMEOUT $pod_timeout s, DENSITY_RESERVE_MIB $reserve_mib"
printf '%3s %9s %17s %11s %27s %22s\n' N "start ms" "MemAvailable MiB" "change MiB" "host KiB besides guest RAM" "guest RAM touched KiB"
prev=$(v mem_available_before_kib)
for i in "${!ms[@]}"; do
  printf '%3d %9s %17s %+11d %27s %22s\n' $((i + 1)) "${ms[$i]}" "$(mib "${avail[$i]}")" $(( (avail[i] - prev) / 1024 )) \
    "${host[$i]:-n/a}" "${guest[$i]:-n/a}"
  prev=${avail[$i]}
done
echo "pods held: $held (ended by: $(v ended_by))"
if [ "${#ms[@]}" -gt 0 ]; then
  echo "start of pod $held against pod 1: ${ms[-1]} ms / ${ms[0]} ms (ratio $(bench_ratio "${ms[-1]}" "${ms[0]}" 2)); median of all $(v start_ms | bench_median 0) ms"
fi
echo "host memory per pod besides guest RAM (Pss of shim, unshare and VMM minus guest RAM): mean $(v pod_host_kib | mean) KiB at each pod's start; with all $held running: mean $(v pod_host_all_running_kib | mean) KiB ($(v pod_host_all_running_kib))"
reasons=$(v vm_exit_reasons)
echo "unexpected VM exits: $(v vm_exits)${reasons:+ ($reasons; the first: $(v vm_exit_first))}"
echo "left after removing them: $(v left_shims) shims, $(v left_state_dirs) state dirs, $(v left_shim_sockets) shim sockets, $(v left_mounts) mounts"
