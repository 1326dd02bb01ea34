#!/usr/bin/env bash
# Inside the test host (run by tests/bench/virtio.sh): reads a DISK_MIB MiB image in L1, then RUNS
# times boots the guest (inner/virtio-guest-init.sh) with it as a disk, alternately under
# katasharp-vmm and under QEMU microvm (same kernel, initrd, image, vCPUs and memory): every boot is
# a fresh guest, so its dd read of the disk is cold; then it measures vsock both ways and the round
# trip (ours over the hybrid socket, QEMU's vhost-vsock over AF_VSOCK from L1). Lines are
# "<who> guest-blk-read ...", "<who> host-to-guest ..." etc., who = katasharp-vmm | qemu-microvm.
# Its /tmp is a private tmpfs: the image is made there.
# Usage: virtio.sh VMM TESTTOOL KERNEL_DIR INITRD DISK_MIB VSOCK_BYTES RTT_COUNT RUNS
set -e
vmm="$1" tool="$2" kernel="$3" initrd="$4" disk_mib="$5" vsock_bytes="$6" rtt_count="$7" runs="$8"
d=$(mktemp -d)
vm_pid=""
trap '[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null; rm -rf "$d"' EXIT
yes katasharp | head -c $((disk_mib * 1024 * 1024)) >"$d/disk.img"
t0=$EPOCHREALTIME
dd if="$d/disk.img" of=/dev/null bs=1M 2>/dev/null
t1=$EPOCHREALTIME
echo "host-blk-read bytes=$(stat -c %s "$d/disk.img") seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"

# The guest's CID under QEMU: our VMM takes no CID in L1 (its vsock is a unix socket), so 3 is free.
qemu_cid=3
# QEMU's drive opened as our VMM opens the image (vmm/KataSharp.Vmm/Virtio/Devices/Block/FileBlockBackend.cs):
# no O_DIRECT, so reads go through L1's page cache (cache=writeback, i.e. cache.direct=off, the only mode that
# does), with blocking preads off the vCPU threads (aio=threads; our VMM has one blk0-io thread, QEMU a pool);
# read-only as we attach it (--disk IMG,ro). Our device advertises FLUSH as cache=writeback's does.
qemu_drive="id=d0,file=$d/disk.img,format=raw,if=none,readonly=on,cache=writeback,aio=threads"
# QEMU's vhost-vsock needs /dev/vhost-vsock in L1 (vhost_vsock is in tests/testhost/l1-modules.list); without
# it the QEMU guest gets ks.vsock=off, reads its disk and powers off, and the QEMU vsock lines are missing.
qemu_vsock=(-device "vhost-vsock-device,guest-cid=$qemu_cid") qemu_append=""
if [ ! -c /dev/vhost-vsock ]; then
  echo "note: no /dev/vhost-vsock in the test host: QEMU's vsock baseline is skipped" >&2
  qemu_vsock=() qemu_append=" ks.vsock=off"
fi

# guest WHO: one boot under WHO, printing its lines; returns when the guest has powered off.
guest() {
  local who="$1" client=() i=0
  rm -f "$d/console" "$d/v.sock"
  case "$who" in
    katasharp-vmm)
      "$vmm" --kernel "$kernel/vmlinux" --initrd "$initrd" --memory 512 --vcpus 2 --disk "$d/disk.img,ro" \
        --vsock-socket "$d/v.sock" >"$d/console" 2>"$d/stderr" &
      client=(hvsock-client "$d/v.sock") ;;
    qemu-microvm)
      # reboot=t (not our default reboot=k): a triple fault is what makes QEMU's -no-reboot end the VM.
      # force-legacy=false: a virtio 1.x (version 2) virtio-mmio transport, as ours is.
      qemu-system-x86_64 -M microvm,acpi=off -enable-kvm -cpu host -m 512 -smp 2 -nodefaults -no-user-config \
        -nographic -serial stdio -no-reboot -global virtio-mmio.force-legacy=false \
        -kernel "$kernel/vmlinux" -initrd "$initrd" -append "console=ttyS0 reboot=t panic=-1$qemu_append" \
        -drive "$qemu_drive" -device virtio-blk-device,drive=d0 "${qemu_vsock[@]}" \
        </dev/null >"$d/console" 2>"$d/stderr" &
      if [ ${#qemu_vsock[@]} -gt 0 ]; then client=(vsock-client "$qemu_cid"); fi ;;
  esac
  vm_pid=$!
  until grep -q KATASHARP-BENCH-READY "$d/console"; do
    # (a guest without vsock powers off right after READY: look once more before calling it an early end)
    kill -0 "$vm_pid" 2>/dev/null || grep -q KATASHARP-BENCH-READY "$d/console" \
      || { echo "$who ended before READY:"; cat "$d/console" "$d/stderr"; exit 1; }
    i=$((i + 1)); [ "$i" -lt 6000 ] || { echo "$who: no READY from the guest"; exit 1; }
    sleep 0.2
  done
  grep '^guest-blk-read' "$d/console" | tr -d '\r' | sed "s/^/$who /"
  if [ ${#client[@]} -gt 0 ]; then
    # the guest's listeners start just before READY: retry the first connection briefly
    for _ in $(seq 50); do "$tool" "${client[@]}" 5000 rtt 1 10 >/dev/null 2>&1 && break; sleep 0.2; done
    echo "$who host-to-guest $("$tool" "${client[@]}" 5001 sink 1 "$vsock_bytes")"
    echo "$who guest-to-host $("$tool" "${client[@]}" 5002 source 1 "$vsock_bytes")"
    echo "$who rtt $("$tool" "${client[@]}" 5000 rtt 1 "$rtt_count")"
    "$tool" "${client[@]}" 5999 sink 1 1 >/dev/null
  fi
  wait "$vm_pid" || { echo "$who ended with $?:"; cat "$d/stderr"; exit 1; }
  vm_pid=""
}

# Alternating VMMs, so a drift of L1's load hits both alike.
for _ in $(seq "$runs"); do
  guest katasharp-vmm
  guest qemu-microvm
done
