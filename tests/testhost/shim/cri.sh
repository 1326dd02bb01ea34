#!/usr/bin/env bash
# The Kubernetes path end to end, inside the test host's L1: containerd 1.6's CRI plugin with the
# runtime handler `katasharp` (registered by `katasharp install`), driven by katasharp-criprobe the
# way the kubelet would (there is no kubelet or crictl here): RunPodSandbox → CreateContainer →
# StartContainer → ExecSync → status → Stop/RemoveContainer → Stop/RemovePodSandbox. The pause
# (sandbox) container and the app container must share one shim and one VM, and nothing may be left.
# Host network (no CNI here); the pod's IPC is the pod's, so CRI hands both containers its /dev/shm
# directory. Prints key=value results; tests/KataSharp.Integration.Tests/Shim/CriEndToEndTests.cs
# asserts on them. Always exits 0 after cleaning up unless the environment could not start.
#
# By hand:  sudo tests/testhost/run.sh --timeout 1800 -- "$PWD/tests/testhost/shim/cri.sh" \
#             --kernel-dir "$(guest-image/kernel/build-kernel.sh)" --initrd "$(guest-image/initrd/build-initrd.sh)"
# (scripts/publish.sh containerd-shim-katasharp-v2 katasharp katasharp-criprobe first: it reads out/bin.)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/env.sh"

PAUSE_IMAGE=docker.io/katasharp/pause:latest
POD_LOGS="$KS_CTD_RUN/pod-logs"
# containerd's CRI plugin: our locally built pause image (there is no registry), overlayfs, no
# AppArmor profile to load, empty CNI directories (host-network pods need no CNI), a free stream port.
KS_CTD_EXTRA_TOML=$(cat <<TOML
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  disable_apparmor = true
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$KS_CTD_RUN/cni/bin"
    conf_dir = "$KS_CTD_RUN/cni/conf"
TOML
)

