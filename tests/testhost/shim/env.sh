#!/usr/bin/env bash
# Sourced by e2e.sh, cri.sh, bench.sh and density.sh (this folder), inside the test host's L1 (as root): a private
# containerd 1.6 (scripts/lib-containerd.sh: own root, state and sockets in this scenario's own
# directory), KataSharp installed with `katasharp install` exactly as a user would, and the locally
# built busybox image of lib-containerd.sh imported with `ctr image import`.
#
# Needs (as the script's arguments --bin, --kernel-dir, --initrd, or as variables):
#        KS_BIN (published binaries: katasharp, containerd-shim-katasharp-v2; default out/bin),
#        KS_KERNEL_DIR (guest-image/kernel/build-kernel.sh output: vmlinux, kernel.release),
#        KS_INITRD (guest-image/initrd/build-initrd.sh output).
#        --debug-initrd FILE: an initrd built with KATASHARP_INITRD_DEBUG_SHELL=1 (a shell for the debug console;
#        e2e.sh boots its long-running pod from it with [runtime] debug_console = true for `katasharp exec`).
#        --retry-vm-exit REASON: the nested test host's retry policy, given by the C# side only there
#        (tests/KataSharp.Integration.Tests/Shim/NestedHostRetryPolicy.cs): a run/delete cycle whose
#        sandbox VM exited with that vm_exit_reason gets one more try (e2e.sh records it).
# Gives: ctr (function, talks to our containerd), KS_IMAGE, KS_RUNTIME, KS_CTD_RUN (containerd's
#        directory: config.toml, containerd.log, state), KS_CTD_PID, KS_IMAGE_LAYOUT and KS_IMAGE_TAR
#        (the busybox image), shim_env_stop.
# Optional: KS_CTD_EXTRA_TOML (appended to the private containerd config before `katasharp install`).
set -uo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../../scripts/lib.sh"
. "$KS_ROOT/scripts/lib-containerd.sh"

# The sourcing script's arguments (sourced without arguments, this file sees and consumes them).
KS_BIN="${KS_BIN:-$KS_ROOT/out/bin}"
KS_RETRY_VM_EXIT=""
KS_DEBUG_INITRD="${KS_DEBUG_INITRD:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel-dir) KS_KERNEL_DIR="$2"; shift 2 ;;
    --initrd) KS_INITRD="$2"; shift 2 ;;
    --bin) KS_BIN="$2"; shift 2 ;;
    --retry-vm-exit) KS_RETRY_VM_EXIT="$2"; shift 2 ;;
    --debug-initrd) KS_DEBUG_INITRD="$2"; shift 2 ;;
    *) echo "$(basename "$0"): unknown argument $1 (known: --kernel-dir DIR, --initrd FILE, --bin DIR, --retry-vm-exit REASON, --debug-initrd FILE)" >&2; exit 2 ;;
  esac
done

: "${KS_BIN:?KS_BIN must name the directory of the published binaries (out/bin)}"
: "${KS_KERNEL_DIR:?KS_KERNEL_DIR must name the guest kernel cache directory (guest-image/kernel/build-kernel.sh prints it)}"
: "${KS_INITRD:?KS_INITRD must name the guest initrd (guest-image/initrd/build-initrd.sh prints it)}"

KS_RUNTIME=io.containerd.katasharp.v2
KS_IMAGE=docker.io/library/busybox:latest
# What a privileged container runs to kill its guest kernel (reliability.sh with ctr, cri.sh with CRI): panic on
# OOM, then fill guest RAM with tmpfs pages (no swap: nothing can be reclaimed).
KS_GUEST_PANIC_SCRIPT='echo 1 >/proc/sys/vm/panic_on_oom && mkdir -p /fill && mount -t tmpfs -o size=100% fill /fill && echo filling && dd if=/dev/zero of=/fill/x bs=1M'
ks_work=$(mktemp -d /tmp/ks-e2e.XXXXXX)
# A fresh directory per scenario: lib-containerd.sh keeps a config.toml it finds, and the scenarios
# of one test host (e2e, then CRI with its extra configuration) must not share one.
KS_CTD_RUN="$ks_work/containerd"
KS_CTD_PID=""
# Shim sockets (containerd's /run/containerd/s) that were there before this scenario: another
# scenario's leftovers (runc's shim leaves its socket after kill -9) are not this one's to count.
ks_sockets_before=$(find /run/containerd/s -type s 2>/dev/null | sort)
new_shim_sockets() {
  local s
  find /run/containerd/s -type s 2>/dev/null | sort | while IFS= read -r s; do
    case $'\n'"$ks_sockets_before"$'\n' in *$'\n'"$s"$'\n'*) ;; *) printf '%s\n' "$s" ;; esac
  done
}

