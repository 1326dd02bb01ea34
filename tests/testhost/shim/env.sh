#!/usr/bin/env bash
# Sourced by e2e.sh, cri.sh and bench.sh (this folder), inside the test host's L1 (as root): a private
# containerd 1.6 (own root, state and sockets), KataSharp installed with `katasharp install`
# exactly as a user would, and a locally built busybox image imported with `ctr image import`.
#
# Needs (as the script's arguments --bin, --kernel-dir, --initrd, or as variables):
#        KS_BIN (published binaries: katasharp, containerd-shim-katasharp-v2; default out/bin),
#        KS_KERNEL_DIR (guest-image/kernel/build-kernel.sh output: vmlinux, kernel.release),
#        KS_INITRD (guest-image/initrd/build-initrd.sh output).
# Gives: ctr (function, talks to our containerd), KS_IMAGE, KS_RUNTIME, KS_CTD_RUN, shim_env_stop.
# Optional: KS_CTD_EXTRA_TOML (appended to the private containerd config before `katasharp install`).
set -uo pipefail

# The sourcing script's arguments (sourced without arguments, this file sees and consumes them).
KS_BIN="${KS_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/out/bin}"
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel-dir) KS_KERNEL_DIR="$2"; shift 2 ;;
    --initrd) KS_INITRD="$2"; shift 2 ;;
    --bin) KS_BIN="$2"; shift 2 ;;
    *) echo "$(basename "$0"): unknown argument $1 (known: --kernel-dir DIR, --initrd FILE, --bin DIR)" >&2; exit 2 ;;
  esac
done

: "${KS_BIN:?KS_BIN must name the directory of the published binaries (out/bin)}"
: "${KS_KERNEL_DIR:?KS_KERNEL_DIR must name the guest kernel cache directory (guest-image/kernel/build-kernel.sh prints it)}"
: "${KS_INITRD:?KS_INITRD must name the guest initrd (guest-image/initrd/build-initrd.sh prints it)}"

KS_RUNTIME=io.containerd.katasharp.v2
KS_IMAGE=docker.io/library/busybox:latest
KS_CTD_RUN=/run/ks-e2e
ks_work=$(mktemp -d /tmp/ks-e2e.XXXXXX)
ctd_pid=""
# Shim sockets (containerd's /run/containerd/s) that were there before this scenario: another
# scenario's leftovers (runc's shim leaves its socket after kill -9) are not this one's to count.
ks_sockets_before=$(find /run/containerd/s -type s 2>/dev/null | sort)
new_shim_sockets() {
  local s
  find /run/containerd/s -type s 2>/dev/null | sort | while IFS= read -r s; do
    case $'\n'"$ks_sockets_before"$'\n' in *$'\n'"$s"$'\n'*) ;; *) printf '%s\n' "$s" ;; esac
  done
}

# In the nested test host (L1 under QEMU's TCG, which emulates AMD SVM for L1's KVM) a guest now and
# then triple-faults while it boots, and L1's own kernel has crashed in a vCPU thread as well; boots
# without nesting are not affected. Only there do the cycles give such a boot one more try (recorded).
ks_nested_test_host() { grep -q 'ksagent=' /proc/cmdline; }
# The error `ctr run` prints for that crash (VmSandboxBackend: the VM stopped during boot).
KS_BOOT_TRIPLE_FAULT='the guest did not come up: the VM stopped during boot (GuestShutdown'

ctr() { command ctr --address "$KS_CTD_RUN/containerd.sock" "$@"; }

shim_env_stop() {
  local id
  # Whatever is still there (a failed check): tasks killed, containers removed, then containerd.
  if [ -n "$ctd_pid" ] && kill -0 "$ctd_pid" 2>/dev/null; then
    for id in $(ctr task ls -q 2>/dev/null); do ctr task kill -s KILL "$id" >/dev/null 2>&1; ctr task delete -f "$id" >/dev/null 2>&1; done
    for id in $(ctr container ls -q 2>/dev/null); do ctr container delete "$id" >/dev/null 2>&1; done
    kill "$ctd_pid" 2>/dev/null
    wait "$ctd_pid" 2>/dev/null
  fi
  pkill_shims
  # the test host's next scenario starts clean (the reference runc kill -9 leaves its socket)
  new_shim_sockets | xargs -r rm -f
  rm -rf "$ks_work"
}

# Pids of running katasharp shims, by executable (the name is too long for pgrep -x). One find,
# not a readlink per process: forks are slow in L1 under TCG, and the cycles call this often.
shim_pids() {
  find /proc -mindepth 2 -maxdepth 2 -name exe -lname '*/containerd-shim-katasharp-v2' 2>/dev/null | cut -d/ -f3
  return 0
}

# containerd reaps a shim after the delete returned: up to 10 s for every katasharp shim to be gone.
wait_shims_gone() {
  local _
  for _ in $(seq 100); do [ -z "$(shim_pids)" ] && return 0; sleep 0.1; done
  return 1
}

