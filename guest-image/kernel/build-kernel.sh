#!/usr/bin/env bash
# Builds KataSharp's guest kernel (an uncompressed vmlinux with a PVH note) from Debian's
# kernel source package and microvm.config, and caches it outside the repo keyed by the
# source package version and the hash of the fragment and this script.
# Prints the cache directory (holding vmlinux, kernel.release, config) on stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

pkg=$(ks_kernel_source_package)
[ -n "$pkg" ] || ks_die "no linux-source package known to apt; run scripts/install-deps.sh kernel"
version=$(ks_pkg_version "$pkg")
[ -n "$version" ] || ks_die "$pkg is not installed; run scripts/install-deps.sh kernel"
key="${version}-$(ks_hash "$here/microvm.config" "$here/build-kernel.sh")"
out="$KS_CACHE/kernel/$key"

# Prints every line of microvm.config that the .config at $1 does not honour: an option set
# there but not in the .config (Kconfig drops a symbol whose dependencies are unmet without a
# word), or a `# CONFIG_X is not set` whose X the .config has on anyway (olddefconfig turns
# options with `default y` on unless the fragment says no).
config_violations() {
  local line symbol
  while IFS= read -r line; do
    if [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
      symbol="${BASH_REMATCH[1]}"
      if grep -qE "^${symbol}=" "$1"; then echo "$line (but the .config has $(grep -E "^${symbol}=" "$1"))"; fi
      continue
    fi
    case "$line" in ''|'#'*) continue ;; esac
    grep -qxF "$line" "$1" || echo "$line"
  done <"$here/microvm.config"
}

if [ -f "$out/vmlinux" ] && [ -f "$out/kernel.release" ]; then
  # The cache key covers the fragment, but a cache entry is only a directory: check it anyway.
  violations=$(config_violations "$out/config")
  [ -z "$violations" ] || ks_die "the cached guest kernel in $out does not honour microvm.config:
$violations
remove $out and rebuild"
  ks_log "guest kernel $(cat "$out/kernel.release") cached (key $key): no rebuild"
  echo "$out"
  exit 0
fi

tarball=$(dpkg -L "$pkg" | grep -E '/usr/src/linux-source-.*\.tar\.(xz|bz2|gz)$' | head -n1)
[ -f "$tarball" ] || ks_die "$pkg has no source tarball under /usr/src; reinstall it"

ks_step "building the guest kernel from $pkg $version (cold build: about 6-10 min on 2 cores)"
work="$KS_CACHE/kernel/build-$key"
rm -rf "$work" && mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
start=$SECONDS
ks_run_logged "unpacking $(basename "$tarball")" "$work.log.unpack" tar -C "$work" -xf "$tarball"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -n1)

configure() {
  make -C "$src" tinyconfig
  "$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$here/microvm.config"
  make -C "$src" olddefconfig
}
ks_run_logged "configuring (tinyconfig + microvm.config)" "$work.log.config" configure

violations=$(config_violations "$src/.config")
if [ -n "$violations" ]; then
  sed 's/^/  /' <<<"$violations" >&2
  ks_die "the options above did not survive olddefconfig (an unmet dependency, or an option something else selects); fix microvm.config"
fi

ks_run_logged "compiling vmlinux with $(nproc) jobs" "$work.log.make" make -C "$src" -j"$(nproc)" vmlinux
mkdir -p "$out.tmp"
cp "$src/vmlinux" "$out.tmp/vmlinux"
cp "$src/.config" "$out.tmp/config"
make -s -C "$src" kernelrelease >"$out.tmp/kernel.release"
echo "$((SECONDS - start))" >"$out.tmp/build-seconds"
echo "$pkg $version" >"$out.tmp/source"
cat "$work.log.make" >"$out.tmp/build.log"
rm -f "$work".log.*
rm -rf "$out" && mv "$out.tmp" "$out"
ks_log "guest kernel $(cat "$out/kernel.release") built in $((SECONDS - start))s: $out/vmlinux"
echo "$out"
