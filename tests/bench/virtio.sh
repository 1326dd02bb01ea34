#!/usr/bin/env bash
# virtio device throughput inside the test host, with our guest kernel booted by katasharp-vmm:
#   - vsock host→guest and guest→host throughput (MB/s) over the hybrid socket, one stream of
#     BENCH_VSOCK_MIB (256) MiB each way, and the round-trip latency of 1-byte messages
#   - virtio-blk sequential read of a BENCH_DISK_MIB (256) MiB image in the guest (dd bs=1M, cold
#     guest cache) vs reading the same file in the test host (L1) itself, and the ratio
# Numbers, not pass/fail: everything runs under TCG (L1) and nested KVM (L2), so compare ratios.
# Usage: tests/bench/virtio.sh     (env: BENCH_VSOCK_MIB, BENCH_DISK_MIB, BENCH_RTT_COUNT)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/lib.sh"

vsock_mib="${BENCH_VSOCK_MIB:-256}"
disk_mib="${BENCH_DISK_MIB:-256}"
rtt_count="${BENCH_RTT_COUNT:-2000}"
bench_positive BENCH_VSOCK_MIB "$vsock_mib"
bench_positive BENCH_DISK_MIB "$disk_mib"
bench_positive BENCH_RTT_COUNT "$rtt_count"
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

ks_step "booting the test host, then the guest with a ${disk_mib} MiB disk and vsock"
bench_in_testhost 3600 bash "$BENCH_INNER/virtio.sh" "$vmm" "$tool" "$kernel" "$initrd" "$disk_mib" "$vsock_bytes" "$rtt_count"

field() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" <<<"$BENCH_OUT" | head -n1; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s + 0 == 0) print "n/a"; else printf "%.1f", b / s / 1e6 }'; }
guest_bytes=$(field guest-blk-read bytes); guest_s=$(field guest-blk-read seconds)
host_bytes=$(field host-blk-read bytes); host_s=$(field host-blk-read seconds)
guest_mbps=$(mbps "$guest_bytes" "$guest_s"); host_mbps=$(mbps "$host_bytes" "$host_s")

bench_header virtio "kernel $(cat "$kernel/kernel.release"), guest 2 vCPUs / 512 MiB in the nested test host"
echo "vsock host→guest (1 stream, ${vsock_mib} MiB):  $(field host-to-guest mbps) MB/s"
echo "vsock guest→host (1 stream, ${vsock_mib} MiB):  $(field guest-to-host mbps) MB/s"
echo "vsock round trip, 1-byte messages (${rtt_count}):  $(field rtt avg-us) µs average"
echo "virtio-blk sequential read in the guest:   ${guest_mbps} MB/s (${guest_bytes} bytes in ${guest_s} s, dd bs=1M)"
echo "same file read in the test host (L1):      ${host_mbps} MB/s (${host_bytes} bytes in ${host_s} s)"
echo "ratio guest / test host:                   $(bench_ratio "$guest_mbps" "$host_mbps")"
