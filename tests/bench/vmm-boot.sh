#!/usr/bin/env bash
# katasharp-vmm against QEMU microvm, inside the test host (same L1, same kernel, same initrd):
#   - boot time from process start to the /init marker line on the guest console, BENCH_RUNS (5)
#     boots each, medians and the ratio ours/QEMU (goal: at most 0.5)
#   - host memory of the katasharp-vmm process after boot with 1 vCPU / 128 MiB, excluding guest
#     RAM: VmRSS minus the resident pages of the guest-RAM mapping ([anon:katasharp-guest-ram]) (goal: at most 16 MiB)
# Usage: tests/bench/vmm-boot.sh     (env: BENCH_RUNS, BENCH_TIMEOUT seconds for the whole run, 1800)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

runs="${BENCH_RUNS:-5}"
bench_positive BENCH_RUNS "$runs"

ks_step "building katasharp-vmm, the guest kernel and the initrds"
"$KS_ROOT/scripts/publish.sh" katasharp-vmm
vmm="$KS_OUT/bin/katasharp-vmm"
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$KS_ROOT/guest-image/test-initrd/marker-init.sh")
# For the memory reading the guest must stay up a moment after the marker.
mem_initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$BENCH_INNER/lingering-init.sh")

ks_step "booting the test host, then $runs boots each of katasharp-vmm and QEMU microvm"
bench_in_testhost --timings "${BENCH_TIMEOUT:-1800}" bash "$BENCH_INNER/vmm-boot.sh" "$vmm" "$kernel" "$initrd" "$mem_initrd" "$runs"

# median_of WHO: the median marker time of every boot tagged WHO; uptime_of WHO: the guest's own.
median_of() { grep -o "^$1 marker-seconds=[0-9.]*" <<<"$BENCH_OUT" | sed 's/.*=//' | bench_median; }
all_of() { grep -o "^$1 marker-seconds=[0-9.]*" <<<"$BENCH_OUT" | sed 's/.*=//' | tr '\n' ' '; }
uptime_of() { grep "^$1 " <<<"$BENCH_OUT" | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p' | bench_median; }
rss=$(sed -n 's/^memory rss-kib=\([0-9]*\).*/\1/p' <<<"$BENCH_OUT")
guest=$(sed -n 's/.*guest-kib=\([0-9]*\).*/\1/p' <<<"$BENCH_OUT")

bench_header VMM "kernel $(cat "$kernel/kernel.release"), 1 vCPU, 128 MiB"
for variant in "" /quiet; do
  ours=$(median_of "katasharp-vmm$variant") theirs=$(median_of "qemu-microvm$variant")
  label=${variant:+ (cmdline + quiet, as the shim boots)}
  echo "boot to /init marker${label:-" (full console log)"}:"
  echo "  katasharp-vmm:  median ${ours} s of $runs (all: $(all_of "katasharp-vmm$variant")) guest uptime at marker $(uptime_of "katasharp-vmm$variant") s"
  echo "  QEMU microvm:   median ${theirs} s of $runs (all: $(all_of "qemu-microvm$variant")) guest uptime at marker $(uptime_of "qemu-microvm$variant") s"
  echo "  ratio katasharp-vmm / QEMU: $(bench_ratio "$ours" "$theirs")   (goal: at most 0.50)"
done
echo "katasharp-vmm host memory after boot: RSS $((rss / 1024)) MiB, of which guest RAM $((guest / 1024)) MiB; VMM itself $(((rss - guest) / 1024)) MiB ($((rss - guest)) KiB)   (goal: at most 16 MiB)"
