#!/usr/bin/env bash
# The escape matrix (issue 10), inside the test host's L1 with real containerd: each attempt runs first
# under runc, the positive control (it must escape or see the host: otherwise the probe is broken),
# then under katasharp, where it must stay inside the VM. The host (L1) is checked around every row:
# canaries (a "host disk", a sysctl, a network interface, kernel module list, dmesg, a release_agent
# canary), L1's boot id, and for katasharp the shim's RSS and containerd's log size. Containment never
# relies on a seccomp profile: ctr applies none, and the containers are privileged.
#
# Output: key=value records (row_<name>_<runtime>=<verdict>, ..._evidence=...) for
# tests/KataSharp.Integration.Tests/Shim/EscapeMatrixTests, and the table on stderr:
#   row <name> <runtime> <verdict> <evidence>
# Verdicts: escaped (the host changed), host-view (the host's data or devices were visible),
# contained, patched (runc itself carries the fix for this CVE: no control possible), n/a (no such
# surface under runc, e.g. the guest agent).
#
# By hand:  sudo tests/testhost/run.sh --timeout 1800 -- "$PWD/tests/testhost/shim/escape.sh" \
#             --kernel-dir "$(guest-image/kernel/build-kernel.sh)" --initrd "$(guest-image/initrd/build-initrd.sh)"
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

PROBE_IMAGE=docker.io/library/ks-probe:latest
POD=ks-escape-pod
canary_img="" loopdev="" prop_dir=""

cleanup() {
  [ -n "$loopdev" ] && losetup -d "$loopdev" 2>/dev/null
  ip link del kscanary0 2>/dev/null
  [ -n "${dirty_before:-}" ] && echo "$dirty_before" >/proc/sys/vm/dirty_expire_centisecs
  [ -d /sys/module/dummy ] && rmmod dummy 2>/dev/null
  [ -n "$prop_dir" ] && { umount -R "$prop_dir" 2>/dev/null; }
  rm -f /tmp/ks-release-canary
  shim_env_stop
}
trap cleanup EXIT

rec() { printf '%s=%s\n' "$1" "$2"; }
flat() { tr -d '\r' | tr '\n' '|' | sed 's/|$//' | cut -c1-400; }
rows=()
row() { # name runtime verdict evidence
  local key="row_${1//-/_}_$2"
  rec "$key" "$3"; rec "${key}_evidence" "$4"
  rows+=("$(printf 'row %-16s %-9s %-9s %s' "$1" "$2" "$3" "$4")")
}

# ---- the probe image: busybox, katasharp-testtool (vsock probes) and its libraries, a host module ----
probe_image() {
  local layout="$ks_work/probe-layout" bundle="$ks_work/probe-bundle" a lib deb
  umoci init --layout "$layout" && umoci new --image "$layout:latest" \
    && umoci unpack --rootless --image "$layout:latest" "$bundle" >/dev/null || return 1
  mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/tmp" "$bundle/rootfs/proc" "$bundle/rootfs/sys" "$bundle/rootfs/dev"
  cp /bin/busybox "$bundle/rootfs/bin/busybox"
  for a in sh cat echo ls mount umount mkdir dd grep head sed tr printf chmod ps uname sleep rm touch \
      insmod lsmod rmmod mknod stat id ip sha256sum find wc hostname pwd cut; do
    ln -s busybox "$bundle/rootfs/bin/$a"
  done
  cp "$KS_BIN/katasharp-testtool" "$bundle/rootfs/bin/katasharp-testtool"
  for lib in $(ldd "$KS_BIN/katasharp-testtool" | grep -o '/[^ ]*'); do
    mkdir -p "$bundle/rootfs$(dirname "$lib")" && cp -L "$lib" "$bundle/rootfs$lib"
  done
  # A module built for L1's own kernel (from the kernel package the test host boots): loading it
  # from a container is a kernel-module escape when it lands in L1's kernel.
  deb=$(find /var/cache/katasharp/testhost/debs -name "linux-image-$(uname -r)_*.deb" 2>/dev/null | head -n1)
  [ -n "$deb" ] && dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards "*/kernel/drivers/net/dummy.ko" >"$bundle/rootfs/dummy.ko" 2>/dev/null
  umoci repack --image "$layout:latest" "$bundle" && umoci config --image "$layout:latest" --config.cmd /bin/sh || return 1
  tar -C "$layout" -cf "$ks_work/probe.tar" . && ctr image import --base-name docker.io/library/ks-probe "$ks_work/probe.tar" >/dev/null
}

