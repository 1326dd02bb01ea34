#!/usr/bin/env bash
# Installs the Debian packages KataSharp needs, only those that are missing.
# Usage: scripts/install-deps.sh [group...]   groups: build kernel testhost containers all (default: all)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

declare -A groups=(
  # C helpers (guest init, container spawn helper) and the layout tests' C compiler; libseccomp.a and seccomp.h
  # (the agent links libseccomp statically; the host side loads libseccomp2's shared library, which runc needs anyway).
  [build]="build-essential pkg-config linux-libc-dev libseccomp-dev"
  # Guest kernel from Debian's own kernel sources (the source package is resolved below).
  [kernel]="build-essential flex bison bc libelf-dev libssl-dev xz-utils cpio kmod"
  # The nested test host: QEMU TCG with SVM, busybox for its initramfs, images for guests, and a
  # static C compiler for its ks-kvm-keeper.
  [testhost]="qemu-system-x86 busybox-static cpio kmod e2fsprogs erofs-utils xz-utils zstd gcc libc6-dev linux-libc-dev"
  # Real container tooling: containerd + ctr, runc as the baseline, image building, and the CNI
  # plugins (bridge, host-local, loopback in /usr/lib/cni) for pods on a network through CRI.
  [containers]="containerd runc umoci erofs-utils e2fsprogs containernetworking-plugins iptables"
)

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(all)
pkgs=()
for g in "${wanted[@]}"; do
  if [ "$g" = all ]; then
    for k in "${!groups[@]}"; do read -ra p <<<"${groups[$k]}"; pkgs+=("${p[@]}"); done
  elif [ -n "${groups[$g]+x}" ]; then
    read -ra p <<<"${groups[$g]}"; pkgs+=("${p[@]}")
  else
    ks_die "unknown dependency group '$g' (known: ${!groups[*]} all)"
  fi
done

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

needs_update=1
for g in "${wanted[@]}"; do
  if [ "$g" = all ] || [ "$g" = kernel ]; then
    ks_need_root
    [ -n "$(apt-cache policy linux-source-6.12 2>/dev/null)" ] || { apt-get update -qq; needs_update=0; }
    src=$(ks_kernel_source_package)
    [ -n "$src" ] || ks_die "no linux-source package in the apt sources; enable Debian bookworm main"
    pkgs+=("$src")
  fi
done

missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  ks_log "all needed Debian packages are installed"
  exit 0
fi
ks_need_root
ks_step "installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
[ "$needs_update" = 1 ] && ks_run_logged "apt-get update" "$KS_CACHE/logs/apt-update.log" apt-get update
ks_run_logged "apt-get install" "$KS_CACHE/logs/apt-install.log" \
  apt-get install -y --no-install-recommends "${missing[@]}"
