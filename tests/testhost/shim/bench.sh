#!/usr/bin/env bash
# Inside L1 (run by tests/bench/shim.sh): `ctr run --rm IMG ID true` wall time with katasharp and
# with runc in the same test host, BENCH_RUNS each (alternating, so load drifts hit both alike),
# and the host RSS of one running pod's shim (which is also its VMM). Prints key=value lines.
# Usage: bench.sh --bin DIR --kernel-dir DIR --initrd FILE    (env: BENCH_RUNS, default 10)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
runs="${BENCH_RUNS:-10}"
. "$here/env.sh"
trap shim_env_stop EXIT
shim_env_start || { echo "the benchmark environment did not start" >&2; exit 1; }

time_run() { time_ctr_run "$1" "$2" true; } # runtime id -> ms, or "fail"
# [runtime] confine_vmm for the next sandbox (each shim reads the configuration when its sandbox starts)
confine() { sed -i "s/^confine_vmm = .*/confine_vmm = $1/" /etc/katasharp/configuration.toml; }
# A first katasharp run fills the layer cache (erofs image of the busybox layer): not measured.
time_run "$KS_RUNTIME" ks-warm >/dev/null
ks="" ksu="" runc=""
for i in $(seq "$runs"); do
  ks="$ks $(time_run "$KS_RUNTIME" ks-b$i)"
  confine false; ksu="$ksu $(time_run "$KS_RUNTIME" ks-u$i)"; confine true
  runc="$runc $(time_run io.containerd.runc.v2 rc-b$i)"
done
echo "katasharp_ms=${ks# }"
echo "katasharp_unconfined_ms=${ksu# }"
echo "runc_ms=${runc# }"

# exec latency (`ctr task exec ID true`), a confined and an unconfined pod alternately, and runc
exec_pod() { # runtime id
  ctr run -d --runtime "$1" "$KS_IMAGE" "$2" sleep 100000 </dev/null >/dev/null 2>>"$ks_work/bench.err"
  for j in $(seq 600); do ctr task ls | awk -v id="$2" '$1 == id { print $3 }' | grep -qx RUNNING && return 0; sleep 0.1; done
}
time_exec() { # id n -> ms, or "fail"
  local start=$(now_ms)
  ctr task exec --exec-id "x$2" "$1" true </dev/null >/dev/null 2>>"$ks_work/bench.err" || { echo fail; return; }
  echo $(( $(now_ms) - start ))
}
exec_pod "$KS_RUNTIME" ks-exec; confine false; exec_pod "$KS_RUNTIME" ks-exec-u; confine true; exec_pod io.containerd.runc.v2 rc-exec
xc="" xu="" xr=""
for i in $(seq "$runs"); do
  xc="$xc $(time_exec ks-exec $i)"; xu="$xu $(time_exec ks-exec-u $i)"; xr="$xr $(time_exec rc-exec $i)"
done
echo "exec_confined_ms=${xc# }"
echo "exec_unconfined_ms=${xu# }"
echo "exec_runc_ms=${xr# }"
for id in ks-exec ks-exec-u rc-exec; do
  ctr task kill -s KILL $id >/dev/null 2>&1
  for j in $(seq 100); do ctr task ls | awk -v id=$id '$1 == id { print $3 }' | grep -qx STOPPED && break; sleep 0.1; done
  ctr task delete $id >/dev/null 2>&1; ctr container delete $id >/dev/null 2>&1
done

ctr run -d --runtime "$KS_RUNTIME" "$KS_IMAGE" ks-rss sleep 100000 </dev/null >/dev/null 2>>"$ks_work/bench.err"
pid=$(ctr task ls | awk '$1 == "ks-rss" { print $2 }')
[ -n "$pid" ] && echo "pod_shim_rss_kib=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)"
[ -n "$pid" ] && echo "pod_shim_threads=$(ls /proc/$pid/task | wc -l)"
# The confined VMM: shim -> unshare -> VMM (each its own RSS; guest RAM is in the VMM's)
vmm_unshare=$(vmm_unshare_of "$pid")
vmm=$(vmm_of "$pid")
[ -n "$vmm" ] && echo "pod_vmm_rss_kib=$(awk '/^VmRSS/ { print $2 }' /proc/$vmm/status)"
# Guest RAM is the VMM's mapping [anon:katasharp-guest-ram]; what the VMM costs besides it is the rest of its RSS.
if [ -n "$vmm" ]; then
  vmm_guest_kib=$(guest_ram_kib "$vmm")
  echo "pod_vmm_rss_guest_kib=$vmm_guest_kib"
  echo "pod_vmm_rss_other_kib=$(( $(awk '/^VmRSS/ { print $2 }' /proc/$vmm/status) - vmm_guest_kib ))"