# ---- host-side views ----
host_boot_id() { cat /proc/sys/kernel/random/boot_id; }
canary_sum() { sha256sum "$canary_img" | cut -c1-16; }
layer_sums() { find /var/lib/katasharp/layers -name '*.erofs' -exec sha256sum {} + 2>/dev/null | sort | sha256sum | cut -c1-16; }
host_bin_sums() { sha256sum /usr/local/bin/containerd-shim-katasharp-v2 "$(command -v runc)" "$(command -v containerd)" | sha256sum | cut -c1-16; }
sysrq_lines() { dmesg 2>/dev/null | grep -c 'sysrq: HELP'; }
l1_mounts() { grep -c . /proc/self/mountinfo; }
pod_shim() { ctr task ls | awk -v id="$POD" '$1 == id { print $2 }'; }
shim_rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$(pod_shim)/status" 2>/dev/null; }
ctd_log_bytes() { stat -c %s "$KS_CTD_RUN/containerd.log"; }

# ---- running attempts ----
# timeout runs the ctr binary, not env.sh's ctr function: the address is given here.
tctr() { ctr_within 300 "$@" </dev/null 2>&1; }
n=0
runc_run() { n=$((n + 1)); tctr run --rm --privileged "$@"; }
# katasharp: the long-lived privileged pod for plain attempts, extra containers in the same VM for
# attempts that need their own container options (no extra boot).
ks_exec() { n=$((n + 1)); tctr task exec --exec-id "x$n" "$POD" "$@"; }
ks_run() { n=$((n + 1)); tctr run --rm --privileged --runtime "$KS_RUNTIME" --annotation "io.kubernetes.cri.sandbox-id=$POD" "$@"; }
# A "contained" verdict needs proof that the attempt really ran in the guest (its shell printed
# KS-RAN at the end) or that katasharp refused the container: a probe that never ran proves nothing.
RAN='; echo KS-RAN'
ks_outcome() { # output → ran | refused | broken
  if printf '%s' "$1" | grep -q KS-RAN; then echo ran
  elif printf '%s' "$1" | grep -q 'failed to create shim task\|failed to create containerd task'; then echo refused
  else echo broken; fi
}
# row name katasharp contained|escaped|host-view evidence, unless the attempt's output shows it never ran
ks_row() { # name verdict evidence output
  if [ "$2" = contained ] && [ "$(ks_outcome "$4")" = broken ]; then row "$1" katasharp probe-failed "$(printf '%s' "$4" | flat)"
  else row "$1" katasharp "$2" "$3"; fi
}

shim_env_start || { echo "the test environment did not start" >&2; exit 1; }
probe_image >"$ks_work/probe-image.log" 2>&1 || { cat "$ks_work/probe-image.log" >&2; echo "the probe image could not be built" >&2; exit 1; }
rec runc_version "$(runc --version | head -n1)"

boot_id=$(host_boot_id)
canary_img="$ks_work/canary.img"
truncate -s 4M "$canary_img" && printf 'KS-CANARY-DISK' | dd of="$canary_img" conv=notrunc status=none
loopdev=$(losetup -f --show "$canary_img")
canary_before=$(canary_sum)
ip link add kscanary0 type veth peer name kscanary1
dirty_before=$(cat /proc/sys/vm/dirty_expire_centisecs)
rm -f /tmp/ks-release-canary

ctr run -d --privileged --runtime "$KS_RUNTIME" "$PROBE_IMAGE" "$POD" sleep 100000 </dev/null >"$ks_work/pod.out" 2>&1
for _ in $(seq 6000); do [ "$(ctr task ls | awk -v id="$POD" '$1 == id { print $3 }')" = RUNNING ] && break; sleep 0.1; done
rec pod_running "$([ "$(ctr task ls | awk -v id="$POD" '$1 == id { print $3 }')" = RUNNING ] && echo 1 || echo 0)"
layers_before=$(layer_sums)
bins_before=$(host_bin_sums)

