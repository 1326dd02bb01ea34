#!/usr/bin/env bash
# Inside the test host (run by tests/bench/virtio.sh): reads a DISK_MIB MiB image in L1, then boots
# the guest (inner/virtio-guest-init.sh) with it as a disk and measures vsock both ways and the
# round trip. Its /tmp is a private tmpfs: the image is made there.
# Usage: virtio.sh VMM TESTTOOL KERNEL_DIR INITRD DISK_MIB VSOCK_BYTES RTT_COUNT
set -e
vmm="$1" tool="$2" kernel="$3" initrd="$4" disk_mib="$5" vsock_bytes="$6" rtt_count="$7"
d=$(mktemp -d)
vmm_pid=""
trap 'kill $vmm_pid 2>/dev/null; rm -rf "$d"' EXIT
yes katasharp | head -c $((disk_mib * 1024 * 1024)) >"$d/disk.img"
t0=$EPOCHREALTIME
dd if="$d/disk.img" of=/dev/null bs=1M 2>/dev/null
t1=$EPOCHREALTIME
echo "host-blk-read bytes=$(stat -c %s "$d/disk.img") seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
"$vmm" --kernel "$kernel/vmlinux" --initrd "$initrd" --memory 512 --vcpus 2 --disk "$d/disk.img,ro" \
  --vsock-socket "$d/v.sock" >"$d/console" 2>"$d/stderr" &
vmm_pid=$!
i=0
until grep -q KATASHARP-BENCH-READY "$d/console"; do
  kill -0 "$vmm_pid" 2>/dev/null || { cat "$d/console" "$d/stderr"; exit 1; }
  i=$((i + 1)); [ "$i" -lt 6000 ] || { echo "no READY from the guest"; exit 1; }
  sleep 0.2
done
grep '^guest-blk-read' "$d/console"
for _ in $(seq 50); do "$tool" hvsock-client "$d/v.sock" 5000 rtt 1 10 >/dev/null 2>&1 && break; sleep 0.2; done
echo "host-to-guest $("$tool" hvsock-client "$d/v.sock" 5001 sink 1 "$vsock_bytes")"
echo "guest-to-host $("$tool" hvsock-client "$d/v.sock" 5002 source 1 "$vsock_bytes")"
echo "rtt $("$tool" hvsock-client "$d/v.sock" 5000 rtt 1 "$rtt_count")"
"$tool" hvsock-client "$d/v.sock" 5999 sink 1 1 >/dev/null
wait "$vmm_pid"
