#!/usr/bin/env bash
# Inside the test host (tests/bench/soak.sh runs it): run/delete cycles with real containerd, sampling
# what a leak would grow. Phase 1: SOAK_CONTAINERS containers created and deleted one after the other in
# one long-lived pod (one shim, one VM: the shim's RSS, fds and threads are the pod's). Phase 2:
# SOAK_VMS full `ctr run --rm` cycles, a VM each (L1's mounts, sockets and open files).
# Prints one "sample ..." line per SOAK_EVERY cycles.
set -uo pipefail
here="$(cd "$(dirname "$0")/../../testhost/shim" && pwd)"
. "$here/env.sh"
trap shim_env_stop EXIT

SOAK_CONTAINERS="${SOAK_CONTAINERS:-1000}" SOAK_VMS="${SOAK_VMS:-100}" SOAK_EVERY="${SOAK_EVERY:-100}" SOAK_VM_EVERY="${SOAK_VM_EVERY:-10}"
l1_mounts() { grep -c . /proc/self/mountinfo; }
l1_sockets() { awk 'NR > 1' /proc/net/unix | grep -c .; }
l1_files() { cut -f1 /proc/sys/fs/file-nr; }
shim_of() { ctr task ls | awk -v id="$1" '$1 == id { print $2 }'; }
sample() { # phase cycle shim-pid
  local rss="-" fds="-" threads="-"
  if [ -n "${3:-}" ] && [ -d "/proc/$3" ]; then
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$3/status"); fds=$(ls "/proc/$3/fd" | grep -c .); threads=$(ls "/proc/$3/task" | grep -c .)
  fi
  echo "sample phase=$1 cycle=$2 shim_rss_kib=$rss shim_fds=$fds shim_threads=$threads l1_mounts=$(l1_mounts) l1_unix_sockets=$(l1_sockets) l1_open_files=$(l1_files) mem_avail_kib=$(awk '/^MemAvailable/ { print $2 }' /proc/meminfo)"
}

shim_env_start || { echo "the test environment did not start" >&2; exit 1; }

ctr run -d --runtime "$KS_RUNTIME" "$KS_IMAGE" ks-soak-pod sleep 1000000 </dev/null >/dev/null 2>&1
for _ in $(seq 6000); do [ "$(ctr task ls | awk '$1 == "ks-soak-pod" { print $3 }')" = RUNNING ] && break; sleep 0.1; done
pod_shim=$(shim_of ks-soak-pod)
[ -n "$pod_shim" ] || { echo "the soak pod did not start" >&2; exit 1; }
sample containers 0 "$pod_shim"
failures=0
for i in $(seq "$SOAK_CONTAINERS"); do
  ctr run --rm --runtime "$KS_RUNTIME" --annotation io.kubernetes.cri.sandbox-id=ks-soak-pod "$KS_IMAGE" "ks-soak-$i" true </dev/null >/dev/null 2>&1 || failures=$((failures + 1))
  [ $((i % SOAK_EVERY)) -eq 0 ] && sample containers "$i" "$pod_shim"
done
echo "phase=containers failures=$failures"
ctr task kill -s KILL ks-soak-pod >/dev/null 2>&1
for _ in $(seq 600); do [ "$(ctr task ls | awk '$1 == "ks-soak-pod" { print $3 }')" = STOPPED ] && break; sleep 0.1; done
ctr task delete ks-soak-pod >/dev/null 2>&1; ctr container delete ks-soak-pod >/dev/null 2>&1
wait_shims_gone

sample vms 0
failures=0
for i in $(seq "$SOAK_VMS"); do
  ctr run --rm --runtime "$KS_RUNTIME" "$KS_IMAGE" "ks-soak-vm-$i" true </dev/null >/dev/null 2>&1 || failures=$((failures + 1))
  wait_shims_gone
  [ $((i % SOAK_VM_EVERY)) -eq 0 ] && sample vms "$i"
done
echo "phase=vms failures=$failures"