# Only shims of this run (their cwd is a bundle under our state directory), never anything else.
pkill_shims() {
  local p
  for p in $(shim_pids); do
    case "$(readlink "/proc/$p/cwd" 2>/dev/null)" in "$KS_CTD_RUN"/*) kill -KILL "$p" 2>/dev/null ;; esac
  done
}

busybox_image() {
  local layout="$ks_work/layout" bundle="$ks_work/bundle" a
  umoci init --layout "$layout" && umoci new --image "$layout:latest" \
    && umoci unpack --rootless --image "$layout:latest" "$bundle" >/dev/null || return 1
  mkdir -p "$bundle/rootfs/bin" && cp /bin/busybox "$bundle/rootfs/bin/busybox"
  for a in sh uname cat echo true false ls sleep id ps tty stty head wc grep; do ln -s busybox "$bundle/rootfs/bin/$a"; done
  umoci repack --image "$layout:latest" "$bundle" && umoci config --image "$layout:latest" --config.cmd /bin/sh || return 1
  tar -C "$layout" -cf "$ks_work/busybox.tar" .
}

shim_env_start() {
  mkdir -p "$KS_CTD_RUN"
  export PATH="/usr/local/bin:$PATH"
  local config="$ks_work/containerd.toml"
  cat >"$config" <<TOML
version = 2
root = "$ks_work/containerd-root"
state = "$KS_CTD_RUN/state"
[grpc]
  address = "$KS_CTD_RUN/containerd.sock"
[ttrpc]
  address = "$KS_CTD_RUN/containerd.sock.ttrpc"
TOML
  # Optional (cri.sh): more containerd configuration, e.g. the CRI plugin's, before the install step.
  if [ -n "${KS_CTD_EXTRA_TOML:-}" ]; then printf '%s\n' "$KS_CTD_EXTRA_TOML" >>"$config"; fi
  # The user's install step: binaries, guest assets, default configuration, containerd registration.
  "$KS_BIN/katasharp" install --kernel "$KS_KERNEL_DIR/vmlinux" --initrd "$KS_INITRD" --containerd-config "$config" \
    >"$ks_work/install.log" 2>&1 || { cat "$ks_work/install.log" >&2; return 1; }
  # Nested TCG boots are slow, and slower still while L1 is busy: an admin's edit of the installed
  # configuration (the agent's first answer too: 30 s was once not enough).
  sed -i -e "s/^boot_timeout_seconds = .*/boot_timeout_seconds = ${KS_BOOT_TIMEOUT:-300}/" \
    -e "s/^ready_timeout_seconds = .*/ready_timeout_seconds = ${KS_READY_TIMEOUT:-120}/" \
    -e "s/^request_timeout_seconds = .*/request_timeout_seconds = ${KS_REQUEST_TIMEOUT:-300}/" /etc/katasharp/configuration.toml
  containerd --config "$config" >"$ks_work/containerd.log" 2>&1 &
  ctd_pid=$!
  local i
  for i in $(seq 300); do
    [ -S "$KS_CTD_RUN/containerd.sock" ] && ctr version >/dev/null 2>&1 && break
    kill -0 "$ctd_pid" 2>/dev/null || { echo "containerd exited at start-up" >&2; tail -30 "$ks_work/containerd.log" >&2; return 1; }
    sleep 0.1
  done
  busybox_image >"$ks_work/image.log" 2>&1 || { cat "$ks_work/image.log" >&2; return 1; }
  ctr image import --base-name docker.io/library/busybox "$ks_work/busybox.tar" >/dev/null || return 1
}

# The shim and guest lines of containerd's log (the shim's stderr goes there through the log FIFO).
shim_log_tail() { grep -a 'runtime=io.containerd.katasharp.v2\|katasharp' "$ks_work/containerd.log" | tail -n "${1:-60}"; }

# Every VM exit the shim did not ask for: it logs "sandbox VM exited: <reason>" with the vCPU's
# registers and the guest console's last lines (one log line, newlines escaped). Recorded as
# vm_exits (count), vm_exit_reasons (GuestShutdown,...) and vm_exit_first (the first one's line), and
# the first one in full on stderr.
vm_exits_record() {
  local exits
  exits=$(grep -a 'msg="sandbox VM exited: ' "$ks_work/containerd.log")
  printf 'vm_exits=%s\n' "$(printf '%s' "$exits" | grep -c .)"
  printf 'vm_exit_reasons=%s\n' "$(printf '%s\n' "$exits" | sed -n 's/.*msg="sandbox VM exited: \([A-Za-z]*\):.*/\1/p' | paste -sd, -)"
  printf 'vm_exit_first=%s\n' "$(printf '%s\n' "$exits" | head -n1 | sed -n 's/.*msg="sandbox VM exited: \([^\\"]*\).*/\1/p')"
  if [ -n "$exits" ]; then
    echo "--- the first unexpected VM exit (shim log) ---" >&2
    printf '%s\n' "$exits" | head -n1 | sed 's/.*msg="sandbox VM exited: //; s/" sandbox=.*//; s/\\n/\n/g; s/\\"/"/g' >&2
  fi
}