# 1. kernel identity: the kernel a container talks to
out=$(runc_run "$PROBE_IMAGE" rc-id sh -c 'cat /proc/sys/kernel/random/boot_id; uname -r')
[ "$(printf '%s\n' "$out" | head -n1)" = "$boot_id" ] && row identity runc host-view "boot_id is L1's ($boot_id)" || row identity runc contained "$(printf '%s' "$out" | flat)"
out=$(ks_exec sh -c "cat /proc/sys/kernel/random/boot_id; uname -r$RAN")
guest_release=$(cat "$KS_KERNEL_DIR/kernel.release")
if [ "$(printf '%s\n' "$out" | head -n1)" != "$boot_id" ] && [ "$(printf '%s\n' "$out" | sed -n 2p)" = "$guest_release" ]; then
  ks_row identity contained "guest boot_id $(printf '%s\n' "$out" | head -n1), kernel $guest_release" "$out"
else row identity katasharp host-view "$(printf '%s' "$out" | flat)"; fi

# 2. host processes: joining the host's pid namespace by path
out=$(tctr run --rm --with-ns pid:/proc/1/ns/pid "$PROBE_IMAGE" rc-pidns ps -o comm)
c=$(printf '%s\n' "$out" | grep -c '^containerd')
[ "$c" -gt 0 ] && row host-pids runc host-view "$c containerd processes visible" || row host-pids runc contained "$(printf '%s' "$out" | flat)"
out=$(ks_run --with-ns pid:/proc/1/ns/pid "$PROBE_IMAGE" ks-pidns sh -c "ps -o comm$RAN")
c=$(printf '%s\n' "$out" | grep -c '^containerd')
[ "$c" -eq 0 ] && ks_row host-pids contained "no host process visible: $(printf '%s' "$out" | flat)" "$out" || row host-pids katasharp host-view "$c containerd processes visible"

# 3. a host disk (a loop device on L1 holding a canary), read and written by a privileged container
out=$(runc_run "$PROBE_IMAGE" rc-disk sh -c "dd if=$loopdev bs=14 count=1 2>/dev/null; echo; printf ESCAPED | dd of=$loopdev bs=1 seek=100 conv=notrunc 2>&1")
if [ "$(canary_sum)" != "$canary_before" ]; then row host-disk runc escaped "wrote L1's $loopdev"
elif printf '%s' "$out" | grep -q KS-CANARY-DISK; then row host-disk runc host-view "read L1's $loopdev"
else row host-disk runc contained "$(printf '%s' "$out" | flat)"; fi
dd if=/dev/zero of="$canary_img" bs=1 seek=100 count=7 conv=notrunc status=none; canary_before=$(canary_sum)
out=$(ks_exec sh -c 'for d in /dev/*; do [ -b "$d" ] || continue; echo "dev $d"; dd if="$d" bs=1M count=4 2>/dev/null | grep -c KS-CANARY-DISK; printf ESCAPED | dd of="$d" bs=1 seek=100 conv=notrunc 2>&1 | tail -n1; done; echo KS-RAN')
disk_out="$out"
if [ "$(canary_sum)" = "$canary_before" ] && ! printf '%s\n' "$out" | grep -qx '[1-9][0-9]*'; then
  ks_row host-disk contained "L1's disk unchanged and unseen; guest block devices: $(printf '%s\n' "$out" | grep '^dev' | cut -d' ' -f2 | paste -sd' ')" "$out"
else row host-disk katasharp escaped "$(printf '%s' "$out" | flat)"; fi

# 4. raw writes to every guest block device (the image layers): the host's layer images must not change
if [ "$(layer_sums)" = "$layers_before" ] && printf '%s\n' "$disk_out" | grep -q '^dev /dev/vd'; then
  ks_row guest-disks contained "every layer image unchanged after a write to each guest block device: $(printf '%s\n' "$disk_out" | awk '/^dev /{d=$2; next} /^[0-9]+$/||/KS-RAN/{next} {print d ": " $0}' | flat)" "$disk_out"
