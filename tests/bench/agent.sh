#!/usr/bin/env bash
# Guest agent numbers inside the test host, with our kernel and the agent initrd booted by katasharp-vmm:
#   - VM start → agent ready (ms): from launching katasharp-vmm to the first answered Health call over
#     hybrid vsock (host clock), and the guest's own uptime when the agent started serving
#   - create+start → first stdout byte of a busybox container (erofs layer by serial), median of 5
#   - exec → first stdout byte, p50/p99 over BENCH_EXECS (100) sequential execs
#   - agent RSS inside the guest, initrd size
# Baseline measured in the same run: the same agent binary serving on a unix socket directly in the
# test host (L1, no VM), so the ratios show what the VM (nested KVM + vsock) adds.
# Numbers, not pass/fail: L1 is TCG and the guest nested KVM on top of it; compare ratios.
# Usage: tests/bench/agent.sh     (env: BENCH_EXECS)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

execs="${BENCH_EXECS:-100}"
bench_positive BENCH_EXECS "$execs"

ks_step "building the agent, agentctl, katasharp-vmm, the guest kernel, the initrd and a busybox erofs layer"
"$KS_ROOT/scripts/publish.sh" katasharp-agent katasharp-agentctl ks-init ks-spawn katasharp-vmm
bin="$KS_OUT/bin"
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/initrd/build-initrd.sh" --no-publish)
# Under out/, not /tmp: the test host L1 has a private /tmp and must see the layer image.
mkdir -p "$KS_OUT/tmp" && work=$(mktemp -d "$KS_OUT/tmp/ks-agent-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin/katasharp-agentctl" make-rootfs "$work/rootfs"
mkfs.erofs --all-root -T0 "$work/busybox.erofs" "$work/rootfs" >/dev/null

ks_step "booting the test host; baseline agent in L1, then the guest ($execs execs each)"
bench_in_testhost 3600 bash "$BENCH_INNER/agent.sh" "$bin" "$kernel" "$initrd" "$work" "$execs"

v() { bench_value "$1"; }
ratio() { bench_ratio "$1" "$2" 1; }
bench_header agent "kernel $(cat "$kernel/kernel.release"), guest 2 vCPUs / 1 GiB in the nested test host"
echo "VM start → agent ready (host clock):         $(v vm_start_to_agent_ready_ms) ms"
echo "guest uptime when the agent served gRPC:     $(v vm_agent_ready_ms) ms"
echo "create+start → first stdout byte (median/5): $(v vm_create_start_first_byte_ms_median) ms in the VM, $(v baseline_create_start_first_byte_ms_median) ms baseline (ratio $(ratio "$(v vm_create_start_first_byte_ms_median)" "$(v baseline_create_start_first_byte_ms_median)"))"
echo "exec → first stdout byte p50 ($execs execs):   $(v vm_exec_first_byte_ms_p50) ms in the VM, $(v baseline_exec_first_byte_ms_p50) ms baseline (ratio $(ratio "$(v vm_exec_first_byte_ms_p50)" "$(v baseline_exec_first_byte_ms_p50)"))"
echo "exec → first stdout byte p99 ($execs execs):   $(v vm_exec_first_byte_ms_p99) ms in the VM, $(v baseline_exec_first_byte_ms_p99) ms baseline"
echo "agent RSS in the guest:                      $(( $(v vm_agent_rss_bytes) / 1024 )) KiB (baseline process in L1: $(( $(v baseline_agent_rss_bytes) / 1024 )) KiB)"
echo "initrd size:                                 $(stat -c %s "$initrd") bytes ($initrd)"
