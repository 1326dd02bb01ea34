#!/usr/bin/env bash
# containerd shim numbers inside the test host (real containerd 1.6, ctr, katasharp installed with
# `katasharp install`, locally built busybox image):
#   - `ctr run --rm IMG ID true` wall time, katasharp vs runc, median of BENCH_RUNS (10) each, ratio
#   - host RSS of the shim process of one running pod (the shim is the pod's VMM too)
#   - `ctr run -d` of a second container in that pod (CRI sandbox-id annotation: same shim and VM)
# Numbers, not pass/fail: L1 is TCG and each katasharp pod boots a nested KVM guest; runc runs
# directly in L1, so the ratio is what one microVM per pod costs there.
# Usage: tests/bench/shim.sh     (env: BENCH_RUNS)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

runs="${BENCH_RUNS:-10}"
bench_positive BENCH_RUNS "$runs"

bench_pod_assets

ks_step "booting the test host; $runs runs each of katasharp and runc"
bench_in_testhost 5400 env "BENCH_RUNS=$runs" bash "$KS_ROOT/tests/testhost/shim/bench.sh" --bin "$KS_OUT/bin" --kernel-dir "$kernel" --initrd "$initrd"

v() { bench_value "$1"; }
ks=$(v katasharp_ms | bench_median 0) rc=$(v runc_ms | bench_median 0)
bench_header shim "kernel $(cat "$kernel/kernel.release"), default configuration (1 vCPU, 256 MiB) in the nested test host"
echo "ctr run --rm IMG ID true, median of $runs:  katasharp $ks ms, runc $rc ms (ratio $(bench_ratio "$ks" "$rc" 1))"
echo "  katasharp runs (ms): $(v katasharp_ms)"
ksu=$(v katasharp_unconfined_ms | bench_median 0)
echo "the VMM's confinement: confined $ks ms, unconfined (confine_vmm = false) $ksu ms (ratio $(bench_ratio "$ks" "$ksu" 2))"
echo "  unconfined runs (ms): $(v katasharp_unconfined_ms)"
xc=$(v exec_confined_ms | bench_median 0) xu=$(v exec_unconfined_ms | bench_median 0) xr=$(v exec_runc_ms | bench_median 0)
echo "ctr task exec ID true, median of $runs: confined $xc ms, unconfined $xu ms (ratio $(bench_ratio "$xc" "$xu" 2)), runc $xr ms (confined/runc $(bench_ratio "$xc" "$xr" 2))"
echo "  confined (ms): $(v exec_confined_ms); unconfined: $(v exec_unconfined_ms); runc: $(v exec_runc_ms)"
xc99=$(v exec_confined_ms | bench_percentile 99 0) xr99=$(v exec_runc_ms | bench_percentile 99 0)
echo "  p50 / p99 of $runs (p99 of fewer than 100 runs is near the maximum): confined $(v exec_confined_ms | bench_percentile 50 0) / $xc99 ms, runc $(v exec_runc_ms | bench_percentile 50 0) / $xr99 ms (p99 ratio $(bench_ratio "$xc99" "$xr99" 2); goal: at most 1.5)"
echo "  runc runs (ms):      $(v runc_ms)"
echo "host RSS per running pod: shim $(v pod_shim_rss_kib) KiB (anonymous $(v pod_shim_rss_anon_kib) KiB; $(v pod_shim_threads) threads; with a second container: $(v pod_shim_rss_two_containers_kib) KiB), VMM $(v pod_vmm_rss_kib) KiB ($(v pod_vmm_threads) threads) of which guest RAM touched $(v pod_vmm_rss_guest_kib) KiB and the rest $(v pod_vmm_rss_other_kib) KiB, unshare $(v pod_unshare_rss_kib) KiB"
echo "  the shim's anonymous memory on transparent huge pages: $(v pod_shim_anon_huge_kib) KiB"
echo "sum of those RSS besides guest RAM: $(( $(v pod_shim_rss_kib) + $(v pod_vmm_rss_other_kib) + $(v pod_unshare_rss_kib) )) KiB (counts in full the binary and library pages every pod shares)"
echo "host memory per pod besides guest RAM (Pss of shim, unshare and VMM minus guest RAM): one pod right after its start $(v pod_pss_one_kib) KiB; quiet, with a second pod running: $(v pod_pss_two_kib) KiB (goal: 16384 KiB)"
echo "  of which only the pod's own (private: what one more pod adds to the host): $(v pod_private_two_kib) KiB"
echo "  right after 3 execs in the pod, before its next trim: $(v pod_pss_after_execs_kib) KiB"
echo "left after $(( 2 * runs + 5 )) katasharp pods and $runs runc runs: $(v left_shims) shims, $(v left_state_dirs) state dirs, $(v left_shim_sockets) shim sockets, $(v left_mounts) mounts"
echo "second container of a pod (ctr run -d):   median $(v second_container_ms | bench_median 0) ms ($(v second_container_ms))"
