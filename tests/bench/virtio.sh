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
. "$here/../../scripts/lib.sh"

vsock_mib="${BENCH_VSOCK_MIB:-256}"
disk_mib="${BENCH_DISK_MIB:-256}"
rtt_count="${BENCH_RTT_COUNT:-2000}"
for v in "$vsock_mib" "$disk_mib" "$rtt_count"; do
  [[ "$v" =~ ^[1-9][0-9]*$ ]] || ks_die "BENCH_VSOCK_MIB, BENCH_DISK_MIB and BENCH_RTT_COUNT must be positive numbers"
done
vsock_bytes=$((vsock_mib * 1024 * 1024))

ks_step "building katasharp-vmm, katasharp-testtool, the guest kernel and the initrd"
"$KS_ROOT/scripts/publish.sh" katasharp-vmm katasharp-testtool
vmm="$KS_OUT/bin/katasharp-vmm"
tool="$KS_OUT/bin/katasharp-testtool"
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
init=$(mktemp --suffix=.sh)
trap 'rm -f "$init"' EXIT
cat >"$init" <<INIT
#!/bin/sh
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
t0=\$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/vda of=/dev/null bs=1M 2>/dev/null
t1=\$(cut -d' ' -f1 /proc/uptime)
echo "guest-blk-read bytes=\$((\$(cat /sys/block/vda/size) * 512)) seconds=\$(awk -v a=\$t0 -v b=\$t1 'BEGIN { print b - a }')"
/bin/katasharp-testtool vsock-serve 5000 echo >/dev/null &
/bin/katasharp-testtool vsock-serve 5001 sink >/dev/null &
/bin/katasharp-testtool vsock-serve 5002 source:$vsock_bytes >/dev/null &
echo KATASHARP-BENCH-READY
/bin/katasharp-testtool vsock-serve 5999 sink --once >/dev/null
reboot -f
INIT
libs=()
for lib in /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 /lib64/ld-linux-x86-64.so.2; do libs+=(--file "$lib=$lib"); done
initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$init" --file "$tool=/bin/katasharp-testtool" "${libs[@]}")

# Runs inside the test host (L1). Its /tmp is a private tmpfs: the image is made there.
inner=$(cat <<INNER
set -e
d=\$(mktemp -d)
trap 'kill \$vmm_pid 2>/dev/null; rm -rf \$d' EXIT
yes katasharp | head -c $((disk_mib * 1024 * 1024)) >\$d/disk.img
t0=\$EPOCHREALTIME
dd if=\$d/disk.img of=/dev/null bs=1M 2>/dev/null
t1=\$EPOCHREALTIME
echo "host-blk-read bytes=\$(stat -c %s \$d/disk.img) seconds=\$(awk -v a=\$t0 -v b=\$t1 'BEGIN { print b - a }')"
$vmm --kernel $kernel/vmlinux --initrd $initrd --memory 512 --vcpus 2 --disk \$d/disk.img,ro \
  --vsock-socket \$d/v.sock >\$d/console 2>\$d/stderr &
vmm_pid=\$!
i=0
until grep -q KATASHARP-BENCH-READY \$d/console; do
  kill -0 \$vmm_pid 2>/dev/null || { cat \$d/console \$d/stderr; exit 1; }
  i=\$((i+1)); [ \$i -lt 6000 ] || { echo "no READY from the guest"; exit 1; }
  sleep 0.2
done
grep '^guest-blk-read' \$d/console
for i in \$(seq 50); do $tool hvsock-client \$d/v.sock 5000 rtt 1 10 >/dev/null 2>&1 && break; sleep 0.2; done
echo "host-to-guest \$($tool hvsock-client \$d/v.sock 5001 sink 1 $vsock_bytes)"
echo "guest-to-host \$($tool hvsock-client \$d/v.sock 5002 source 1 $vsock_bytes)"
echo "rtt \$($tool hvsock-client \$d/v.sock 5000 rtt 1 $rtt_count)"
$tool hvsock-client \$d/v.sock 5999 sink 1 1 >/dev/null
wait \$vmm_pid
INNER
)

ks_step "booting the test host, then the guest with a ${disk_mib} MiB disk and vsock"
errlog=$(mktemp)
trap 'rm -f "$init" "$errlog"' EXIT
if ! out=$("$KS_ROOT/tests/testhost/run.sh" --timeout 3600 -- "$inner" 2>"$errlog"); then
  tail -n 40 "$errlog" >&2
  echo "$out" | tail -n 40 >&2
  ks_die "the benchmark command failed inside the test host"
fi

field() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" <<<"$out" | head -n1; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { if (s + 0 == 0) print "n/a"; else printf "%.1f", b / s / 1e6 }'; }
guest_bytes=$(field guest-blk-read bytes); guest_s=$(field guest-blk-read seconds)
host_bytes=$(field host-blk-read bytes); host_s=$(field host-blk-read seconds)
guest_mbps=$(mbps "$guest_bytes" "$guest_s"); host_mbps=$(mbps "$host_bytes" "$host_s")

echo
echo "KataSharp virtio benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)), kernel $(cat "$kernel/kernel.release"), guest 2 vCPUs / 512 MiB in the nested test host"
echo "vsock host→guest (1 stream, ${vsock_mib} MiB):  $(field host-to-guest mbps) MB/s"
echo "vsock guest→host (1 stream, ${vsock_mib} MiB):  $(field guest-to-host mbps) MB/s"
echo "vsock round trip, 1-byte messages (${rtt_count}):  $(field rtt avg-us) µs average"
echo "virtio-blk sequential read in the guest:   ${guest_mbps} MB/s (${guest_bytes} bytes in ${guest_s} s, dd bs=1M)"
echo "same file read in the test host (L1):      ${host_mbps} MB/s (${host_bytes} bytes in ${host_s} s)"
echo "ratio guest / test host:                   $(awk -v g="$guest_mbps" -v h="$host_mbps" 'BEGIN { if (h + 0 == 0) print "n/a"; else printf "%.2f", g / h }')"
