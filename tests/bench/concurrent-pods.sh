#!/usr/bin/env bash
# Inside the test host's L1: N concurrent `ctr run --rm` of busybox with the katasharp shim, ROUNDS
# times, printing per round how many completed and how long the round took. This is the
# reproduction of the concurrent-boot stall of the nested test host (README "Known limits").
#
# By hand (scripts/publish.sh first; it reads out/bin):
#   sudo tests/testhost/run.sh --timeout 900 -- "$PWD/tests/bench/concurrent-pods.sh" \
#     --kernel-dir "$(guest-image/kernel/build-kernel.sh)" --initrd "$(guest-image/initrd/build-initrd.sh)"
# Env: PODS (concurrent runs, 4), ROUNDS (1), POD_TIMEOUT (seconds for one ctr run, 600),
#      POD_CMD (the container's command, "uname -r"), KVM_TRACE=1 (L1's kvm ftrace, stopped at the
#      first triple fault and printed: l1-kvm-trace.sh).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../testhost/shim/env.sh"
trap shim_env_stop EXIT

pods="${PODS:-4}" rounds="${ROUNDS:-1}" pod_timeout="${POD_TIMEOUT:-600}" cmd="${POD_CMD:-uname -r}"
if [ "${KVM_TRACE:-0}" = 1 ]; then
  . "$here/l1-kvm-trace.sh"
  kvm_trace_arm || { echo "cannot arm L1's kvm trace" >&2; exit 1; }
fi
shim_env_start || { echo "the test environment did not start" >&2; exit 1; }
echo "L1: $(uname -r), $(nproc) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource), guest kernel $(cat "$KS_KERNEL_DIR/kernel.release")"
total_ok=0 total=0
for r in $(seq "$rounds"); do
  start=$(date +%s.%N)
  for i in $(seq "$pods"); do
    # shellcheck disable=SC2086 # POD_CMD is a command line
    # timeout(1) runs the ctr program, not env.sh's ctr function: the address is given here.
    timeout "$pod_timeout" ctr --address "$KS_CTD_RUN/containerd.sock" run --rm --runtime "$KS_RUNTIME" "$KS_IMAGE" "cp-$r-$i" $cmd \
      >"$ks_work/pod-$r-$i.out" 2>"$ks_work/pod-$r-$i.err" </dev/null &
  done
  ok=0
  for i in $(seq "$pods"); do
    wait -n; [ $? = 0 ] && ok=$((ok + 1))
  done
  total=$((total + pods)) total_ok=$((total_ok + ok))
  echo "round $r: $ok of $pods concurrent pods completed in $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  for i in $(seq "$pods"); do
    [ -s "$ks_work/pod-$r-$i.err" ] && echo "  pod $i: $(tr '\n' ' ' <"$ks_work/pod-$r-$i.err" | cut -c1-300)"
  done
done
vm_exits_record
if [ "$total_ok" != "$total" ]; then
  echo "--- the shim's log (last 40 lines) ---" >&2
  shim_log_tail 40 >&2
fi
[ "${KVM_TRACE:-0}" = 1 ] && kvm_trace_report
echo "pods_completed=$total_ok pods_started=$total"
[ "$total_ok" = "$total" ]