elif [ "$(layer_sums)" = "$layers_before" ]; then row guest-disks katasharp probe-failed "no guest block device was seen: $(printf '%s' "$disk_out" | flat)"
else row guest-disks katasharp escaped "a host layer image changed"; fi
row guest-disks runc n/a "runc has no guest disks (its host-disk row covers raw writes)"

# 5. a sysctl that is not namespaced
runc_run "$PROBE_IMAGE" rc-sysctl sh -c 'echo 2999 >/proc/sys/vm/dirty_expire_centisecs' >/dev/null
now=$(cat /proc/sys/vm/dirty_expire_centisecs)
[ "$now" != "$dirty_before" ] && row proc-sys runc escaped "L1's vm.dirty_expire_centisecs became $now" || row proc-sys runc contained "unchanged"
echo "$dirty_before" >/proc/sys/vm/dirty_expire_centisecs
out=$(ks_exec sh -c "echo 2999 >/proc/sys/vm/dirty_expire_centisecs; cat /proc/sys/vm/dirty_expire_centisecs$RAN")
now=$(cat /proc/sys/vm/dirty_expire_centisecs)
[ "$now" = "$dirty_before" ] && ks_row proc-sys contained "L1 unchanged ($now); the guest's became $(printf '%s' "$out" | flat)" "$out" || row proc-sys katasharp escaped "L1's became $now"

# 6. sysrq: a request to the kernel itself
before=$(sysrq_lines)
runc_run "$PROBE_IMAGE" rc-sysrq sh -c 'echo h >/proc/sysrq-trigger' >/dev/null
[ "$(sysrq_lines)" -gt "$before" ] && row sysrq runc escaped "L1's kernel printed its sysrq help" || row sysrq runc contained "no sysrq line in L1's dmesg"
before=$(sysrq_lines)
out=$(ks_exec sh -c "echo h >/proc/sysrq-trigger$RAN")
[ "$(sysrq_lines)" -eq "$before" ] && ks_row sysrq contained "L1's kernel untouched: $(printf '%s' "$out" | flat)" "$out" || row sysrq katasharp escaped "L1's kernel printed its sysrq help"

# 7. /dev/kvm: the host's hypervisor. A node proves nothing (a privileged spec lists L1's devices, and
# mknod makes any number): only an answer to the KVM API (KVM_GET_API_VERSION, a number) reaches a KVM.
# Under katasharp the container also makes the node itself: the guest kernel must have no KVM behind it.
kvm_attempt='for d in /dev/kvm /tmp/ks-kvm; do [ "$d" = /tmp/ks-kvm ] && { mknod /tmp/ks-kvm c 10 232 || continue; }; echo "$d: $(katasharp-testtool kvm-api-version "$d" 2>&1)"; done; rm -f /tmp/ks-kvm'
kvm_answered() { printf '%s\n' "$1" | grep -q '^/[^:]*: [0-9][0-9]*$'; }
out=$(runc_run "$PROBE_IMAGE" rc-kvm sh -c "$kvm_attempt")
kvm_answered "$out" && row dev-kvm runc host-view "L1's KVM answered from the container: $(printf '%s' "$out" | flat)" || row dev-kvm runc contained "$(printf '%s' "$out" | flat)"
out=$(ks_exec sh -c "$kvm_attempt$RAN")
kvm_answered "$out" && row dev-kvm katasharp host-view "a KVM answered: $(printf '%s' "$out" | flat)" || ks_row dev-kvm contained "no KVM API answered (spec node and mknod 10:232): $(printf '%s' "$out" | grep -v KS-RAN | flat)" "$out"

# 8. kernel module load
if [ -s "$ks_work/probe-bundle/rootfs/dummy.ko" ]; then
  out=$(runc_run "$PROBE_IMAGE" rc-insmod insmod /dummy.ko)
  [ -d /sys/module/dummy ] && row module-load runc escaped "dummy.ko loaded into L1's kernel" || row module-load runc contained "$(printf '%s' "$out" | flat)"
  rmmod dummy 2>/dev/null
  out=$(ks_exec sh -c "insmod /dummy.ko$RAN")
  [ -d /sys/module/dummy ] && row module-load katasharp escaped "dummy.ko loaded into L1's kernel" || ks_row module-load contained "L1 has no dummy module: $(printf '%s' "$out" | flat)" "$out"
