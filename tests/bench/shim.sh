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
. "$here/../../scripts/lib.sh"

runs="${BENCH_RUNS:-10}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || ks_die "BENCH_RUNS must be a positive number"

ks_step "publishing the shim, katasharp and the agent; the guest kernel and initrd"
"$KS_ROOT/scripts/publish.sh" containerd-shim-katasharp-v2 katasharp katasharp-agent ks-init ks-spawn
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/initrd/build-initrd.sh" --no-publish)

ks_step "booting the test host; $runs runs each of katasharp and runc"
errlog=$(mktemp)
trap 'rm -f "$errlog"' EXIT
if ! out=$("$KS_ROOT/tests/testhost/run.sh" --timeout 5400 -- \
    "BENCH_RUNS=$runs bash $KS_ROOT/tests/testhost/shim/bench.sh --bin $KS_OUT/bin --kernel-dir $kernel --initrd $initrd" 2>"$errlog"); then
  tail -n 40 "$errlog" >&2
  echo "$out" | tail -n 40 >&2
  ks_die "the benchmark command failed inside the test host"
fi

v() { sed -n "s/^$1=\(.*\)$/\1/p" <<<"$out" | head -n1; }
median() { tr ' ' '\n' | grep -E '^[0-9]+$' | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR + 1) / 2]; else print int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
ks=$(v katasharp_ms | median) rc=$(v runc_ms | median)
ratio=$(awk -v a="$ks" -v b="$rc" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.1f", a / b }')
echo
echo "KataSharp shim benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)), kernel $(cat "$kernel/kernel.release"), default configuration (1 vCPU, 256 MiB) in the nested test host"
echo "ctr run --rm IMG ID true, median of $runs:  katasharp $ks ms, runc $rc ms (ratio $ratio)"
echo "  katasharp runs (ms): $(v katasharp_ms)"
echo "  runc runs (ms):      $(v runc_ms)"
echo "shim+VMM host RSS per running pod:        $(v pod_shim_rss_kib) KiB ($(v pod_shim_threads) threads); with a second container: $(v pod_shim_rss_two_containers_kib) KiB"
echo "left after $(( runs + 1 + 1 )) katasharp pods and $runs runc runs: $(v left_shims) shims, $(v left_state_dirs) state dirs, $(v left_shim_sockets) shim sockets, $(v left_mounts) mounts"
echo "second container of a pod (ctr run -d):   median $(v second_container_ms | median) ms ($(v second_container_ms))"
