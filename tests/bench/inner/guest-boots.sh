#!/usr/bin/env bash
# Inside the test host (run by tests/bench/foundation.sh): boots the guest under QEMU microvm RUNS
# times per vCPU count and prints one line per boot with the wall time from QEMU's start to the
# marker line on the guest console: "boot vcpus=N marker-seconds=S <marker line>".
# Usage: guest-boots.sh KERNEL_DIR INITRD RUNS "VCPU_COUNTS"
set -e
kernel="$1" initrd="$2" runs="$3" vcpus_list="$4"
for n in $vcpus_list; do
  for _ in $(seq "$runs"); do
    start=$(date +%s.%N)
    qemu-system-x86_64 -M microvm,acpi=off -enable-kvm -cpu host -m 256 -smp "$n" -nodefaults -no-user-config \
      -nographic -serial stdio -no-reboot -kernel "$kernel/vmlinux" -initrd "$initrd" \
      -append 'console=ttyS0 reboot=t panic=-1' 2>&1 |
    while IFS= read -r line; do
      case "$line" in
        *KATASHARP-GUEST-MARKER*) echo "boot vcpus=$n marker-seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') $line" ;;
      esac
    done
  done
done
