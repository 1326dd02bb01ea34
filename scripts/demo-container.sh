#!/usr/bin/env bash
# The inside of scripts/demo.sh, run where /dev/kvm is hardware-backed (this machine or the nested
# test host): installs KataSharp (binaries, guest assets, configuration), starts a private
# containerd, imports a locally built busybox image and runs one container in a microVM.
# Usage: demo-container.sh --kernel VMLINUX --initrd INITRD --bin DIR [--boot-timeout S] [-- command...]
#   --boot-timeout: seconds for the guest agent to come up, for this run only (a nested, software-
#   emulated host boots in tens of seconds instead of a fraction of one); the installed
#   configuration is left as it is.
set -euo pipefail
# One ordered channel: this script's progress lines (stderr) and the container's output (stdout) both go to
# stdout, so whoever relays them (the nested test host keeps a command's two streams apart and can only
# interleave them roughly) shows them in the order they happened.
exec 2>&1
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-containerd.sh"

kernel="" initrd="" bin="" boot_timeout=""
while [ $# -gt 0 ]; do
  case "$1" in
    --kernel) kernel="$2"; shift 2 ;;
    --initrd) initrd="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --boot-timeout) boot_timeout="$2"; shift 2 ;;
    --) shift; break ;;
    *) ks_die "unknown argument '$1' (usage: demo-container.sh --kernel F --initrd F --bin DIR [--boot-timeout S] [-- command...])" ;;
  esac
done
for f in "$kernel" "$initrd" "$bin/katasharp" "$bin/containerd-shim-katasharp-v2"; do
  [ -e "$f" ] || ks_die "$f is missing; run scripts/demo.sh (it builds everything first)"
done
command=("$@")
if [ ${#command[@]} -eq 0 ]; then
  command=(sh -c 'echo "hello from a container in a KataSharp microVM"; echo "guest kernel: $(uname -r)"; echo "cpus: $(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)"; head -n 1 /proc/meminfo; id')
fi

work=$(mktemp -d /run/katasharp-demo.XXXXXX)
trap 'ks_containerd_stop "$work"; rm -rf "$work"' EXIT

ks_log "installing KataSharp (binaries to /usr/local/bin, guest assets and configuration to /usr/share/katasharp)"
"$bin/katasharp" install --kernel "$kernel" --initrd "$initrd" --containerd-config "$(ks_containerd_config "$work")" >&2
export PATH="/usr/local/bin:$PATH"
if [ -n "$boot_timeout" ]; then
  # The shim inherits containerd's environment, and KATASHARP_CONFIG comes first in its search order.
  sed "s/^boot_timeout_seconds = .*/boot_timeout_seconds = $boot_timeout/" /usr/share/katasharp/configuration.toml >"$work/katasharp.toml"
  export KATASHARP_CONFIG="$work/katasharp.toml"
  ks_log "this run allows the guest ${boot_timeout}s to boot (KATASHARP_CONFIG=$KATASHARP_CONFIG)"
fi
ks_log "starting a private containerd under $work"
ks_containerd_start "$work"
ks_log "building and importing a busybox image"
image=$(ks_busybox_image "$work/image")
ctr --address "$KS_CTD_ADDRESS" image import --base-name docker.io/library/busybox "$image" >&2

ks_log "host kernel: $(uname -r)"
ks_log "ctr run --rm --runtime io.containerd.katasharp.v2 docker.io/library/busybox:latest katasharp-demo ${command[*]}"
start=$(date +%s%N)
set +e
ctr --address "$KS_CTD_ADDRESS" run --rm --runtime io.containerd.katasharp.v2 \
  docker.io/library/busybox:latest katasharp-demo "${command[@]}"
rc=$?
set -e
ks_log "the container exited with $rc after $(( ($(date +%s%N) - start) / 1000000 )) ms (VM boot included)"
if [ "$rc" -ne 0 ]; then
  ks_log "containerd's log (the shim logs there too, with the sandbox id):"
  tail -n 40 "$work/containerd.log" >&2
fi
exit "$rc"
