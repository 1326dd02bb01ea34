#!/usr/bin/env bash
# Where the time of a pod's start goes (issue 15): BENCH_RUNS (5) `ctr run --rm IMG ID echo` with katasharp in the
# nested test host, the shim at log_level debug, its pod-start timeline read from containerd's log
# (phase= at_ms= took_ms= records, runtime/KataSharp.Runtime/Telemetry/StartTimeline.cs): per phase the median
# at_ms (since the shim process started) and took_ms, then the whole `ctr run` for katasharp and for runc (the only
# phase runc has here), with the ratio. echo, not true: its one byte of output gives the first_output_byte phase.
# Numbers, not pass/fail: L1 is TCG and each katasharp pod boots a nested KVM guest.
# Usage: tests/bench/pod-start.sh     (env: BENCH_RUNS)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ks_need_root
runs="${BENCH_RUNS:-5}"
bench_positive BENCH_RUNS "$runs"

ks_step "publishing the shim and katasharp; the guest kernel and initrd"
"$KS_ROOT/scripts/publish.sh" containerd-shim-katasharp-v2 katasharp >/dev/null
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/initrd/build-initrd.sh")

ks_step "booting the test host; $runs runs each of katasharp and runc"
bench_in_testhost $((1800 + runs * 600)) env "BENCH_RUNS=$runs" \
  bash "$BENCH_INNER/pod-start.sh" --bin "$KS_OUT/bin" --kernel-dir "$kernel" --initrd "$initrd"

# The words PHASE:AT:TOOK of the run= lines, one per line.
measured() { sed -n 's/^run=//p' <<<"$BENCH_OUT" | tr ' ' '\n' | grep -E '^[a-z_:]+:[0-9.]+:[0-9.]+$' || true; }
# column PHASE N: field N (2 at_ms, 3 took_ms) of PHASE's records in every measured run.
column() { measured | awk -F: -v p="$1" -v n="$2" '{ name = $1; for (i = 2; i <= NF - 2; i++) name = name ":" $i; if (name == p) print (n == 2 ? $(NF - 1) : $NF) }'; }
bench_header pod-start "kernel $(cat "$kernel/kernel.release"), default configuration (1 vCPU, 256 MiB) at log_level debug, nested test host"
echo "ctr run --rm IMG ID echo, the shim's start timeline, median of $runs runs (ms since the shim process started; ms the phase took):"
printf '  %-28s %10s %10s %s\n' phase at_ms took_ms records
# In the order a first container goes through them (the layers are attached once the VM runs; guest_boot is logged
# when the host learns it, after agent_ready, and spans most of agent_ready).
for phase in shim_start config_loaded vm_created agent_ready guest_boot layer_conversion:cached layer_conversion:uncached \
  create_container start_container first_output_byte exit teardown; do
  n=$(column "$phase" 2 | grep -c . || true)
  printf '  %-28s %10s %10s %s\n' "$phase" "$(column "$phase" 2 | bench_median 1)" "$(column "$phase" 3 | bench_median 1)" "$n"
done
ks=$(bench_value katasharp_ms | bench_median 0) rc=$(bench_value runc_ms | bench_median 0)
echo "whole ctr run, median of $runs: katasharp $ks ms, runc $rc ms (ratio $(bench_ratio "$ks" "$rc" 1)); runc has no phase but the whole here"
echo "  katasharp runs (ms): $(bench_value katasharp_ms)"
echo "  runc runs (ms):      $(bench_value runc_ms)"
echo "first katasharp run (layer cache filled here; PHASE:at_ms:took_ms): $(bench_value cold)"
