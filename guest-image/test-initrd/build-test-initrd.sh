#!/usr/bin/env bash
# Builds a small initrd for tests: busybox-static with its applet links, a given /init script
# and optional extra files, packed as a gzip'd newc cpio. Cached under $KS_CACHE/test-initrd,
# keyed by the hash of every input (this script, busybox, /init, each extra file and where it
# goes), so tests can call it freely. Prints the path of the .cpio.gz on stdout.
#
# Usage: build-test-initrd.sh --init <script> [--file <host-path>=<path-in-initrd>]...
#   The /init is run by the kernel as PID 1 with /dev/console as stdin/stdout/stderr.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

usage() { ks_die "usage: $(basename "$0") --init <script> [--file <host-path>=<path-in-initrd>]..."; }

init=""
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --init) [ $# -ge 2 ] || usage; init="$2"; shift 2 ;;
    --file) [ $# -ge 2 ] || usage; files+=("$2"); shift 2 ;;
    *) ks_log "unknown argument '$1'"; usage ;;
  esac
done
[ -n "$init" ] || usage
[ -f "$init" ] || ks_die "the /init script '$init' does not exist"

busybox=$(command -v busybox || true)
[ -n "$busybox" ] || ks_die "busybox is missing; run scripts/install-deps.sh testhost"
# A dynamically linked busybox would need its libraries in the initrd: insist on the static one.
if ldd "$busybox" >/dev/null 2>&1; then
  ks_die "$busybox is dynamically linked; install busybox-static (scripts/install-deps.sh testhost)"
fi
command -v cpio >/dev/null || ks_die "cpio is missing; run scripts/install-deps.sh testhost"

# Cache key: contents and destinations of everything that goes in.
key_inputs=("$0" "$busybox" "$init")
manifest="init=$(sha256sum <"$init" | cut -c1-64)"
for spec in "${files[@]}"; do
  src="${spec%%=*}" dest="${spec#*=}"
  [ "$src" != "$spec" ] && [ -n "$dest" ] || ks_die "--file '$spec' must look like <host-path>=<path-in-initrd>"
  [ -f "$src" ] || ks_die "--file source '$src' does not exist"
  case "$dest" in /*) ;; *) ks_die "--file destination '$dest' must be an absolute path inside the initrd" ;; esac
  key_inputs+=("$src")
  manifest+=" $dest=$(sha256sum <"$src" | cut -c1-64)"
done
key=$( { sha256sum "${key_inputs[@]}" | cut -c1-64; echo "$manifest"; } | sha256sum | cut -c1-16)
out_dir="$KS_CACHE/test-initrd"
out="$out_dir/$key.cpio.gz"
if [ -f "$out" ]; then
  ks_log "test initrd cached: $out"
  echo "$out"
  exit 0
fi

mkdir -p "$out_dir"
stage=$(mktemp -d "$out_dir/stage.XXXXXX")
trap 'rm -rf "$stage" "$out.tmp.$$"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,mnt}
cp "$busybox" "$stage/bin/busybox"
# Applet links exactly where busybox expects them (bin/sh, sbin/insmod, usr/bin/nproc ...).
while IFS= read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$stage/$(dirname "$applet")"
  ln -sf /bin/busybox "$stage/$applet"
done < <("$stage/bin/busybox" --list-full)
# The kernel opens /dev/console for PID 1 before anything is mounted: the node must be in the archive.
mknod -m 600 "$stage/dev/console" c 5 1 || ks_die "mknod /dev/console failed (this script must run as root)"
mknod -m 666 "$stage/dev/null" c 1 3
install -m 755 "$init" "$stage/init"
for spec in "${files[@]}"; do
  src="${spec%%=*}" dest="${spec#*=}"
  mkdir -p "$stage$(dirname "$dest")"
  cp "$src" "$stage$dest"
done

(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 --reproducible) \
  | gzip -6 -n >"$out.tmp.$$"
mv "$out.tmp.$$" "$out"
ks_log "test initrd built: $out ($(du -h "$out" | cut -f1))"
echo "$out"
