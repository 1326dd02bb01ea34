# Sourced (not run), inside the test host's L1 (as root), by cri.sh and by the CRI benchmarks
# (tests/bench/inner/pod-network.sh, pod-cycles.sh): containerd 1.6's CRI plugin on a CNI network,
# on top of env.sh (private containerd, `katasharp install`, the busybox image).
# Debian's containernetworking-plugins (bridge + host-local + portmap, and CRI's own loopback): containerd,
# its shims and the bridge live in a network namespace of the sourcing script's own ($HOST_NETNS, "the host
# side"), so L1's own network is never touched and all traffic stays between that namespace and the pods.
#
# Takes the sourcing script's arguments (env.sh's: --bin, --kernel-dir, --initrd, --retry-vm-exit).
# Gives: everything env.sh gives; PAUSE_IMAGE, POD_LOGS, CNI_BIN, HOST_NETNS, KS_CTD_NETNS, BRIDGE,
#        POD_SUBNET, BRIDGE_IP; the functions kctr, hostns, in_netns, probe (katasharp-criprobe on our
#        containerd), flat, now_ms, field, wait_container_state; and
#        cri_env_start        the CNI network, containerd with the CRI plugin, busybox and pause images in
#                             k8s.io, until the CRI service answers (a message on stderr and 1 when not)
#        cri_env_remove_pods  whatever pods, containers and k8s.io tasks are left (needs containerd up)
#        cri_env_stop         containerd, shims, the host side with its bridge, mounts, our directories
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PAUSE_IMAGE=docker.io/katasharp/pause:latest
POD_LOGS="$KS_CTD_RUN/pod-logs"
CNI_BIN=/usr/lib/cni # Debian's containernetworking-plugins
HOST_NETNS="ks-cri-host-$$"
KS_CTD_NETNS="/run/netns/$HOST_NETNS"
BRIDGE=kscri0
POD_SUBNET=10.88.77.0/24
BRIDGE_IP=10.88.77.1
# containerd's CRI plugin: our locally built pause image (there is no registry), overlayfs, no
# AppArmor profile to load, Debian's CNI plugins with this network, a free stream port.
KS_CTD_EXTRA_TOML=$(cat <<TOML
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  disable_apparmor = true
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$KS_CTD_RUN/cni/conf"
TOML
)
# The pod network: a bridge with the gateway address in the host-side namespace, addresses from
# host-local (its allocations under our directory), a default route through the bridge, no masquerade
# (nothing leaves the host-side namespace), and portmap for hostPorts (its iptables DNAT rules live in the
# host-side namespace too). containerd adds the loopback plugin itself.
cni_conflist() {
  cat <<JSON
{
  "cniVersion": "0.4.0",
  "name": "ks-cri",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$POD_SUBNET", "gateway": "$BRIDGE_IP" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$KS_CTD_RUN/cni/ipam"
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
}

kctr() { ctr -n k8s.io "$@"; }
hostns() { nsenter --net="$KS_CTD_NETNS" "$@"; }     # a command on the host side of the pod network
in_netns() { local ns="$1"; shift; nsenter --net="$ns" "$@"; }
# The CRI socket is a unix socket (any namespace reaches it); containerd's streaming server (exec, attach,
# port-forward URLs) listens on 127.0.0.1 of containerd's own network namespace, the host side: streaming verbs
# run there (PROBE_NETNS=host).
probe() {
  if [ "${PROBE_NETNS:-}" = host ]; then hostns "$KS_BIN/katasharp-criprobe" --socket "$KS_CTD_RUN/containerd.sock" "$@"
  else "$KS_BIN/katasharp-criprobe" --socket "$KS_CTD_RUN/containerd.sock" "$@"; fi
}
flat() { tr -d '\r' | tr '\n' '|' | sed 's/|$//'; }
field() { sed -n "s/^$1=//p"; } # a key=value line of probe output
wait_container_state() { # id state seconds
  local deadline=$((SECONDS + $3))
  while [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(probe status "$1" 2>/dev/null | field state)" = "$2" ] && return 0
    sleep 0.2
  done
  return 1
}

cri_env_start() {
  local plugin deadline
  for plugin in bridge host-local loopback portmap; do
    [ -x "$CNI_BIN/$plugin" ] || { echo "$CNI_BIN/$plugin is missing: run scripts/install-deps.sh containers (containernetworking-plugins)" >&2; return 1; }
  done
  mkdir -p "$KS_CTD_RUN/cni/conf" "$KS_CTD_RUN/cni/ipam" "$POD_LOGS"
  cni_conflist >"$KS_CTD_RUN/cni/conf/10-ks-cri.conflist"
  ip netns add "$HOST_NETNS" && ip -n "$HOST_NETNS" link set lo up || { echo "cannot create the host-side network namespace $HOST_NETNS" >&2; return 1; }
  shim_env_start || { echo "the test environment did not start" >&2; return 1; }
  # The CRI plugin's images live in containerd's k8s.io namespace: busybox for the app and a pause
  # image (busybox whose entrypoint sleeps; CRI kills it with SIGKILL) for the sandbox container.
  kctr image import --base-name docker.io/library/busybox "$KS_IMAGE_TAR" >/dev/null || { echo "busybox import into k8s.io failed" >&2; return 1; }
  cp -a "$KS_IMAGE_LAYOUT" "$ks_work/pause-layout" \
    && umoci config --image "$ks_work/pause-layout:latest" --config.entrypoint /bin/sleep --config.cmd 2147483647 \
    && tar -C "$ks_work/pause-layout" -cf "$ks_work/pause.tar" . \
    && kctr image import --base-name docker.io/katasharp/pause "$ks_work/pause.tar" >/dev/null \
    || { echo "the pause image could not be built or imported" >&2; return 1; }
  # The CRI service answers once the plugin has initialized.
  deadline=$((SECONDS + 120))
  until probe version >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { echo "containerd's CRI plugin did not answer:" >&2; probe version >&2; tail -30 "$KS_CTD_RUN/containerd.log" >&2; return 1; }
    sleep 0.2
  done
}

# Whatever a failed check left: pods (CRI stops their containers), then k8s.io tasks and containers.
cri_env_remove_pods() {
  local id
  if [ -n "$KS_CTD_PID" ] && kill -0 "$KS_CTD_PID" 2>/dev/null; then
    for id in $(probe ps 2>/dev/null | awk '{ print $1 }'); do probe rm "$id" >/dev/null 2>&1; done
    for id in $(probe pods 2>/dev/null | awk '{ print $1 }'); do probe stopp "$id" >/dev/null 2>&1; probe rmp "$id" >/dev/null 2>&1; done
    for id in $(kctr task ls -q 2>/dev/null); do kctr task kill -s KILL "$id" >/dev/null 2>&1; kctr task delete -f "$id" >/dev/null 2>&1; done
    for id in $(kctr container ls -q 2>/dev/null); do kctr container delete "$id" >/dev/null 2>&1; done
  fi
  return 0
}

cri_env_stop() {
  local work="$ks_work" m
  shim_env_stop 2>/dev/null
  # the host side with its bridge (and anything CNI left there)
  ip netns del "$HOST_NETNS" 2>/dev/null
  # CRI's per-pod shm tmpfs and anything else still mounted under our directories (a failed teardown).
  for m in $(awk -v a="$KS_CTD_RUN/" -v b="$work/" 'index($2, a) == 1 || index($2, b) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$m" 2>/dev/null
  done
  rm -rf "$work" "$KS_CTD_RUN/cni" "$POD_LOGS"
  return 0
}