fi
[ -n "$pid" ] && echo "pod_shim_rss_anon_kib=$(awk '/^RssAnon/ { print $2 }' /proc/$pid/status)"
[ -n "$vmm" ] && echo "pod_vmm_threads=$(ls /proc/$vmm/task | wc -l)"
[ -n "$vmm_unshare" ] && echo "pod_unshare_rss_kib=$(awk '/^VmRSS/ { print $2 }' /proc/$vmm_unshare/status)"
[ -n "$pid" ] && echo "pod_shim_anon_huge_kib=$(awk '/^AnonHugePages:/ { print $2 }' /proc/$pid/smaps_rollup)"
# What a pod costs the host besides its guest RAM (env.sh's pod_pss_kib), with one pod and then with a second one running.
[ -n "$pid" ] && echo "pod_pss_one_kib=$(pod_pss_kib "$pid")"
ctr run -d --runtime "$KS_RUNTIME" "$KS_IMAGE" ks-rss2 sleep 100000 </dev/null >/dev/null 2>>"$ks_work/bench.err"
started2=$(now_ms)
pid2=$(ctr task ls | awk '$1 == "ks-rss2" { print $2 }')
# A quiet pod's steady state: shim and VMM trim their memory 5 s after the pod's last start (Memory/MemoryTrim), so
# both pods are read a few seconds past that.
while [ $(( $(now_ms) - started2 )) -lt 8000 ]; do sleep 0.2; done
[ -n "$pid" ] && [ -n "$pid2" ] && echo "pod_pss_two_kib=$(pod_pss_kib "$pid") $(pod_pss_kib "$pid2")"
[ -n "$pid" ] && [ -n "$pid2" ] && echo "pod_private_two_kib=$(pod_private_kib "$pid") $(pod_private_kib "$pid2")"
# And a busy one: right after three execs, before its next trim (at most MemoryTrim.MinimumInterval later).
for i in 1 2 3; do ctr task exec --exec-id m$i ks-rss true </dev/null >/dev/null 2>>"$ks_work/bench.err"; done
[ -n "$pid" ] && echo "pod_pss_after_execs_kib=$(pod_pss_kib "$pid")"
ctr task kill -s KILL ks-rss2 >/dev/null 2>&1
for j in $(seq 100); do ctr task ls | awk '$1 == "ks-rss2" { print $3 }' | grep -qx STOPPED && break; sleep 0.1; done
ctr task delete ks-rss2 >/dev/null 2>&1; ctr container delete ks-rss2 >/dev/null 2>&1
# second containers of that pod (same shim and VM: no boot), `ctr run -d` each, then removed
second=""
for i in 1 2 3; do
  start=$(now_ms)
  ctr run -d --annotation io.kubernetes.cri.sandbox-id=ks-rss --runtime "$KS_RUNTIME" "$KS_IMAGE" ks-rss-$i sleep 100000 </dev/null >/dev/null 2>>"$ks_work/bench.err" \
    && second="$second $(( $(now_ms) - start ))" || second="$second fail"
  [ $i = 1 ] && [ -n "$pid" ] && echo "pod_shim_rss_two_containers_kib=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)"
  ctr task kill -s KILL ks-rss-$i >/dev/null 2>&1
  for j in $(seq 100); do ctr task ls | awk -v id=ks-rss-$i '$1 == id { print $3 }' | grep -qx STOPPED && break; sleep 0.1; done
  ctr task delete ks-rss-$i >/dev/null 2>&1; ctr container delete ks-rss-$i >/dev/null 2>&1
done
echo "second_container_ms=${second# }"
ctr task kill -s KILL ks-rss >/dev/null 2>&1; ctr task delete ks-rss >/dev/null 2>&1; ctr container delete ks-rss >/dev/null 2>&1
# after every run/delete cycle above: nothing of ours may be left (the last shim gets 10 s to exit)
wait_shims_gone
echo "left_shims=$(shim_pids | grep -c .)"
echo "left_state_dirs=$(find /run/katasharp -mindepth 1 -maxdepth 1 2>/dev/null | grep -c .)"
echo "left_shim_sockets=$(new_shim_sockets | grep -c .)"
echo "left_mounts=$(grep -c "$KS_CTD_RUN" /proc/self/mounts)"
[ -s "$ks_work/bench.err" ] && { echo "--- errors ---" >&2; tail -20 "$ks_work/bench.err" >&2; }
exit 0