ctr() { command ctr --address "$KS_CTD_RUN/containerd.sock" "$@"; }
# ctr with a deadline: `timeout` runs the ctr binary, not the function above, so it names the socket.
ctr_within() { local seconds="$1"; shift; timeout "$seconds" ctr --address "$KS_CTD_RUN/containerd.sock" "$@"; }

shim_env_stop() {
  # Whatever is still there (a failed check): tasks killed, containers removed, containerd, its mounts.
  ks_containerd_stop "$KS_CTD_RUN"
  pkill_shims
  # the test host's next scenario starts clean (the reference runc kill -9 leaves its socket)
  new_shim_sockets | xargs -r rm -f
  rm -rf "$ks_work"
}

# Milliseconds since the epoch (the scenarios' and benchmarks' stopwatch).
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# time_ctr_run RUNTIME ID COMMAND...: the wall time in ms of `ctr run --rm` of the busybox image with that runtime, or
# "fail" (ctr's stderr goes to $ks_work/bench.err).
time_ctr_run() {
  local runtime="$1" id="$2" start; shift 2
  start=$(now_ms)
  ctr run --rm --runtime "$runtime" "$KS_IMAGE" "$id" "$@" </dev/null >/dev/null 2>>"$ks_work/bench.err" || { echo fail; return; }
  echo $(( $(now_ms) - start ))
}

# The confined VMM of a shim (issue 11): shim -> util-linux unshare (its PID namespace's parent) -> the VMM process,
# which holds the VM and the guest's RAM. Each prints a pid, or nothing.
vmm_unshare_of() { if [ -n "${1:-}" ]; then pgrep -P "$1" -x unshare | head -n1 || true; fi; }
vmm_of() { local u; u=$(vmm_unshare_of "${1:-}"); if [ -n "$u" ]; then pgrep -P "$u" | head -n1 || true; fi; }
# guest_ram_kib VMM_PID [FIELD]: the VM's guest RAM in KiB (tests/testhost/guest-ram.sh).
. "$KS_ROOT/tests/testhost/guest-ram.sh"