else
  row module-load runc contained "no dummy.ko for L1's kernel $(uname -r) in the test host's kernel package"
  row module-load katasharp contained "not attempted"
fi

# 9. cgroup v1 release_agent (CVE-2022-0492 class): the kernel runs a program when a cgroup empties.
# A named v1 hierarchy (no controller) needs nothing of L1's cgroup v2 setup. The kernel runs the agent
# as root from kernel threads, whose "/" is PID 1's: in L1 that is the test host's chroot (l1-init.sh's
# PID 1 chroot-ed, and kernel threads share its fs_struct: measured, a path under the initramfs root is
# not found), so the payload path is the container's overlay upperdir exactly as mountinfo names it.
# The payload also appends to /ran (a file the container made, written through its upper inode, which
# the container sees) so the container stays, and keeps its payload, until the kernel has run it.
release_attempt='set -e; mkdir -p /cg; mount -t cgroup -o none,name=ksx cgroup /cg; mkdir -p /cg/x; echo 1 >/cg/x/notify_on_release
up=$(sed -n "s/.*upperdir=\([^,]*\).*/\1/p" /proc/self/mountinfo | head -n1); : >/ran
printf "#!/bin/sh\necho escaped >/tmp/ks-release-canary\necho ran >>$up/ran\n" >/payload; chmod +x /payload
echo "$up/payload" >/cg/release_agent; sh -c "echo \$\$ >/cg/x/cgroup.procs"; echo "armed $up/payload"
for i in $(seq 100); do [ -s /ran ] && break; sleep 0.1; done; [ -s /ran ] && echo payload-ran || echo payload-not-run'
out=$(runc_run "$PROBE_IMAGE" rc-release sh -c "$release_attempt")
for _ in $(seq 100); do [ -f /tmp/ks-release-canary ] && break; sleep 0.1; done
[ -f /tmp/ks-release-canary ] && row release-agent runc escaped "L1 ran the container's payload as root: $(printf '%s' "$out" | flat)" || row release-agent runc contained "$(printf '%s' "$out" | flat)"
rm -f /tmp/ks-release-canary
out=$(ks_exec sh -c "($release_attempt)$RAN")
for _ in $(seq 30); do [ -f /tmp/ks-release-canary ] && break; sleep 0.1; done
[ -f /tmp/ks-release-canary ] && row release-agent katasharp escaped "L1 ran the container's payload" || ks_row release-agent contained "L1 ran nothing: $(printf '%s' "$out" | grep -v KS-RAN | flat)" "$out"

# 10. cwd through a leaked fd (CVE-2024-21626 class)
leak=""
for fd in 3 4 5 6 7 8 9; do
  out=$(tctr run --rm --cwd "/proc/self/fd/$fd" "$PROBE_IMAGE" "rc-cwd-$fd" sh -c 'ls ../../.. 2>&1 | head -n 40')
  printf '%s\n' "$out" | grep -q 'cgroup.controllers\|containerd' && leak="fd $fd: $(printf '%s' "$out" | flat)"
done
if [ -n "$leak" ]; then row leaked-fd-cwd runc host-view "$leak"
else row leaked-fd-cwd runc patched "$(runc --version | head -n1) refuses a cwd outside the root (CVE-2024-21626 fix)"; fi
leak="" outs=""
for fd in 3 4 5 6 7 8 9; do
  out=$(ks_run --cwd "/proc/self/fd/$fd" "$PROBE_IMAGE" "ks-cwd-$fd" sh -c "ls ../../.. 2>&1 | head -n 40$RAN")
  printf '%s\n' "$out" | grep -q 'containerd\|katasharp' && leak="fd $fd: $(printf '%s' "$out" | flat)"
  [ "$(ks_outcome "$out")" = broken ] && outs="$out"
done
[ -z "$leak" ] && ks_row leaked-fd-cwd contained "no host path through fds 3-9 (each attempt ran in the guest or was refused)" "${outs:-KS-RAN}" || row leaked-fd-cwd katasharp host-view "$leak"

