#!/usr/bin/env bash
# Pod create/delete cycles on the pod network (issue 13: "after 20 pod create/delete cycles no tap, tc
# filter, netns, veth, fd or thread is left"), inside the nested test host with containerd 1.6's CRI
# plugin and Debian's CNI plugins, exactly cri.sh's environment (tests/testhost/shim/cri-env.sh):
# POD_CYCLES (20) katasharp pods on the bridge, each RunPodSandbox → create/start an app container →
# ExecSync → stop/remove it → StopPodSandbox → RemovePodSandbox, printing after every cycle what a leak
# would grow (taps, tc qdiscs and filters in every network namespace, network namespaces, veths, bridge
# ports, host-local allocations, containerd's fds and threads, shims, /run/katasharp, mounts) and the
# cycle's time, then the growth from before the first cycle (and from after it) to after the last.
# Numbers, not pass/fail. Not part of the test command: a cycle takes about a minute under nested TCG.
# Usage: tests/bench/pod-cycles.sh     (env: POD_CYCLES)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ks_need_root
cycles="${POD_CYCLES:-20}"
bench_positive POD_CYCLES "$cycles"

ks_step "publishing the shim, katasharp and katasharp-criprobe; the guest kernel and initrd"
"$KS_ROOT/scripts/publish.sh" containerd-shim-katasharp-v2 katasharp katasharp-criprobe >/dev/null
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/initrd/build-initrd.sh")

ks_step "booting the test host; $cycles katasharp pod cycles on the CNI bridge"
bench_in_testhost $((1800 + cycles * 300)) env POD_CYCLES="$cycles" \
  bash "$BENCH_INNER/pod-cycles.sh" --bin "$KS_OUT/bin" --kernel-dir "$kernel" --initrd "$initrd"

l1=$(bench_value l1)
bench_header pod-cycles "$cycles katasharp pods on the CNI bridge; guest kernel $(cat "$kernel/kernel.release"), L1 ${l1%% *} (nested test host)"
grep '^sample ' <<<"$BENCH_OUT" | sed 's/^sample //'
grep '^during ' <<<"$BENCH_OUT" | sed 's/^during /while the first pod ran: /'
# growth FROM TO: the last sample minus sample FROM, for each whole-number counter (steps' times left out)
growth() {
  grep '^sample ' <<<"$BENCH_OUT" | awk -v from="$1" '
    { delete kv; for (i = 2; i <= NF; i++) { split($i, p, "="); kv[p[1]] = p[2] }
      if (kv["cycle"] == from) for (k in kv) first[k] = kv[k]
      for (k in kv) last[k] = kv[k]; lastcycle = kv["cycle"]; if (NR == 1) { for (i = 2; i <= NF; i++) { split($i, p, "="); order[++n] = p[1] } } }
    END { if (!("cycle" in first) || lastcycle == from) exit
          line = "growth cycle " from " → " lastcycle ":"
          for (i = 1; i <= n; i++) { k = order[i]; if (k != "cycle" && first[k] ~ /^[0-9]+$/ && last[k] ~ /^[0-9]+$/) line = line " " k "=" (last[k] - first[k]) }
          print line }'
}
growth 0
growth 1
times=$(grep '^sample ' <<<"$BENCH_OUT" | grep -o 'cycle_ms=[0-9]*' | cut -d= -f2)
echo "cycle time: median $(bench_median 0 <<<"$times") ms, min $(sort -n <<<"$times" | head -n1) ms, max $(sort -n <<<"$times" | tail -n1) ms"
for s in runp create start exec stop rm stopp rmp shim_gone; do
  printf '  %s median %s ms' "$s" "$(grep '^sample ' <<<"$BENCH_OUT" | grep -o " ${s}_ms=[0-9]*" | cut -d= -f2 | bench_median 0)"
done; echo
echo "$(bench_value cycles_ok) of $(bench_value cycles) cycles without a failed step; unexpected VM exits: $(bench_value vm_exits) $(bench_value vm_exit_reasons)"
grep '^note=' <<<"$BENCH_OUT" | sed 's/^note=/note: /' || true
