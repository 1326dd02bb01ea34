#!/bin/sh
# A guest /init for tests/bench/vmm-boot.sh's memory reading: the marker, then 20 s up before it reboots.
mount -t proc proc /proc
echo "KATASHARP-GUEST-MARKER nproc=$(nproc)"
sleep 20
reboot -f