# 11. joining the host's network namespace by path (L1 has an interface named kscanary0)
out=$(tctr run --rm --with-ns network:/proc/1/ns/net "$PROBE_IMAGE" rc-netns ip link)
printf '%s' "$out" | grep -q kscanary0 && row host-netns runc host-view "L1's kscanary0 visible" || row host-netns runc contained "$(printf '%s' "$out" | flat)"
out=$(ks_run --with-ns network:/proc/1/ns/net "$PROBE_IMAGE" ks-netns sh -c "ip link$RAN")
printf '%s' "$out" | grep -q kscanary0 && row host-netns katasharp host-view "L1's kscanary0 visible" || ks_row host-netns contained "$(printf '%s' "$out" | flat)" "$out"

# 12. mount propagation: a shared L1 directory bound rshared, and a mount made inside the container.
# The container's root must be shared too (--rootfs-propagation shared, what Docker sets for an rshared
# bind): with runc's default rslave root the bind becomes a slave of L1's mount (measured: "shared:2
# master:1"), which receives L1's mounts but sends none back, and the row showed nothing.
prop_dir="$ks_work/prop"; mkdir -p "$prop_dir" && mount --bind "$prop_dir" "$prop_dir" && mount --make-shared "$prop_dir" && mkdir -p "$prop_dir/x"
prop_flags=(--rootfs-propagation shared --mount "type=bind,src=$prop_dir,dst=/prop,options=rbind:rshared")
out=$(runc_run "${prop_flags[@]}" "$PROBE_IMAGE" rc-prop sh -c 'grep " /prop " /proc/self/mountinfo | cut -d" " -f5-7; mount -t tmpfs ksprop /prop/x && echo mounted')
c=$(grep -c ' ksprop ' /proc/self/mountinfo)
[ "$c" -gt 0 ] && row mount-propagation runc escaped "the container's mount appeared on L1: $(printf '%s' "$out" | flat)" || row mount-propagation runc contained "$(printf '%s' "$out" | flat)"
umount "$prop_dir/x" 2>/dev/null
# katasharp: the same container (there is no shared filesystem, so the bind of an L1 directory is
# refused at Create, which the evidence must say), and one with a shared root and no L1 bind, whose
# own mount must stay in the guest.
bind_out=$(ks_run "${prop_flags[@]}" "$PROBE_IMAGE" ks-prop sh -c "mount -t tmpfs ksprop /prop/x$RAN")
out=$(ks_run --rootfs-propagation shared "$PROBE_IMAGE" ks-prop2 sh -c "mkdir -p /mnt && mount -t tmpfs ksprop /mnt && grep -c ' ksprop ' /proc/self/mountinfo$RAN")
c=$(grep -c ' ksprop ' /proc/self/mountinfo)
case "$(ks_outcome "$bind_out")" in
  refused) bind_said="the bind of L1's $prop_dir was refused at Create: $(printf '%s' "$bind_out" | grep -o 'NotImplemented.*\|bind mount.*' | head -n1 | cut -d';' -f1)" ;;
  ran) bind_said="the bind ran in the guest" ;;
  *) bind_said="" ;;
esac
if [ "$c" -gt 0 ]; then row mount-propagation katasharp escaped "the container's mount appeared on L1"
elif [ -z "$bind_said" ]; then row mount-propagation katasharp probe-failed "the bind attempt neither ran nor was refused: $(printf '%s' "$bind_out" | flat)"
elif [ "$(ks_outcome "$out")" != ran ]; then row mount-propagation katasharp probe-failed "the shared-root container did not run: $(printf '%s' "$out" | flat)"
else ks_row mount-propagation contained "no mount appeared on L1; $bind_said; a shared-root container's own tmpfs stayed in the guest (its mountinfo shows $(printf '%s\n' "$out" | head -n1))" "$out"; fi

