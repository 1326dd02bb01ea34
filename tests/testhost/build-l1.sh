#!/usr/bin/env bash
# Builds what the nested test host boots as its L1: Debian's generic amd64 kernel (downloaded
# with apt-get download and unpacked, never installed) and an initramfs of busybox-static,
# the modules in l1-modules.list (dependencies first), ks-kvm-keeper (kvm-keeper.c, static) and
# l1-init.sh as /init.
# Cached under $KS_CACHE/testhost/l1-<package>-<version>-<hash of these scripts>.
# Prints the cache directory (vmlinuz, initramfs.cpio.gz, kernel.release) on stdout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

for tool in apt-get apt-cache dpkg-deb depmod modinfo busybox cpio gcc; do
  command -v "$tool" >/dev/null || ks_die "$tool is missing; run scripts/install-deps.sh testhost"
done

# The generic flavour: the -cloud- one lacks 9p and kvm_amd. The metapackage names today's ABI.
meta=linux-image-amd64
pkg=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
[ -n "$pkg" ] || ks_die "apt does not know $meta; run 'apt-get update' (Debian bookworm main must be in the sources)"
version=$(apt-cache policy "$pkg" | awk '/Candidate:/{print $2; exit}')
[ -n "$version" ] && [ "$version" != "(none)" ] || ks_die "apt has no candidate version of $pkg; run 'apt-get update'"

key="$pkg-$version-$(ks_hash "$here/build-l1.sh" "$here/l1-init.sh" "$here/l1-modules.list" "$here/kvm-keeper.c" \
  "$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh")"
out="$KS_CACHE/testhost/l1-$key"
if [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.cpio.gz" ] && [ -f "$out/kernel.release" ]; then
  ks_log "test host L1 ($pkg $version) cached: $out"
  echo "$out"
  exit 0
fi

ks_step "building the test host's L1 from $pkg $version"
debs="$KS_CACHE/testhost/debs"
mkdir -p "$debs"
deb="$debs/${pkg}_${version//:/%3a}_amd64.deb"
if [ ! -f "$deb" ]; then
  # apt-get download writes into the current directory; a partial file never gets the final name.
  dl=$(mktemp -d "$debs/dl.XXXXXX")
  ks_run_logged "downloading $pkg $version" "$KS_CACHE/logs/testhost-download.log" \
    bash -c "cd '$dl' && apt-get download '$pkg=$version'"
  mv "$dl"/*.deb "$deb"
  rmdir "$dl"
fi

work=$(mktemp -d "$KS_CACHE/testhost/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
ks_run_logged "unpacking $(basename "$deb")" "$work.unpack.log" dpkg-deb -x "$deb" "$work/root"
rm -f "$work.unpack.log"
release=$(ls "$work/root/lib/modules")
[ "$(echo "$release" | wc -l)" = 1 ] || ks_die "expected one kernel release in $deb, found: $release"
vmlinuz="$work/root/boot/vmlinuz-$release"
[ -f "$vmlinuz" ] || ks_die "$deb has no /boot/vmlinuz-$release"
# The package ships no modules.dep (dpkg's postinst makes it); modinfo needs it to resolve names.
depmod -b "$work/root" "$release"

# Depth-first over `modinfo -F depends`: every module after all of its dependencies, once.
declare -A seen=()
order=()
visit() {
  local name="${1//-/_}"
  [ -n "${seen[$name]+x}" ] && return 0
  seen[$name]=1
  if grep -qE "/${name//_/[-_]}\.ko(\.[a-z]+)?$" "$work/root/lib/modules/$release/modules.builtin"; then
    return 0
  fi
  local deps
  deps=$(modinfo -b "$work/root" -k "$release" -F depends "$name" 2>/dev/null) \
    || ks_die "module '$name' (from l1-modules.list) is not in $pkg $version"
  local dep
  for dep in ${deps//,/ }; do visit "$dep"; done
  order+=("$name")
}
while IFS= read -r line; do
  line="${line%%#*}"; line="${line//[[:space:]]/}"
  [ -n "$line" ] && visit "$line"
done <"$here/l1-modules.list"

# busybox insmod cannot read compressed modules: store every module uncompressed.
mods="$work/modules"
mkdir -p "$mods"
file_args=()
: >"$work/modules.load"
for name in "${order[@]}"; do
  src=$(modinfo -b "$work/root" -k "$release" -F filename "$name")
  case "$src" in
    *.ko) cp "$src" "$mods/$name.ko" ;;
    *.ko.xz) xz -dc "$src" >"$mods/$name.ko" ;;
    *.ko.zst) zstd -qdc "$src" >"$mods/$name.ko" ;;
    *.ko.gz) gzip -dc "$src" >"$mods/$name.ko" ;;
    *) ks_die "unknown module file type: $src" ;;
  esac
  file_args+=(--file "$mods/$name.ko=/lib/modules/$name.ko")
  echo "$name" >>"$work/modules.load"
done
file_args+=(--file "$work/modules.load=/lib/modules/modules.load")
ks_run_logged "compiling ks-kvm-keeper" "$work.keeper.log" \
  gcc -static -O2 -Wall -Werror -o "$work/ks-kvm-keeper" "$here/kvm-keeper.c"
rm -f "$work.keeper.log"
file_args+=(--file "$work/ks-kvm-keeper=/bin/ks-kvm-keeper")
ks_log "L1 loads ${#order[@]} modules: ${order[*]}"

initramfs=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$here/l1-init.sh" "${file_args[@]}")
mkdir -p "$out.tmp.$$"
cp "$vmlinuz" "$out.tmp.$$/vmlinuz"
cp "$initramfs" "$out.tmp.$$/initramfs.cpio.gz"
rm -f "$initramfs"
echo "$release" >"$out.tmp.$$/kernel.release"
cp "$work/modules.load" "$out.tmp.$$/modules.load"
echo "$pkg $version" >"$out.tmp.$$/source"
rm -rf "$out" && mv "$out.tmp.$$" "$out"
ks_log "test host L1 ready: $out"
echo "$out"
