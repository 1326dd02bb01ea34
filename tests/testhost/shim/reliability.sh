#!/usr/bin/env bash
# Reliability of the shim, inside the test host's L1 (issue 12): a guest kernel that dies under a
# running container, a long output stream, and pods booting at the same time. Prints key=value
# results for tests/KataSharp.Integration.Tests/Shim/ReliabilityEndToEndTests, one fact per part.
#
# By hand:  sudo tests/testhost/run.sh --timeout 1800 -- "$PWD/tests/testhost/shim/reliability.sh" \
#             --kernel-dir "$(guest-image/kernel/build-kernel.sh)" --initrd "$(guest-image/initrd/build-initrd.sh)"
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"
trap shim_env_stop EXIT

rec() { printf '%s=%s\n' "$1" "$2"; }
flat() { tr -d '\r' | tr '\n' '|' | sed 's/|$//'; }

shim_env_start || { echo "the test environment did not start" >&2; exit 1; }

# ---- the guest kernel dies while a container runs ----
# A privileged container makes the guest panic on OOM and fills guest RAM with tmpfs pages (no swap:
# nothing can be reclaimed). The kernel panics (panic=-1 reboots at once), the VM exits, and ctr run
# must come back with 137 on its own, the task gone, no shim left.
start=$(now_ms)
ctr_within 900 run --rm --privileged --runtime "$KS_RUNTIME" "$KS_IMAGE" ks-panic sh -c \
  "$KS_GUEST_PANIC_SCRIPT" \
  </dev/null >"$ks_work/panic.out" 2>"$ks_work/panic.err"
rec panic_exit $?
rec panic_ms $(( $(now_ms) - start ))
rec panic_out "$(flat <"$ks_work/panic.out")"
rec panic_err "$(flat <"$ks_work/panic.err")"
# the shim's structured field for the VM's exit (ctr run's sandbox id is the container's name), not its message text
rec panic_shim_log_exit "$(vm_exit_lines ks-panic | vm_exit_reason_of | grep -cx GuestPanic)"
rec panic_tasks_left "$(ctr task ls -q | grep -cx ks-panic)"
rec panic_containers_left "$(ctr container ls -q | grep -cx ks-panic)"
wait_shims_gone
rec panic_shims_left "$(shim_pids | grep -c .)"

# ---- a long output stream arrives complete and in order ----
KS_STREAM_LINES="${KS_STREAM_LINES:-200000}"
start=$(now_ms)
ctr_within 1200 run --rm --runtime "$KS_RUNTIME" "$KS_IMAGE" ks-stream sh -c \
  "i=0; while [ \$i -lt $KS_STREAM_LINES ]; do echo \$i; i=\$((i+1)); done" </dev/null >"$ks_work/stream.out" 2>"$ks_work/stream.err"
rec stream_exit $?
rec stream_ms $(( $(now_ms) - start ))
rec stream_lines_expected "$KS_STREAM_LINES"
rec stream_lines "$(grep -c . "$ks_work/stream.out")"
# in order: line k (0-based) is k
rec stream_out_of_order "$(awk '$0 != NR - 1 { bad++ } END { print bad + 0 }' "$ks_work/stream.out")"
[ -s "$ks_work/stream.err" ] && rec stream_err "$(head -c 2000 "$ks_work/stream.err" | flat)"

# ---- pods booting at the same time ----
KS_CONCURRENT="${KS_CONCURRENT:-4}"
start=$(now_ms)
pids=()
for i in $(seq "$KS_CONCURRENT"); do
  ctr_within 1200 run --rm --runtime "$KS_RUNTIME" "$KS_IMAGE" "ks-par-$i" sh -c "echo par-$i" \
    </dev/null >"$ks_work/par-$i.out" 2>"$ks_work/par-$i.err" &
  pids+=($!)
done
concurrent_exits=""
for i in $(seq "$KS_CONCURRENT"); do
  wait "${pids[$((i - 1))]}"; concurrent_exits+="$?,"
done
rec concurrent "$KS_CONCURRENT"
rec concurrent_ms $(( $(now_ms) - start ))
rec concurrent_exits "${concurrent_exits%,}"
outs=""; for i in $(seq "$KS_CONCURRENT"); do outs+="$(flat <"$ks_work/par-$i.out"),"; done
rec concurrent_outs "${outs%,}"
for i in $(seq "$KS_CONCURRENT"); do [ -s "$ks_work/par-$i.err" ] && rec "concurrent_${i}_err" "$(head -c 1000 "$ks_work/par-$i.err" | flat)"; done
wait_shims_gone

rec tasks_left "$(ctr task ls -q | grep -c .)"
rec shims_left "$(shim_pids | grep -c .)"

echo "--- shim and guest log (containerd's log) ---" >&2
shim_log_tail 120 >&2
vm_exits_record
exit 0