# 13. the runtime binary through /proc/self/exe (CVE-2019-5736 class): an exec storm into a container
# whose /bin/probe-sh is "#!/proc/self/exe" (what made runc run itself inside the container)
row exe-overwrite runc patched "$(runc --version | head -n1) re-executes from a sealed memfd (CVE-2019-5736 fix)"
out=$(ks_exec sh -c "printf '#!/proc/self/exe\n' >/bin/probe-sh && chmod +x /bin/probe-sh$RAN")
for i in 1 2 3 4 5; do ks_exec /bin/probe-sh >/dev/null; done
[ "$(host_bin_sums)" = "$bins_before" ] && ks_row exe-overwrite contained "host shim, runc and containerd binaries unchanged after 5 execs of a #!/proc/self/exe script" "$out" || row exe-overwrite katasharp escaped "a host binary changed"

# 14. the guest agent's API from a container (exec into a sibling, create, destroy, OOM-event spoofing
# all need it): every vsock CID, the agent's ports (1027, port forwarding, answers any two bytes with one: any answer
# there is the agent's)
answered="" unknown=""
for cid in 1 2 3; do for port in 1024 1026 1027; do
  r=$(ks_exec katasharp-testtool vsock-probe "$cid" "$port" | tail -n1)
  rec "agent_api_${cid}_${port}" "$r"
  case "$port:$r" in
    *:answered-http2-settings|1027:answered-*) answered+="cid $cid port $port; " ;;
    *:refused*|*:closed*|*:connected-no-answer|*:answered-other) ;;
    *) unknown+="cid $cid port $port: $r; " ;;
  esac
done; done
if [ -n "$answered" ]; then row agent-api katasharp escaped "the agent answered: $answered"
elif [ -n "$unknown" ]; then row agent-api katasharp probe-failed "$unknown"
else row agent-api katasharp contained "no vsock peer answered (cid 1,2,3 x port 1024,1026,1027)"; fi
row agent-api runc n/a "runc has no guest agent"

# 15. a log flood at the host's log port: the shim's memory and containerd's log must stay bounded
rss_before=$(shim_rss_kib); log_before=$(ctd_log_bytes)
r=$(ks_exec katasharp-testtool vsock-flood 2 1025 200 | tail -n1)
rss_after=$(shim_rss_kib); log_after=$(ctd_log_bytes)
rec flood_result "$r"; rec flood_shim_rss_kib_before "$rss_before"; rec flood_shim_rss_kib_after "$rss_after"
rec flood_log_bytes_growth $((log_after - log_before))
if ! printf '%s' "$r" | grep -q '^sent \|^reset-after \|^refused'; then row log-flood katasharp probe-failed "$r"
elif [ -n "$rss_before" ] && [ -n "$rss_after" ] && [ $((rss_after - rss_before)) -lt 32768 ] && [ $((log_after - log_before)) -lt 1048576 ]; then
  row log-flood katasharp contained "200 MiB without a newline to host port 1025 ($r): shim RSS +$(( (rss_after - rss_before) / 1024 )) MiB, containerd log +$((log_after - log_before)) bytes"
else row log-flood katasharp escaped "shim RSS ${rss_before:-?} -> ${rss_after:-?} KiB, containerd log +$((log_after - log_before)) bytes ($r)"; fi
row log-flood runc n/a "runc has no guest log channel"

# ---- the host after everything ----
rec host_boot_id_unchanged "$([ "$(host_boot_id)" = "$boot_id" ] && echo 1 || echo 0)"
rec host_bins_unchanged "$([ "$(host_bin_sums)" = "$bins_before" ] && echo 1 || echo 0)"
rec pod_still_running "$([ "$(ctr task ls | awk -v id="$POD" '$1 == id { print $3 }')" = RUNNING ] && echo 1 || echo 0)"
ctr task kill -s KILL "$POD" >/dev/null 2>&1
for _ in $(seq 600); do [ "$(ctr task ls | awk -v id="$POD" '$1 == id { print $3 }')" = STOPPED ] && break; sleep 0.1; done
ctr task delete "$POD" >/dev/null 2>&1; ctr container delete "$POD" >/dev/null 2>&1

echo "--- escape matrix ---" >&2
printf '%s\n' "${rows[@]}" >&2
echo "--- shim and guest log (containerd's log) ---" >&2
shim_log_tail 80 >&2
vm_exits_record
exit 0
