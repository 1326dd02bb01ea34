# Shared helpers for KataSharp's shell scripts. Source it; do not run it.
# shellcheck shell=bash

KS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Heavy artefacts (guest kernel, test-host kernel, initrds) live outside the repo,
# keyed by their inputs, so a fresh clone reuses them and a changed input rebuilds them.
KS_CACHE="${KATASHARP_CACHE:-/var/cache/katasharp}"
# Build outputs of the project itself (published binaries) stay inside the clone.
KS_OUT="${KATASHARP_OUT:-$KS_ROOT/out}"

ks_log()  { printf '[katasharp] %s\n' "$*" >&2; }
ks_step() { printf '\n[katasharp] ==> %s\n' "$*" >&2; }
ks_die()  { printf '[katasharp] error: %s\n' "$*" >&2; exit 1; }

ks_need_root() {
  [ "$(id -u)" = 0 ] || ks_die "this step needs root (apt, /dev/kvm, mounts). Run it with sudo."
}

# Runs a long command with its output in a log file, printing the elapsed time every 15 s so a
# human sees progress; on failure prints the log tail and what to look at.
ks_run_logged() {
  local what="$1" log="$2"; shift 2
  mkdir -p "$(dirname "$log")"
  ks_log "$what (log: $log)"
  local start=$SECONDS
  ( "$@" ) >"$log" 2>&1 &
  local pid=$!
  local ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    ticks=$((ticks + 1))
    if [ $((ticks % 15)) = 0 ] && kill -0 "$pid" 2>/dev/null; then
      printf '[katasharp]   ... %s: %ds\n' "$what" $((SECONDS - start)) >&2
    fi
  done
  if ! wait "$pid"; then
    tail -n 40 "$log" >&2
    ks_die "$what failed after $((SECONDS - start))s; the full log is $log"
  fi
  ks_log "$what: done in $((SECONDS - start))s"
}

# sha256 of files and strings, used as cache keys: of their contents only, never their paths,
# so a clone elsewhere hits the same cache.
ks_hash() { sha256sum "$@" | cut -c1-64 | sha256sum | cut -c1-16; }

# The guest kernel's Debian source package: prefer 6.12, else whatever the `linux-source`
# metapackage points at today. Never a hard-coded version.
ks_kernel_source_package() {
  if apt-cache show linux-source-6.12 >/dev/null 2>&1; then echo linux-source-6.12; return; fi
  apt-cache depends linux-source 2>/dev/null | awk '/Depends: linux-source-/{print $2; exit}'
}

ks_pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
