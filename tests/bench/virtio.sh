#!/usr/bin/env bash
# virtio device throughput inside the test host, with our guest kernel booted by katasharp-vmm and,
# as the baseline (issue 15: goal at least 0.8x QEMU), by QEMU microvm in the same run (same L1,
# kernel, initrd, disk image, 2 vCPUs / 512 MiB), BENCH_RUNS (3) boots each, alternating, medians:
#   - vsock host→guest and guest→host throughput (MB/s), one stream of BENCH_VSOCK_MIB (256) MiB
#     each way, and the round-trip latency of 1-byte messages: ours over the hybrid socket, QEMU's
#     vhost-vsock (-device vhost-vsock-device) over AF_VSOCK from L1 (katasharp-testtool vsock-client)
#   - virtio-blk sequential read of a BENCH_DISK_MIB (256) MiB image in the guest (dd bs=1M, a fresh
#     boot so the guest's cache is cold) under both VMMs (QEMU's drive opened as ours opens the image:
#     see inner/virtio.sh), and vs reading the same file in the test host (L1) itself
# Numbers, not pass/fail: everything runs under TCG (L1) and nested KVM (L2), so compare ratios.
# Usage: tests/bench/virtio.sh     (env: BENCH_VSOCK_MIB, BENCH_DISK_MIB, BENCH_RTT_COUNT, BENCH_RUNS)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

vsock_mib="${BENCH_VSOCK_MIB:-256}"
disk_mib="${BENCH_DISK_MIB:-256}"
rtt_count="${BENCH_RTT_COUNT:-2000}"
runs="${BENCH_RUNS:-3}"
bench_positive BENCH_VSOCK_MIB "$vsock_mib"
bench_positive BENCH_DISK_MIB "$disk_mib"
bench_positive BENCH_RTT_COUNT "$rtt_count"
bench_positive BENCH_RUNS "$runs"
vsock_bytes=$((vsock_mib * 1024 * 1024))

ks_step "building katasharp-vmm, katasharp-testtool, the guest kernel and the initrd"
"$KS_ROOT/scripts/publish.sh" katasharp-vmm katasharp-testtool
vmm="$KS_OUT/bin/katasharp-vmm"
tool="$KS_OUT/bin/katasharp-testtool"
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
# The guest's /init is inner/virtio-guest-init.sh; what it must know comes in /etc/bench.conf.
conf=$(mktemp)
trap 'rm -f "$conf"' EXIT
echo "vsock_bytes=$vsock_bytes" >"$conf"
libs=()
for lib in /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 /lib64/ld-linux-x86-64.so.2; do libs+=(--file "$lib=$lib"); done
initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$BENCH_INNER/virtio-guest-init.sh" \
  --file "$conf=/etc/bench.conf" --file "$tool=/bin/katasharp-testtool" "${libs[@]}")

ks_step "booting the test host, then $runs guests each under katasharp-vmm and QEMU microvm with a ${disk_mib} MiB disk and vsock"
bench_in_testhost 3600 bash "$BENCH_INNER/virtio.sh" "$vmm" "$tool" "$kernel" "$initrd" "$disk_mib" "$vsock_bytes" "$rtt_count" "$runs"

# runs_of WHO WHAT KEY: KEY's value on every "WHO WHAT ..." line (one per boot); blk_runs WHO: each boot's read in MB/s.
runs_of() { sed -n "s/^$1 $2\( .*\)\? $3=\([0-9.]*\).*/\2/p" <<<"$BENCH_OUT"; }
blk_runs() { paste -d' ' <(runs_of "$1" guest-blk-read bytes) <(runs_of "$1" guest-blk-read seconds) | awk '$2 > 0 { printf "%.1f\n", $1 / $2 / 1e6 }'; }
median() { bench_median 1; }
all() { paste -sd' ' -; }
host_bytes=$(sed -n 's/^host-blk-read bytes=\([0-9]*\).*/\1/p' <<<"$BENCH_OUT")
host_s=$(sed -n 's/^host-blk-read .*seconds=\([0-9.]*\).*/\1/p' <<<"$BENCH_OUT")
host_mbps=$(awk -v b="$host_bytes" -v s="$host_s" 'BEGIN { if (s + 0 == 0) print "n/a"; else printf "%.1f", b / s / 1e6 }')
guest_bytes=$(runs_of katasharp-vmm guest-blk-read bytes | head -n1)
ours_blk=$(blk_runs katasharp-vmm | median) qemu_blk=$(blk_runs qemu-microvm | median)
# vsock_line DIRECTION LABEL: ours and QEMU's median MB/s and the ratio (QEMU's "n/a" without /dev/vhost-vsock in L1).
vsock_line() {
  local ours qemu
  ours=$(runs_of katasharp-vmm "$1" mbps | median) qemu=$(runs_of qemu-microvm "$1" mbps | median)
  echo "$2  ${ours} MB/s (all: $(runs_of katasharp-vmm "$1" mbps | all))"
  echo "  QEMU vhost-vsock:                        ${qemu} MB/s (all: $(runs_of qemu-microvm "$1" mbps | all))   ratio ours / QEMU: $(bench_ratio "$ours" "$qemu")   (goal: at least 0.80)"
}
ours_rtt=$(runs_of katasharp-vmm rtt avg-us | median) qemu_rtt=$(runs_of qemu-microvm rtt avg-us | median)

bench_header virtio "kernel $(cat "$kernel/kernel.release"), guest 2 vCPUs / 512 MiB in the nested test host, medians of $runs boots per VMM"
vsock_line host-to-guest "vsock host→guest (1 stream, ${vsock_mib} MiB):"
vsock_line guest-to-host "vsock guest→host (1 stream, ${vsock_mib} MiB):"
echo "vsock round trip, 1-byte messages (${rtt_count}):  ${ours_rtt} µs average"
echo "  QEMU vhost-vsock:                        ${qemu_rtt} µs average   ratio ours / QEMU as a rate (QEMU µs / ours µs): $(bench_ratio "$qemu_rtt" "$ours_rtt")"
echo "virtio-blk sequential read in the guest:   ${ours_blk} MB/s (all: $(blk_runs katasharp-vmm | all); ${guest_bytes} bytes, dd bs=1M, cold guest cache)"
echo "  QEMU microvm virtio-blk, same read:      ${qemu_blk} MB/s (all: $(blk_runs qemu-microvm | all); cache=writeback,aio=threads as ours)"
echo "  ratio ours / QEMU:                       $(bench_ratio "$ours_blk" "$qemu_blk")   (goal: at least 0.80)"
echo "same file read in the test host (L1):      ${host_mbps} MB/s (${host_bytes} bytes in ${host_s} s)"
echo "ratio guest / test host:                   $(bench_ratio "$ours_blk" "$host_mbps")"
