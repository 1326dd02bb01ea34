# shellcheck shell=bash
# Sourced inside the test host's L1 by tests/testhost/shim/env.sh and tests/bench/inner/vmm-boot.sh: how to find a
# VM's guest RAM among a VMM process's mappings.
# guest_ram_kib VMM_PID [FIELD]: the resident KiB (FIELD Rss, the default; Size: the mapping's whole size) of the VM's
# guest RAM: the anonymous mapping the VMM names [anon:katasharp-guest-ram] (GuestMemory.MappingName), or on a kernel
# that cannot name mappings (Debian 12's) the one advised MADV_DONTDUMP and MADV_DONTFORK (VmFlags dd and dc; .NET's
# own reservations are dd but never dc); empty without a pid.
guest_ram_kib() {
  if [ -n "${1:-}" ]; then
    awk -v field="${2:-Rss}:" '/^[0-9a-f]+-[0-9a-f]+ / { kb = 0; named = ($0 ~ /\[anon:katasharp-guest-ram\]/) } $1 == field { kb = $2 } /^VmFlags:/ && (named || (/ dd/ && / dc/)) { kib += kb } END { print kib + 0 }' "/proc/$1/smaps" 2>/dev/null || true
  fi
}
