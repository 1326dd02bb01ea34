#!/usr/bin/env bash
# Inside the test host (run by tests/bench/vmm-boot.sh): RUNS boots each of katasharp-vmm and QEMU
# microvm (same kernel, same initrd), each printing "<who> marker-seconds=S <marker line>", then one
# katasharp-vmm boot of MEM_INITRD for the memory reading: "memory rss-kib=R guest-kib=G".
# Usage: vmm-boot.sh VMM KERNEL_DIR INITRD MEM_INITRD RUNS
set -e
. "$(dirname "$0")/../../testhost/guest-ram.sh"
vmm="$1" kernel="$2" initrd="$3" mem_initrd="$4" runs="$5"
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
boot() {
  local who=$1 start line; shift
  start=$(date +%s.%N)
  "$@" 2>&1 | while IFS= read -r line; do
    case "$line" in *KATASHARP-GUEST-MARKER*) echo "$who marker-seconds=$(elapsed "$start") $line" ;; esac
  done
}
# Two command lines, the same for both VMMs: the full boot log on the console, and "quiet" as the
# shim boots sandboxes (every console byte is a VM exit, so the log costs guest time).
for _ in $(seq "$runs"); do
  for extra in "" quiet; do
    tag=${extra:+/quiet}
    boot "katasharp-vmm$tag" "$vmm" --kernel "$kernel/vmlinux" --initrd "$initrd" --vcpus 1 --memory 128 \
      --cmdline "console=ttyS0 reboot=k panic=-1 $extra"
    boot "qemu-microvm$tag" qemu-system-x86_64 -M microvm,acpi=off -enable-kvm -cpu host -m 128 -smp 1 -nodefaults -no-user-config \
      -nographic -serial stdio -no-reboot -kernel "$kernel/vmlinux" -initrd "$initrd" -append "console=ttyS0 reboot=t panic=-1 $extra"
  done
done

out=$(mktemp)
"$vmm" --kernel "$kernel/vmlinux" --initrd "$mem_initrd" --vcpus 1 --memory 128 >"$out" 2>&1 &
pid=$!
for _ in $(seq 3000); do grep -q KATASHARP-GUEST-MARKER "$out" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
grep -q KATASHARP-GUEST-MARKER "$out" || { cat "$out"; echo "the memory run never reached the marker" >&2; exit 1; }
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
guest=$(guest_ram_kib "$pid")
echo "memory rss-kib=$rss guest-kib=$guest"
wait "$pid"
rm -f "$out"
