#!/usr/bin/env bash
# Inside L1 (run by tests/bench/density.sh): how many small pods the test host holds, and how the time to start the
# N-th one grows with N. Pods (busybox `sleep`, `ctr run -d`, the VM's memory_mib set to DENSITY_POD_MIB) are started
# one after another, never two booting at once (concurrent nested boots can stall L1: README "Known limits"), until
# one of the limits below ends it; for each: the ms `ctr run -d` took, L1's MemAvailable after it, the pod's host
# memory besides guest RAM and its guest RAM touched so far. Then every pod is removed and nothing may be left.
# Prints key=value lines (lists: one value per pod, in start order).
# Usage: density.sh --bin DIR --kernel-dir DIR --initrd FILE
# Env:   DENSITY_MAX (pods, 40), DENSITY_POD_TIMEOUT (seconds for one `ctr run -d`, 180),
#        DENSITY_RESERVE_MIB (stop when L1's MemAvailable falls below it, 512), DENSITY_POD_MIB (memory_mib, 128)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
max="${DENSITY_MAX:-40}" pod_timeout="${DENSITY_POD_TIMEOUT:-180}"
reserve_mib="${DENSITY_RESERVE_MIB:-512}" pod_mib="${DENSITY_POD_MIB:-128}"
. "$here/env.sh"

pods=() # ids of the pods started (or being started), for the removal
mem_available_kib() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
shim_pid_of() { ctr task ls | awk -v id="$1" '$1 == id { print $2 }'; }
# Every pod of this run killed and deleted (each gets 10 s to stop); run on the way out too, so that a failed or
# interrupted run leaves no pod behind before shim_env_stop takes containerd down.
remove_pods() {
  local id _
  for id in "${pods[@]}"; do
    ctr task kill -s KILL "$id" >/dev/null 2>&1
    for _ in $(seq 100); do ctr task ls | awk -v id="$id" '$1 == id { print $3 }' | grep -qx STOPPED && break; sleep 0.1; done
    ctr task delete "$id" >/dev/null 2>&1; ctr container delete "$id" >/dev/null 2>&1
  done
  pods=()
}
trap 'remove_pods; shim_env_stop' EXIT
shim_env_start || { echo "the benchmark environment did not start" >&2; exit 1; }
# The installed configuration's guest RAM for every pod started from here on (each shim reads it when its sandbox
# starts); a ctr pod has no io.kubernetes.cri.sandbox-memory annotation, so this is the VM's whole RAM.
sed -i "s/^memory_mib = .*/memory_mib = $pod_mib/" /etc/katasharp/configuration.toml
echo "memory_mib=$(sed -n 's/^memory_mib = //p' /etc/katasharp/configuration.toml)"
echo "l1_mem_total_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
echo "l1_cpus=$(nproc)"
echo "mem_available_before_kib=$(mem_available_kib)"

start_ms="" mem_available="" host_kib="" guest_kib="" held=0 ended_by="DENSITY_MAX ($max pods)"
for n in $(seq "$max"); do
  id="density-$n"
  pods+=("$id")
  start=$(now_ms)
  ctr_within "$pod_timeout" run -d --runtime "$KS_RUNTIME" "$KS_IMAGE" "$id" sleep 100000 </dev/null >/dev/null 2>"$ks_work/start.err"
  rc=$? ms=$(( $(now_ms) - start ))
  if [ "$rc" = 124 ]; then
    ended_by="DENSITY_POD_TIMEOUT (pod $n took longer than $pod_timeout s)"; break
  elif [ "$rc" != 0 ]; then
    ended_by="a failed start (pod $n, after $ms ms: $(tr '\n' ' ' <"$ks_work/start.err" | cut -c1-300))"; break
  fi
  held=$n
  avail=$(mem_available_kib) pid=$(shim_pid_of "$id")
  vmm=$(vmm_of "$pid") guest=""
  [ -n "$vmm" ] && guest=$(guest_ram_kib "$vmm")
  start_ms="$start_ms $ms"
  mem_available="$mem_available $avail"
  host_kib="$host_kib $(pod_pss_kib "$pid")"
  guest_kib="$guest_kib ${guest:-fail}"
  # The first pod's VM: the size of its guest RAM mapping shows that the memory_mib above took effect.
  [ "$n" = 1 ] && [ -n "$vmm" ] && echo "guest_ram_size_kib=$(guest_ram_kib "$vmm" Size)"
  if [ "$avail" -lt $(( reserve_mib * 1024 )) ]; then
    ended_by="DENSITY_RESERVE_MIB (MemAvailable below $reserve_mib MiB after pod $n)"; break
  fi
done
echo "pods_held=$held"
echo "ended_by=$ended_by"
echo "start_ms=${start_ms# }"
echo "mem_available_kib=${mem_available# }"
echo "pod_host_kib=${host_kib# }"
echo "pod_guest_ram_kib=${guest_kib# }"
# Each pod's cost again with all of them running: the binary's shared pages are split among more pods now.
all=""
for id in "${pods[@]}"; do
  pid=$(shim_pid_of "$id")
  [ -n "$pid" ] && all="$all $(pod_pss_kib "$pid")"
done
echo "pod_host_all_running_kib=${all# }"
vm_exits_record

remove_pods
wait_shims_gone
echo "left_shims=$(shim_pids | grep -c .)"
echo "left_state_dirs=$(find /run/katasharp -mindepth 1 -maxdepth 1 2>/dev/null | grep -c .)"
echo "left_shim_sockets=$(new_shim_sockets | grep -c .)"
echo "left_mounts=$(grep -c "$KS_CTD_RUN" /proc/self/mounts)"
exit 0