# pod_pss_kib SHIM_PID: what a pod costs the host besides its guest RAM, without counting twice what its processes share
# (every other pod shares the shim's and the VMM's binaries and libraries): the proportional set size (Pss) of shim,
# unshare and VMM minus guest RAM (private to the VMM, so its Pss is its Rss), in KiB; "fail" without a confined VMM.
# Used by bench.sh and density.sh.
pod_pss_kib() { pod_memory_kib "$1" '/^Pss:/'; }
# pod_private_kib SHIM_PID: what one more pod adds to the host besides its guest RAM: the memory only its shim, unshare
# and VMM hold (Private_Clean + Private_Dirty, the unique set size), minus guest RAM; "fail" without a confined VMM.
pod_private_kib() { pod_memory_kib "$1" '/^Private_(Clean|Dirty):/'; }
pod_memory_kib() {
  local u v
  u=$(vmm_unshare_of "$1"); v=$(vmm_of "$1")
  [ -n "$u" ] && [ -n "$v" ] || { echo fail; return; }
  echo $(( $(awk "$2"' { n += $2 } END { print n }' /proc/$1/smaps_rollup /proc/$u/smaps_rollup /proc/$v/smaps_rollup) - $(guest_ram_kib "$v") ))
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

shim_env_start() {
  export PATH="/usr/local/bin:$PATH"
  local config
  config=$(ks_containerd_config "$KS_CTD_RUN")
  # Optional (cri.sh): more containerd configuration, e.g. the CRI plugin's, before the install step.
  if [ -n "${KS_CTD_EXTRA_TOML:-}" ]; then printf '%s\n' "$KS_CTD_EXTRA_TOML" >>"$config"; fi
  # The user's install step: binaries, guest assets, default configuration, containerd registration.
  "$KS_BIN/katasharp" install --kernel "$KS_KERNEL_DIR/vmlinux" --initrd "$KS_INITRD" --containerd-config "$config" \
    >"$ks_work/install.log" 2>&1 || { cat "$ks_work/install.log" >&2; return 1; }
  # Nested TCG boots are slow, and slower still while L1 is busy: an admin's edit of the installed
  # configuration (the agent's first answer too: 30 s was once not enough). KS_NET_DATAPATH=vhost|auto selects the
  # pod network's data path (a bench comparing userspace and vhost-net).
  sed -i -e "s/^boot_timeout_seconds = .*/boot_timeout_seconds = ${KS_BOOT_TIMEOUT:-300}/" \
    -e "s/^ready_timeout_seconds = .*/ready_timeout_seconds = ${KS_READY_TIMEOUT:-120}/" \
    -e "s/^request_timeout_seconds = .*/request_timeout_seconds = ${KS_REQUEST_TIMEOUT:-300}/" \
    -e "s/^net_datapath = .*/net_datapath = \"${KS_NET_DATAPATH:-userspace}\"/" /etc/katasharp/configuration.toml
  # KATASHARP_TEST_HOOKS=1 reaches the shims through containerd's environment: it lets e2e.sh's annotation make the
  # confined VMM run a forbidden system call (runtime/KataSharp.Shim/Backend/TestHooks.cs). Nothing else sets it.
  KATASHARP_TEST_HOOKS=1 ks_containerd_start "$KS_CTD_RUN"
  KS_IMAGE_TAR=$(ks_busybox_image "$ks_work/image" 2>"$ks_work/image.log") || { cat "$ks_work/image.log" >&2; return 1; }
  KS_IMAGE_LAYOUT="$ks_work/image/layout"
  ctr image import --base-name docker.io/library/busybox "$KS_IMAGE_TAR" >/dev/null || return 1
}

# The shim and guest lines of containerd's log (the shim's stderr goes there through the log FIFO).
shim_log_tail() { grep -a 'runtime=io.containerd.katasharp.v2\|katasharp' "$KS_CTD_RUN/containerd.log" | tail -n "${1:-60}"; }

# Every VM exit the shim did not ask for: it logs "sandbox VM exited: ..." (the vCPU's registers and
# the guest console's last lines, newlines escaped) with the structured field vm_exit_reason, which
# is read here and never the message text. The field sits at the line's end (RuntimeLog: just before
# runtime=...), where text quoted in msg (guest console lines) cannot pose as it.
vm_exit_lines() { # [sandbox id]: the shim's lines for unexpected VM exits (of that sandbox)
  local sandbox=".*"
  [ -n "${1:-}" ] && sandbox="$(printf '%s' "$1" | sed 's/[.[\*^$/]/\\&/g')"
  grep -a " sandbox=\"$sandbox\" vm_exit_reason=[A-Za-z]* runtime=io\.containerd\.katasharp\.v2\$" "$KS_CTD_RUN/containerd.log"
}
vm_exit_reason_of() { sed -n 's/.* vm_exit_reason=\([A-Za-z]*\) runtime=io\.containerd\.katasharp\.v2$/\1/p'; }

# The nested-host retry policy's one question (--retry-vm-exit): did this sandbox's VM exit with the
# reason the policy forgives? False when no policy was given (not the nested test host).
vm_exit_retryable() { # sandbox id
  [ -n "$KS_RETRY_VM_EXIT" ] && vm_exit_lines "$1" | vm_exit_reason_of | grep -qx "$KS_RETRY_VM_EXIT"
}

# Recorded as vm_exits (count), vm_exit_reasons (GuestShutdown,...) and vm_exit_first (the first
# one's message, for people), and the first one in full on stderr.
vm_exits_record() {
  local exits
  exits=$(vm_exit_lines)
  printf 'vm_exits=%s\n' "$(printf '%s' "$exits" | grep -c .)"
  printf 'vm_exit_reasons=%s\n' "$(printf '%s\n' "$exits" | vm_exit_reason_of | paste -sd, -)"
  printf 'vm_exit_first=%s\n' "$(printf '%s\n' "$exits" | head -n1 | sed -n 's/.*msg="sandbox VM exited: \([^\\"]*\).*/\1/p')"
  if [ -n "$exits" ]; then
    echo "--- the first unexpected VM exit (shim log) ---" >&2
    printf '%s\n' "$exits" | head -n1 | sed 's/.*msg="sandbox VM exited: //; s/" sandbox=.*//; s/\\n/\n/g; s/\\"/"/g' >&2
  fi
}
