#!/usr/bin/env bash
# Installs the Debian packages KataSharp needs, only those that are missing.
# Usage: scripts/install-deps.sh [group...]   groups: build kernel testhost containers all (default: all)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

declare -A groups=(
  # C helpers (guest init, container spawn helper) and the layout tests' C compiler.
  [build]="build-essential pkg-config linux-libc-dev"
  # Guest kernel from Debian's own kernel sources (the source package is resolved below).
  [kernel]="build-essential flex bison bc libelf-dev libssl-dev xz-utils cpio kmod"
  # The nested test host: QEMU TCG with SVM, busybox for its initramfs, images for guests, and a
  # static C compiler for its ks-kvm-keeper.
  # (qemu-system-x86 itself is installed below: it must be new enough.)
  [testhost]="busybox-static cpio kmod e2fsprogs erofs-utils xz-utils zstd gcc libc6-dev linux-libc-dev"
  # Real container tooling: containerd + ctr, runc as the baseline, image building.
  [containers]="containerd runc umoci erofs-utils e2fsprogs"
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

# The nested test host needs QEMU 10 or newer: under QEMU 7.2 (bookworm's) L1's own kernel crashed
# in about every second full test run, an interrupt delivered right after an emulated #VMEXIT while
# the global interrupt flag was clear (README, "Known limits"). Bookworm gets it from Debian's
# bookworm-backports; newer Debian releases have it in main.
qemu_min="1:10.0"
qemu_wanted=0
for g in "${wanted[@]}"; do case "$g" in all|testhost) qemu_wanted=1 ;; esac; done
qemu_release=""   # empty: the default suites have it
qemu_install=0
if [ "$qemu_wanted" = 1 ] && ! dpkg --compare-versions "$(ks_pkg_version qemu-system-x86)" ge "$qemu_min"; then
  ks_need_root
  qemu_install=1
  candidate() { apt-cache policy qemu-system-x86 2>/dev/null | awk '/Candidate:/{print $2}'; }
  dpkg --compare-versions "$(candidate)" ge "$qemu_min" || { apt-get update -qq; needs_update=0; }
  if ! dpkg --compare-versions "$(candidate)" ge "$qemu_min"; then
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ "$codename" = bookworm ] || ks_die "the nested test host needs qemu-system-x86 $qemu_min or newer and apt offers '$(candidate)'; add a Debian suite that has it"
    qemu_release=bookworm-backports
    if ! apt-cache policy 2>/dev/null | grep -q "$qemu_release"; then
      ks_step "adding Debian's $qemu_release (for qemu-system-x86 $qemu_min or newer)"
      printf '%s\n' "Types: deb" "URIs: http://deb.debian.org/debian" "Suites: $qemu_release" \
        "Components: main" "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" \
        >/etc/apt/sources.list.d/katasharp-$qemu_release.sources
      ks_run_logged "apt-get update" "$KS_CACHE/logs/apt-update.log" apt-get update
    fi
  fi
fi

missing=()
for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do installed "$p" || missing+=("$p"); done
if [ "$qemu_install" = 1 ]; then
  export DEBIAN_FRONTEND=noninteractive
  ks_step "installing qemu-system-x86 $qemu_min or newer${qemu_release:+ from $qemu_release}"
  ks_run_logged "apt-get install qemu" "$KS_CACHE/logs/apt-install-qemu.log" \
    apt-get install -y --no-install-recommends ${qemu_release:+-t "$qemu_release"} qemu-system-x86
  dpkg --compare-versions "$(ks_pkg_version qemu-system-x86)" ge "$qemu_min" \
    || ks_die "qemu-system-x86 is $(ks_pkg_version qemu-system-x86) after the install, not $qemu_min or newer (log: $KS_CACHE/logs/apt-install-qemu.log)"
fi
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
