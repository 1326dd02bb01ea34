#!/usr/bin/env bash
# Inside L1 (run by tests/bench/pod-start.sh): BENCH_RUNS `ctr run --rm IMG ID echo` with katasharp and with runc,
# alternating (load drifts hit both alike), with the shim's log at debug ([runtime] log_level) so that it logs its
# pod-start timeline (runtime/KataSharp.Runtime/Telemetry/StartTimeline.cs). Prints key=value lines:
#   katasharp_ms=... runc_ms=...          each run's `ctr run` wall time
#   cold=PHASE:AT:TOOK ...                 the first katasharp run (it fills the layer cache; not in the medians)
#   run=PHASE:AT:TOOK ...                  one line per measured katasharp run, its phases in the order logged
# PHASE is the shim's phase= field, layer_conversion with :cached or :uncached appended to its name.
# Usage: pod-start.sh --bin DIR --kernel-dir DIR --initrd FILE    (env: BENCH_RUNS, default 5)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs="${BENCH_RUNS:-5}"
. "$here/../../testhost/shim/env.sh"
trap shim_env_stop EXIT
shim_env_start || { echo "the benchmark environment did not start" >&2; exit 1; }
# Debug records for every sandbox from here on (each shim reads the configuration at its sandbox's first Create).
sed -i 's/^log_level = .*/log_level = "debug"/' /etc/katasharp/configuration.toml

# echo rather than true: one byte of output (a newline), so the timeline has a first_output_byte too
time_run() { time_ctr_run "$1" "$2" echo; } # runtime id -> ms, or "fail"
# The timeline records of sandbox ID, as PHASE:AT:TOOK words. The fields sit at the record's end (RuntimeLog: just
# before runtime=...), where text quoted in msg cannot pose as them.
phases_of() {
  grep -a " sandbox=\"$1\" .*phase=[a-z_]* at_ms=[0-9.]* took_ms=[0-9.]*\( cached=[a-z]*\)\? runtime=io\.containerd\.katasharp\.v2\$" \
    "$KS_CTD_RUN/containerd.log" |
    sed -n 's/.* phase=\([a-z_]*\) at_ms=\([0-9.]*\) took_ms=\([0-9.]*\)\( cached=\([a-z]*\)\)\? runtime=.*$/\1 -\5 \2 \3/p' |
    awk '{ name = $1; if ($2 == "-true") name = name ":cached"; else if ($2 == "-false") name = name ":uncached"; printf "%s%s:%s:%s", sep, name, $3, $4; sep = " " }'
}
# ctr returns once the task is deleted; the shim's last records reach containerd's log through the FIFO a moment later.
ks_run() { # id: sets run_ms (the wall time) and phases_line (the run's phases)
  local _
  run_ms=$(time_run "$KS_RUNTIME" "$1")
  for _ in $(seq 100); do phases_of "$1" | grep -q 'teardown:' && break; sleep 0.1; done
  phases_line=$(phases_of "$1")
  wait_shims_gone || true # the next VM boots once this one is gone (see Known limits in the top README)
}

run_ms="" phases_line=""
ks_run ks-cold
echo "cold=$phases_line"
ks="" runc=""
for i in $(seq "$runs"); do
  ks_run "ks-p$i"
  ks="$ks $run_ms"
  echo "run=$phases_line"
  runc="$runc $(time_run io.containerd.runc.v2 rc-p$i)"
done
echo "katasharp_ms=${ks# }"
echo "runc_ms=${runc# }"
[ -s "$ks_work/bench.err" ] && { echo "--- errors ---" >&2; tail -20 "$ks_work/bench.err" >&2; }
exit 0
