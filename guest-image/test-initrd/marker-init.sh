#!/bin/sh
# A /init for boot tests and benchmarks: proves the guest reached userspace and says what it
# runs on, then resets the machine (with reboot=k and -no-reboot the VMM exits; poweroff would
# leave QEMU microvm running). The marker line is what tests wait for.
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo "KATASHARP-GUEST-MARKER release=$(uname -r) nproc=$(nproc) uptime=$(cut -d' ' -f1 /proc/uptime)"
reboot -f