kctr() { ctr -n k8s.io "$@"; }
probe() { "$KS_BIN/katasharp-criprobe" --socket "$KS_CTD_RUN/containerd.sock" "$@"; }
rec() { printf '%s=%s\n' "$1" "$2"; }
flat() { tr -d '\r' | tr '\n' '|' | sed 's/|$//'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
run_probe() { # key, then the probe arguments; records <key>_exit, <key>_out, <key>_ms (and <key>_err)
  local key="$1" start out code; shift
  start=$(now_ms)
  out=$(probe "$@" 2>"$ks_work/$key.err" </dev/null); code=$?
  rec "${key}_exit" "$code"; rec "${key}_out" "$(printf '%s' "$out" | flat)"; rec "${key}_ms" $(( $(now_ms) - start ))
  [ "$code" = 0 ] || rec "${key}_err" "$(flat <"$ks_work/$key.err")"
}
field() { sed -n "s/^$1=//p"; } # a key=value line of probe output
wait_container_state() { # id state seconds
  local deadline=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(probe status "$1" 2>/dev/null | field state)" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

cri_stop() {
  local id
  # Whatever a failed check left: pods (CRI stops their containers), then k8s.io tasks, then containerd.
  if [ -n "$KS_CTD_PID" ] && kill -0 "$KS_CTD_PID" 2>/dev/null; then
    for id in $(probe ps 2>/dev/null | awk '{ print $1 }'); do probe rm "$id" >/dev/null 2>&1; done
    for id in $(probe pods 2>/dev/null | awk '{ print $1 }'); do probe stopp "$id" >/dev/null 2>&1; probe rmp "$id" >/dev/null 2>&1; done
    for id in $(kctr task ls -q 2>/dev/null); do kctr task kill -s KILL "$id" >/dev/null 2>&1; kctr task delete -f "$id" >/dev/null 2>&1; done
    for id in $(kctr container ls -q 2>/dev/null); do kctr container delete "$id" >/dev/null 2>&1; done
  fi
  local work="$ks_work" m
  shim_env_stop 2>/dev/null
  # CRI's per-pod shm tmpfs and anything else still mounted under our directories (a failed teardown).
  for m in $(awk -v a="$KS_CTD_RUN/" -v b="$work/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  rm -rf "$work" "$KS_CTD_RUN/cni" "$POD_LOGS"
}
trap cri_stop EXIT

start=$(now_ms)
mkdir -p "$KS_CTD_RUN/cni/bin" "$KS_CTD_RUN/cni/conf" "$POD_LOGS"
shim_env_start || { echo "the test environment did not start" >&2; exit 1; }
# The CRI plugin's images live in containerd's k8s.io namespace: busybox for the app and a pause
# image (busybox whose entrypoint sleeps; CRI kills it with SIGKILL) for the sandbox container.
kctr image import --base-name docker.io/library/busybox "$KS_IMAGE_TAR" >/dev/null || { echo "busybox import into k8s.io failed" >&2; exit 1; }
cp -a "$KS_IMAGE_LAYOUT" "$ks_work/pause-layout" \
  && umoci config --image "$ks_work/pause-layout:latest" --config.entrypoint /bin/sleep --config.cmd 2147483647 \
  && tar -C "$ks_work/pause-layout" -cf "$ks_work/pause.tar" . \
  && kctr image import --base-name docker.io/katasharp/pause "$ks_work/pause.tar" >/dev/null \
  || { echo "the pause image could not be built or imported" >&2; exit 1; }
# The CRI service answers once the plugin has initialized.
deadline=$((SECONDS + 120))
until probe version >/dev/null 2>&1; do
  [ "$SECONDS" -lt "$deadline" ] || { echo "containerd's CRI plugin did not answer:" >&2; probe version >&2; tail -30 "$KS_CTD_RUN/containerd.log" >&2; exit 1; }
  sleep 0.2
done
rec env_ms $(( $(now_ms) - start ))
rec kernel_release "$(cat "$KS_KERNEL_DIR/kernel.release")"
rec l1_kernel_release "$(uname -r)"
rec registered "$(grep -c 'runtimes.katasharp\]' "$KS_CTD_RUN/config.toml")"

run_probe version version
run_probe pause_image image-status "$PAUSE_IMAGE"

# ---- the pod: its sandbox (pause) container boots the VM ----
pod=(--name ks-cri-pod --namespace default --uid ks-cri-pod-uid --network node --log-dir "$POD_LOGS")
run_probe runp runp --handler katasharp "${pod[@]}"
sid=$(probe pods 2>/dev/null | awk '$3 == "ks-cri-pod" { print $1 }' | head -n1)
rec sandbox_id "$sid"
run_probe podstatus podstatus "$sid"

# ---- the app container: same pod, so the same shim and VM ----
# The shell is pid 1 of its pid namespace: TERM reaches it only through a handler (StopContainer sends TERM).
run_probe create create --pod "$sid" "${pod[@]}" --container-name app --image docker.io/library/busybox:latest --log-path app.log \
  -- sh -c 'trap "exit 143" TERM; echo "app-start $(uname -r)"; sleep 100000 & wait'
cid=$(probe ps 2>/dev/null | awk -v s="$sid" '$2 == s && $4 == "app" { print $1 }' | head -n1)
rec container_id "$cid"
run_probe start start "$cid"
if wait_container_state "$cid" CONTAINER_RUNNING 300; then rec app_running 1; else rec app_running 0; fi

run_probe exec_uname exec-sync "$cid" -- uname -r
run_probe exec_exit3 exec-sync "$cid" -- sh -c 'echo to-stderr >&2; exit 3'
run_probe exec_shm exec-sync "$cid" -- sh -c 'grep " /dev/shm " /proc/mounts; echo shm-ok >/dev/shm/probe && cat /dev/shm/probe'
run_probe exec_files exec-sync "$cid" -- sh -c 'test -s /etc/hosts && test -s /etc/hostname && test -e /etc/resolv.conf && echo files-ok'
run_probe status status "$cid"

# ---- one shim, one VM for both ----
rec task_pids "$(kctr task ls 2>/dev/null | awk 'NR > 1 { print $1 ":" $2 ":" $3 }' | sort | tr '\n' ',' | sed 's/,$//')"
rec distinct_task_pids "$(kctr task ls 2>/dev/null | awk 'NR > 1 { print $2 }' | sort -u | grep -c .)"
shims=$(shim_pids)
rec shim_count "$(printf '%s\n' "$shims" | grep -c .)"
shim=$(printf '%s\n' "$shims" | head -n1)
rec shim_pid "$shim"
rec sandbox_task_pid "$(kctr task ls 2>/dev/null | awk -v id="$sid" '$1 == id { print $2 }')"
# A KVM VM is an fd (anon_inode:kvm-vm) of the process that made it: the shim runs the pod's VM.
rec shim_kvm_vms "$( [ -n "$shim" ] && ls -l "/proc/$shim/fd" 2>/dev/null | grep -c 'kvm-vm')"
rec qemu_processes "$(pgrep -c qemu-system)"
# Both containers see the same guest kernel boot: the pause container through ctr, the app through CRI.
rec sandbox_boot_id "$(kctr task exec --exec-id boot-id "$sid" cat /proc/sys/kernel/random/boot_id 2>&1 </dev/null | flat)"
run_probe app_boot_id exec-sync "$cid" -- cat /proc/sys/kernel/random/boot_id

# A host directory volume cannot be shared into the VM: its container fails to start, naming the mount.
mkdir -p "$ks_work/volume"
run_probe vol_create create --pod "$sid" "${pod[@]}" --container-name vol --image docker.io/library/busybox:latest \
  --mount "$ks_work/volume:/data" -- sleep 100000
vid=$(probe ps 2>/dev/null | awk -v s="$sid" '$2 == s && $4 == "vol" { print $1 }' | head -n1)
run_probe vol_start start "$vid"
run_probe vol_rm rm "$vid"
run_probe after_vol exec-sync "$cid" -- echo still-here

# The container's stdout reached CRI's log file through the shim's FIFOs.
rec app_log "$(flat <"$POD_LOGS/app.log" 2>/dev/null)"

# ---- teardown as the kubelet does it ----
run_probe stop stop --timeout 10 "$cid"
run_probe status_after_stop status "$cid"
run_probe rm rm "$cid"
run_probe stopp stopp "$sid"
run_probe rmp rmp "$sid"
deadline=$((SECONDS + 60))
while [ -n "$(shim_pids)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
# containerd's own clean-up (a shim task that failed to start, say) can end after the last shim:
# the same deadline for the sockets
while [ -n "$(new_shim_sockets)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done

# ---- nothing left anywhere ----
rec pods_left "$(probe pods 2>/dev/null | grep -c .)"
rec cri_containers_left "$(probe ps 2>/dev/null | grep -c .)"
rec tasks_left "$(kctr task ls -q 2>/dev/null | grep -c .)"
rec containers_left "$(kctr container ls -q 2>/dev/null | grep -c .)"
rec shims_left "$(shim_pids | grep -c .)"
rec state_dirs_left "$(find /run/katasharp -mindepth 1 -maxdepth 1 2>/dev/null | grep -c .)"
rec shim_sockets_left "$(new_shim_sockets | grep -c .)"
rec shim_sockets_left_names "$(new_shim_sockets | flat)"
rec mounts_left "$(grep -c "${sid:-no-sandbox-id}" /proc/self/mounts)"
rec shm_mounts_left "$(grep -c 'io.containerd.grpc.v1.cri/sandboxes' /proc/self/mounts)"

echo "--- shim and guest log (containerd's log) ---" >&2
shim_log_tail 120 >&2
grep -a 'level=error' "$KS_CTD_RUN/containerd.log" | tail -20 >&2
vm_exits_record
exit 0
