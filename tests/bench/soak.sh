#!/usr/bin/env bash
# Soak (issue 12): 1000 container run/delete cycles in one pod, then 100 pods (a VM each), in the test
# host with real containerd, printing the shim's RSS, fds and threads and L1's mounts, unix sockets and
# open files every 100 (10) cycles, and the growth from the first sample to the last. Not part of the
# test command: it takes hours under nested TCG.
# Usage: tests/bench/soak.sh   (SOAK_CONTAINERS=1000 SOAK_VMS=100 SOAK_EVERY=100 SOAK_VM_EVERY=10)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ks_need_root
for v in SOAK_CONTAINERS SOAK_VMS SOAK_EVERY SOAK_VM_EVERY; do [ -z "${!v:-}" ] || bench_positive "$v" "${!v}"; done
kernel_dir=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/initrd/build-initrd.sh")
"$KS_ROOT/scripts/publish.sh" containerd-shim-katasharp-v2 katasharp >/dev/null
bench_in_testhost 86400 env SOAK_CONTAINERS="${SOAK_CONTAINERS:-1000}" SOAK_VMS="${SOAK_VMS:-100}" \
  SOAK_EVERY="${SOAK_EVERY:-100}" SOAK_VM_EVERY="${SOAK_VM_EVERY:-10}" \
  bash "$BENCH_INNER/soak.sh" --bin "$KS_OUT/bin" --kernel-dir "$kernel_dir" --initrd "$initrd"

bench_header soak "${SOAK_CONTAINERS:-1000} containers in one pod, ${SOAK_VMS:-100} pods"
grep '^sample\|^phase=' <<<"$BENCH_OUT" | sed 's/^sample //'
# Growth per phase: last sample minus first, for each counter (flat = 0 or noise).
for phase in containers vms; do
  grep "^sample phase=$phase " <<<"$BENCH_OUT" | awk -v phase="$phase" '
    { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (NR == 1) first[kv[1]] = kv[2]; last[kv[1]] = kv[2]; names[i] = kv[1] } n = NF }
    END { if (NR < 2) exit; line = "growth phase=" phase ":"
          for (i = 3; i <= n; i++) { k = names[i]; if (first[k] ~ /^[0-9]+$/) line = line " " k "=" (last[k] - first[k]) }
          print line }'
done
