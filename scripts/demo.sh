#!/usr/bin/env bash
# The README's main command: installs whatever is missing, builds the guest kernel, the guest
# initrd and the binaries, then runs a busybox container in a KataSharp microVM with containerd's
# `ctr run --runtime io.containerd.katasharp.v2`. On a machine without VT-x/AMD-V this runs inside
# the nested test host (QEMU TCG with SVM, where kvm_amd gives a real /dev/kvm) and says so.
# Usage: scripts/demo.sh [command to run in the container...]   (default: a short tour)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KS_ROOT"
ks_need_root

ks_step "1/4 Debian packages"
scripts/install-deps.sh all

ks_step "2/4 guest kernel"
kernel_dir=$(guest-image/kernel/build-kernel.sh)

ks_step "3/4 binaries (NativeAOT) and the guest initrd"
# Only what the demo runs: the shim and `katasharp install` on the host, the agent, ks-init and ks-spawn in
# the initrd. The test tools (katasharp-testtool, -agentctl, -criprobe) and katasharp-vmm are for the tests.
scripts/publish.sh containerd-shim-katasharp-v2 katasharp katasharp-agent ks-init ks-spawn
initrd=$(guest-image/initrd/build-initrd.sh --no-publish)

ks_step "4/4 a container in a microVM"
inner=("$KS_ROOT/scripts/demo-container.sh" --kernel "$kernel_dir/vmlinux" --initrd "$initrd" --bin "$KS_OUT/bin")
if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -c /dev/kvm ] && [ -z "${KATASHARP_TESTHOST_MODE:-}" ]; then
  ks_log "hardware virtualization found: running directly on this machine"
else
  ks_log "no hardware virtualization here (or KATASHARP_TESTHOST_MODE is set): running inside the nested"
  ks_log "test host — QEMU TCG with SVM, where kvm_amd gives a real /dev/kvm. Slow (software CPU), but real."
  inner+=(--boot-timeout 600)
fi
inner+=(--)
[ $# -gt 0 ] && inner+=("$@")
exec tests/testhost/run.sh --timeout "${KATASHARP_DEMO_TIMEOUT:-1500}" -- "${inner[@]}"
