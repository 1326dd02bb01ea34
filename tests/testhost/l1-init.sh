#!/bin/sh
# /init of the test host's L1 (busybox sh, PID 1). Loads the modules listed in
# /lib/modules/modules.load (dependencies first), makes the host's root (9p, read-only) writable
# with a tmpfs overlay, mounts the per-run spool share at the same path as on the host, chroots
# into it and execs the command agent. Parameters come from the kernel command line:
#   ksagent=<path of agent.sh on the host>  ksspool=<host path of the spool directory>
# Any failure here prints why and powers the machine off, so the host sees QEMU exit and
# reports the console tail.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

fail() {
  echo "ks-l1: FATAL: $*"
  echo b >/proc/sysrq-trigger
  exit 1
}
step() { echo "ks-l1: $*"; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

agent="" spool=""
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    ksagent=*) agent="${arg#ksagent=}" ;;
    ksspool=*) spool="${arg#ksspool=}" ;;
  esac
done
[ -n "$agent" ] && [ -n "$spool" ] || fail "ksagent= and ksspool= must be on the kernel command line"

step "loading $(wc -l </lib/modules/modules.load) modules"
# insmod does not read the kernel command line: a module's `name.param=value` words are passed here
# (modprobe's rule), so L1's module parameters can be set and varied from QEMU's -append.
while read -r mod; do
  params=$(tr ' ' '\n' </proc/cmdline | sed -n "s/^$mod\.//p")
  # shellcheck disable=SC2086 # one word per parameter
  insmod "/lib/modules/$mod.ko" $params || echo "ks-l1: warning: insmod $mod $params failed"
done </lib/modules/modules.load

# Holds one idle VM for L1's life so the tests' VMs never make KVM rewrite kernel text, which
# has hung L1 under TCG (kvm-keeper.c says how). Without /dev/kvm there is nothing to hold.
[ -c /dev/kvm ] && /bin/ks-kvm-keeper &

mkdir -p /mnt/lower /mnt/rw /mnt/root
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000 hostroot /mnt/lower \
  || fail "cannot mount the host root over 9p (mount tag hostroot)"
# tmpfs upper: everything L1 writes is thrown away with it.
mount -t tmpfs -o mode=755 tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work overlay /mnt/root \
  || fail "cannot mount the overlay root"

r=/mnt/root
# The repository (where agent.sh lives) must stay visible where the host has it, even under a
# path L1 mounts over below (a clone in /tmp, say): hold it here and put it back after them.
repo="${agent%/tests/testhost/agent.sh}"
mkdir -p /mnt/repo
mount --bind "$r$repo" /mnt/repo || fail "cannot see the repository $repo through the host root"
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts $r/dev/pts
ln -sf pts/ptmx $r/dev/ptmx 2>/dev/null
# What udev would make: bash's process substitution (<(...)) needs /dev/fd.
ln -sf /proc/self/fd $r/dev/fd
ln -sf /proc/self/fd/0 $r/dev/stdin
ln -sf /proc/self/fd/1 $r/dev/stdout
ln -sf /proc/self/fd/2 $r/dev/stderr
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t cgroup2 cgroup2 $r/sys/fs/cgroup || fail "cannot mount cgroup2"
# Enable every controller the kernel offers for child cgroups (containers, guests).
for c in $(cat $r/sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" >$r/sys/fs/cgroup/cgroup.subtree_control || echo "ks-l1: warning: cannot enable cgroup controller $c"
done
mount -t tmpfs -o mode=1777 tmpfs $r/tmp
mount -t tmpfs -o mode=755 tmpfs $r/run
mkdir -p $r/run/lock $r/var/lib/containerd
# containerd's overlayfs snapshotter refuses an overlay root: give it a real filesystem.
mount -t tmpfs -o mode=711 tmpfs $r/var/lib/containerd

[ -f "$r$agent" ] || { mkdir -p "$r$repo" && mount --move /mnt/repo "$r$repo"; }
[ -f "$r$agent" ] || fail "$agent is not visible inside L1 (the repository is under a path L1 mounts over)"

mkdir -p "$r$spool"
mount -t 9p -o trans=virtio,version=9p2000.L,rw,msize=512000 spool "$r$spool" \
  || fail "cannot mount the spool share at $spool"

port=""
for p in /sys/class/virtio-ports/*; do
  [ "$(cat "$p/name" 2>/dev/null)" = ksctl ] && port="/dev/$(basename "$p")"
done
[ -n "$port" ] && [ -c "$r$port" ] || fail "no virtio-serial port named ksctl"

ip link set lo up 2>/dev/null
hostname ks-testhost
step "root ready (kvm: $( [ -c /dev/kvm ] && echo yes || echo no )), starting the agent on $port"
# PID 1 chroots itself (exec, same process): kernel threads share PID 1's fs_struct (CLONE_FS), so
# usermode helpers (a cgroup release_agent, modprobe) resolve paths in the chroot from here on, not in
# the initramfs (measured by tests/testhost/shim/escape.sh's release-agent row).
exec chroot $r /bin/bash "$agent" --port "$port" --spool "$spool" --on-exit reboot
