#!/bin/sh
# The guest's /init for the QEMU baseline of tests/bench/pod-network.sh (busybox sh, PID 1): the same
# guest kernel as a katasharp pod, booted by QEMU microvm with a virtio-net device on a tap that tc
# mirred joins to a veth on the pod bridge (the shim's own wiring). It configures eth0 from the
# kernel command line (ks.ip=ADDR/PREFIX ks.gw=GATEWAY) and sends one stream exactly as a pod's
# sender does (busybox nc -e timeout SECONDS dd bs=64k to ks.dst:ks.port), then powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^ks\.$1=//p"; }
ip link set lo up
ip addr add "$(arg ip)" dev eth0
ip link set eth0 up
ip route add default via "$(arg gw)"
echo "KATASHARP-QEMU-NET-UP $(ip -o addr show dev eth0 | grep -o 'inet [^ ]*') mtu=$(cat /sys/class/net/eth0/mtu)"
i=0
while :; do
  nc "$(arg dst)" "$(arg port)" -e timeout "$(arg seconds)" dd if=/dev/zero bs=64k 2>/dev/null
  [ $? != 1 ] && break
  i=$((i + 1)); [ $i -ge 600 ] && { echo "KATASHARP-QEMU-NET cannot connect to $(arg dst):$(arg port)"; break; }
  sleep 0.1
done
echo KATASHARP-QEMU-NET-DONE
reboot -f
