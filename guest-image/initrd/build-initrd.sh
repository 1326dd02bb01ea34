#!/usr/bin/env bash
# Builds the KataSharp guest initrd: ks-init as /init, katasharp-agent and ks-spawn in /usr/bin,
# and exactly the shared libraries the agent links (found with ldd: libc, libm, ld-linux);
# nothing else. Reproducible: sorted entries, mtime 0, owner 0:0, newc cpio (uncompressed by
# default: the kernel unpacks it without decompression work, which matters at nested-TCG speed).
# Cached under $KATASHARP_CACHE/initrd/<hash of every input>/initrd.cpio; prints that path last.
#
# Usage: guest-image/initrd/build-initrd.sh [--no-publish]   (--no-publish: use out/bin as it is)
# Environment: KATASHARP_INITRD_DEBUG_SHELL=1  also add busybox as /bin/sh (for katasharp.debug_console)
#              KATASHARP_INITRD_COMPRESS=gzip   gzip the archive (needs CONFIG_RD_GZIP, which the guest has)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

command -v cpio >/dev/null || ks_die "cpio is missing; run scripts/install-deps.sh"
publish=1
for arg in "$@"; do
  case "$arg" in --no-publish) publish=0 ;; *) ks_die "unknown argument '$arg' (usage: build-initrd.sh [--no-publish])" ;; esac
done
if [ "$publish" = 1 ]; then
  "$KS_ROOT/scripts/publish.sh" katasharp-agent ks-init ks-spawn >&2
fi
agent="$KS_OUT/bin/katasharp-agent" init="$KS_OUT/bin/ks-init" spawn="$KS_OUT/bin/ks-spawn"
for f in "$agent" "$init" "$spawn"; do
  [ -x "$f" ] || ks_die "$f is missing; run scripts/publish.sh katasharp-agent ks-init ks-spawn"
done

# The loader and libraries the agent really needs, at the paths the binary asks for.
# (mawk, Debian's awk, has no \s: spell the blanks out.)
mapfile -t libs < <(ldd "$agent" | awk '/=> \//{print $3} /^[ \t]*\/[^ ]+/{print $1}' | sort -u)
[ ${#libs[@]} -gt 0 ] || ks_die "ldd found no libraries for $agent (is it really a dynamic NativeAOT binary?)"
interp=$(readelf -l "$agent" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[[ " ${libs[*]} " == *" $interp "* ]] || ks_die "the agent's ELF interpreter '$interp' is not among its libraries (${libs[*]}): without it exec fails with ENOENT"
shell=""
[ "${KATASHARP_INITRD_DEBUG_SHELL:-0}" = 1 ] && shell=/bin/busybox
compress="${KATASHARP_INITRD_COMPRESS:-none}"
case "$compress" in none|gzip) ;; *) ks_die "KATASHARP_INITRD_COMPRESS must be none or gzip, not '$compress'" ;; esac

key=$(ks_hash "$0" "$agent" "$init" "$spawn" "${libs[@]}" ${shell:+"$shell"} <(echo "$compress"))
out="$KS_CACHE/initrd/$key"
name=initrd.cpio
[ "$compress" = gzip ] && name=initrd.cpio.gz
if [ -f "$out/$name" ]; then
  ks_log "initrd cached (key $key): $(stat -c %s "$out/$name") bytes"
  echo "$out/$name"
  exit 0
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{dev,proc,sys,run,tmp,etc,usr/bin}
install -m 0755 "$init" "$stage/init"
install -m 0755 "$agent" "$stage/usr/bin/katasharp-agent"
install -m 0755 "$spawn" "$stage/usr/bin/ks-spawn"
for lib in "${libs[@]}"; do
  mkdir -p "$stage$(dirname "$lib")"
  install -m 0755 "$(readlink -f "$lib")" "$stage$lib"
done
if [ -n "$shell" ]; then
  mkdir -p "$stage/bin"
  install -m 0755 "$shell" "$stage/bin/busybox"
  ln -s busybox "$stage/bin/sh"
fi
# ks-init re-roots onto a bind of the initramfs and makes it read-only only when it finds this marker (never on a real
# root filesystem).
: >"$stage/.katasharp-initrd"
# The kernel opens /dev/console for init before any devtmpfs exists.
mknod -m 0600 "$stage/dev/console" c 5 1
chmod 1777 "$stage/tmp"

mkdir -p "$out.tmp"
(
  cd "$stage"
  find . -exec touch -h -d @0 {} +
  find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet
) >"$out.tmp/initrd.cpio"
[ "$compress" = gzip ] && gzip -n -9 "$out.tmp/initrd.cpio"
{
  echo "agent $(stat -c %s "$agent") bytes"
  echo "ks-init $(stat -c %s "$init") bytes"
  echo "ks-spawn $(stat -c %s "$spawn") bytes"
  for lib in "${libs[@]}"; do echo "$lib $(stat -L -c %s "$lib") bytes"; done
  [ -n "$shell" ] && echo "busybox (debug shell) $(stat -c %s "$shell") bytes"
} >"$out.tmp/contents.txt"
rm -rf "$out" && mv "$out.tmp" "$out"
ks_log "initrd built: $(stat -c %s "$out/$name") bytes ($compress), contents:"
sed 's/^/[katasharp]   /' "$out/contents.txt" >&2
echo "$out/$name"
