#!/usr/bin/env bash
# Builds the agent's two small C programs, statically linked, into out/bin:
#   ks-init   guest PID 1 (ks_init.c)
#   ks-spawn  child side of container process creation (ks_spawn.c)
# and, for tests only (never shipped in the initrd), when asked by name:
#   ks-syscall-probe  makes named syscalls and prints their errno (tests/native/ks_syscall_probe.c)
# Skips a program whose sources and flags are unchanged (hash stamp beside the binary).
# Usage: agent/native/build.sh [ks-init|ks-spawn|ks-syscall-probe ...]   (default: ks-init and ks-spawn)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

command -v gcc >/dev/null || ks_die "gcc is missing; run scripts/install-deps.sh"
mkdir -p "$KS_OUT/bin"
cflags=(-static -Os -Wall -Wextra -Werror -D_FORTIFY_SOURCE=2 -fstack-protector-strong)

build() {
  local name="$1" source="$here/$2" out="$KS_OUT/bin/$1"
  local stamp="$out.inputs" key
  key=$(ks_hash "$source" "$here/ks_spawn.h" "$0" <(printf '%s\n' "${cflags[@]}" "$(gcc -dumpfullversion)"))
  if [ -x "$out" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$key" ]; then
    return
  fi
  gcc "${cflags[@]}" -o "$out.tmp" "$source"
  strip "$out.tmp"
  mv "$out.tmp" "$out"
  echo "$key" >"$stamp"
  ks_log "built $out ($(stat -c %s "$out") bytes)"
}

wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=(ks-init ks-spawn)
for w in "${wanted[@]}"; do
  case "$w" in
    ks-init) build ks-init ks_init.c ;;
    ks-spawn) build ks-spawn ks_spawn.c ;;
    ks-syscall-probe) build ks-syscall-probe ../../tests/native/ks_syscall_probe.c ;;
    *) ks_die "unknown program '$w' (known: ks-init ks-spawn ks-syscall-probe)" ;;
  esac
done
