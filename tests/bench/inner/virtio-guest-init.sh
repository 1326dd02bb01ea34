#!/bin/sh
# The guest's /init for tests/bench/virtio.sh (busybox sh, PID 1), under katasharp-vmm and QEMU microvm
# alike: reads its disk, then serves the vsock echo, sink and source ports until the host says it is
# done. /etc/bench.conf (built into the initrd by virtio.sh) sets vsock_bytes. With ks.vsock=off on the
# kernel command line (a VMM without a vsock device) it powers off after the read.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
. /etc/bench.conf
t0=$(cut -d' ' -f1 /proc/uptime)
dd if=/dev/vda of=/dev/null bs=1M 2>/dev/null
t1=$(cut -d' ' -f1 /proc/uptime)
echo "guest-blk-read bytes=$(($(cat /sys/block/vda/size) * 512)) seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
if grep -qw ks.vsock=off /proc/cmdline; then echo KATASHARP-BENCH-READY; reboot -f; fi
/bin/katasharp-testtool vsock-serve 5000 echo >/dev/null &
/bin/katasharp-testtool vsock-serve 5001 sink >/dev/null &
/bin/katasharp-testtool vsock-serve 5002 "source:$vsock_bytes" >/dev/null &
echo KATASHARP-BENCH-READY
/bin/katasharp-testtool vsock-serve 5999 sink --once >/dev/null
reboot -f
