#!/usr/bin/env bash
# The Kubernetes path end to end, inside the test host's L1: containerd 1.6's CRI plugin with the
# runtime handler `katasharp` (registered by `katasharp install`), driven by katasharp-criprobe the
# way the kubelet would (there is no kubelet or crictl here): RunPodSandbox → CreateContainer →
# StartContainer → ExecSync → status → Stop/RemoveContainer → Stop/RemovePodSandbox. The pause
# (sandbox) container and the app container must share one shim and one VM, and nothing may be left.
# The pod is on a CNI network (Debian's containernetworking-plugins: bridge + host-local, and CRI's
# own loopback): containerd, its shims and the bridge live in a network namespace of this scenario's
# own ($HOST_NETNS, "the host side"), so L1's own network is never touched and all traffic stays
# between that namespace and the pod (cri-env.sh builds all this, for the CRI benchmarks too). The
# pod's IPC is the pod's, so CRI hands both containers its /dev/shm directory. Prints key=value results; tests/KataSharp.Integration.Tests/Shim/CriEndToEndTests.cs
# asserts on them. Always exits 0 after cleaning up unless the environment could not start.
#
# By hand:  sudo tests/testhost/run.sh --timeout 1800 -- "$PWD/tests/testhost/shim/cri.sh" \
#             --kernel-dir "$(guest-image/kernel/build-kernel.sh)" --initrd "$(guest-image/initrd/build-initrd.sh)"
# (scripts/publish.sh containerd-shim-katasharp-v2 katasharp katasharp-criprobe first: it reads out/bin.)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/cri-env.sh"

POD_HTTP_PORT=8080
HOST_HTTP_PORT=8081
POD_HOST_PORT=18080 # the pod's hostPort (CNI portmap) for POD_HTTP_PORT

rec() { printf '%s=%s\n' "$1" "$2"; }
run_probe() { run_probe_from /dev/null "$@"; } # key, then the probe arguments; records <key>_exit, <key>_out, <key>_ms (and <key>_err)
run_probe_from() { # the probe's stdin (a file), then as run_probe
  local input="$1" key="$2" start out code; shift 2
  start=$(now_ms)
  out=$(probe "$@" 2>"$ks_work/$key.err" <"$input"); code=$?
  rec "${key}_exit" "$code"; rec "${key}_out" "$(printf '%s' "$out" | flat)"; rec "${key}_ms" $(( $(now_ms) - start ))
  [ "$code" = 0 ] || rec "${key}_err" "$(flat <"$ks_work/$key.err")"
}

cri_stop() {
  cri_env_remove_pods
  [ -n "${blk_dev:-}" ] && losetup -d "$blk_dev" 2>/dev/null
  [ -n "${host_httpd:-}" ] && kill "$host_httpd" 2>/dev/null
  [ -n "${tc_monitor:-}" ] && kill "$tc_monitor" 2>/dev/null
  # the pod's namespace this scenario held open (outside $ks_work, which goes next)
  [ -n "${held_netns:-}" ] && { umount "$held_netns" 2>/dev/null; rm -f "$held_netns"; }
  cri_env_stop
}
trap cri_stop EXIT

start=$(now_ms)
cri_env_start || exit 1
rec env_ms $(( $(now_ms) - start ))
rec kernel_release "$(cat "$KS_KERNEL_DIR/kernel.release")"
rec l1_kernel_release "$(uname -r)"
rec registered "$(grep -c 'runtimes.katasharp\]' "$KS_CTD_RUN/config.toml")"

run_probe version version
run_probe pause_image image-status "$PAUSE_IMAGE"

# ---- the pod: its sandbox (pause) container boots the VM ----
# shareProcessNamespace (--pid pod), a hostname, and sysctls (safe, allowed-unsafe ipc, a net one) on the pod sandbox.
pod=(--name ks-cri-pod --namespace default --uid ks-cri-pod-uid --network pod --log-dir "$POD_LOGS" --pid pod --hostname ks-cri-pod-host --port "$POD_HOST_PORT:$POD_HTTP_PORT"
  --sysctl kernel.shm_rmid_forced=1 --sysctl kernel.msgmax=12345 --sysctl net.ipv4.ip_unprivileged_port_start=1000
  --dns-server 10.88.77.53 --dns-search ks-cri.example --dns-option ndots:2)
run_probe runp runp --handler katasharp "${pod[@]}"
sid=$(probe pods 2>/dev/null | awk '$3 == "ks-cri-pod" { print $1 }' | head -n1)
rec sandbox_id "$sid"
run_probe podstatus podstatus "$sid"

# ---- kubelet's volumes for the pod, laid out as kubelet does (its atomic writer: key -> ..data/key, ..data -> ..<generation>/) ----
kube_volumes="$ks_work/kubelet/pods/ks-cri-pod-uid/volumes"
kubelet_volume() { # kind name generation key=value...: write a generation and switch ..data to it, as kubelet does
  local dir="$kube_volumes/kubernetes.io~$1/$2" gen="..$3" kv; shift 3
  mkdir -p "$dir/$gen"
  for kv in "$@"; do printf '%s' "${kv#*=}" >"$dir/$gen/${kv%%=*}"; done
  ln -sfn "$gen" "$dir/..data_tmp" && mv -T "$dir/..data_tmp" "$dir/..data"
  for kv in "$@"; do [ -L "$dir/${kv%%=*}" ] || ln -s "..data/${kv%%=*}" "$dir/${kv%%=*}"; done
}
kubelet_volume configmap app-config 2026_12_05_00_00_01.1 greeting=hello-v1 mode=blue
kubelet_volume secret app-secret 2026_12_05_00_00_01.1 password=s3cret
chmod 0600 "$kube_volumes/kubernetes.io~secret/app-secret/..2026_12_05_00_00_01.1/password"
kubelet_volume projected kube-api-access-ks 2026_12_05_00_00_01.1 token=ks-token namespace=default ca.crt=ks-ca
mkdir -p "$kube_volumes/kubernetes.io~empty-dir/scratch"
volume_mounts=(--mount "$kube_volumes/kubernetes.io~configmap/app-config:/etc/app-config:ro"
  --mount "$kube_volumes/kubernetes.io~secret/app-secret:/etc/app-secret:ro"
  --mount "$kube_volumes/kubernetes.io~projected/kube-api-access-ks:/var/run/secrets/kubernetes.io/serviceaccount:ro"
  --mount "$kube_volumes/kubernetes.io~empty-dir/scratch:/scratch")

# ---- the app container: same pod, so the same shim and VM ----
# The shell traps TERM (StopContainer sends TERM; a shell as pid 1 of a pid namespace, without --pid pod, gets it only through a handler).
# It serves HTTP on the pod network (busybox httpd in the foreground, a child the shell waits for).
run_probe create create --pod "$sid" "${pod[@]}" --container-name app --image docker.io/library/busybox:latest --log-path app.log "${volume_mounts[@]}" \
  -- sh -c "trap 'exit 143' TERM; echo \"app-start \$(uname -r)\"; mkdir -p /tmp/www && echo ks-pod-http-ok >/tmp/www/index.html && { busybox httpd -f -p $POD_HTTP_PORT -h /tmp/www & }; sleep 100000 & wait"
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
# shim_pids lists the pods' confined VMM processes too (the shim's own binary, verb `vmm`): shims are the others.
shims=$(for p in $(shim_pids); do tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q ' vmm ' || echo "$p"; done)
rec shim_count "$(printf '%s\n' "$shims" | grep -c .)"
shim=$(printf '%s\n' "$shims" | head -n1)
rec shim_pid "$shim"
# The pod's VMM process: shim -> unshare (its PID namespace's parent) -> VMM; it holds the VM and the guest's RAM.
vmm_unshare=$(vmm_unshare_of "$shim")
vmm=$(vmm_of "$shim")
rec vmm_pid "$vmm"
rec sandbox_task_pid "$(kctr task ls 2>/dev/null | awk -v id="$sid" '$1 == id { print $2 }')"
# A KVM VM is an fd (anon_inode:kvm-vm) of the process that made it: the shim's VMM process runs the pod's VM.
rec shim_kvm_vms "$( [ -n "$vmm" ] && ls -l "/proc/$vmm/fd" 2>/dev/null | grep -c 'kvm-vm')"
rec qemu_processes "$(pgrep -c qemu-system)"
# The pod's cgroup (the sandbox's linux.cgroupsPath; Kata's sandbox_cgroup_only): the shim, its VMM threads and the
# guest RAM it touches run there, not in containerd's. The guest's RAM is anonymous memory of the VMM process, which the
# shim starts after the move, so every page of it the VMM has (its [anon:katasharp-guest-ram] Rss, read first) is
# charged to the pod's cgroup (memory.current, read after: the exact charge; memory.stat is flushed lazily and may lag).
# "missing" when no ancestor enabled the memory controller.
shim_cgroup=$( [ -n "$shim" ] && sed -n 's/^0:://p' "/proc/$shim/cgroup")
rec shim_cgroup "$shim_cgroup"
rec shim_rss_kib "$( [ -n "$shim" ] && awk '/^VmRSS:/ { print $2 }' "/proc/$shim/status")"
# guest RAM: anonymous memory of the VMM process (born in the pod's cgroup, where the shim had moved before starting it)
rec vmm_guest_ram_kib "$(guest_ram_kib "$vmm")"
pod_memory="/sys/fs/cgroup$shim_cgroup/memory"
rec pod_cgroup_memory_kib "$( [ -r "$pod_memory.current" ] && echo $(( $(cat "$pod_memory.current") / 1024 )) || echo missing)"
rec pod_cgroup_anon_kib "$( [ -r "$pod_memory.stat" ] && awk '$1 == "anon" { print int($2 / 1024) }' "$pod_memory.stat" || echo missing)"
rec pod_cgroup_parent_subtree "$(cat "/sys/fs/cgroup${shim_cgroup%/*}/cgroup.subtree_control" 2>/dev/null | flat)"
rec containerd_cgroup "$(sed -n 's/^0:://p' "/proc/$KS_CTD_PID/cgroup")"
# Both containers see the same guest kernel boot: the pause container through ctr, the app through CRI.
rec sandbox_boot_id "$(kctr task exec --exec-id boot-id "$sid" cat /proc/sys/kernel/random/boot_id 2>&1 </dev/null | flat)"
run_probe app_boot_id exec-sync "$cid" -- cat /proc/sys/kernel/random/boot_id

# ---- the pod's shared namespaces: the app container joined the pause container's ipc, uts and pid namespaces ----
# One exec in each (forks are slow here), each printing key=value lines. The pause container makes a POSIX message
# queue (an object of its ipc namespace) first; the app container then lists it.
podns_script='echo "ipc=$(readlink /proc/self/ns/ipc)"; echo "uts=$(readlink /proc/self/ns/uts)"; echo "pid=$(readlink /proc/self/ns/pid)"
  echo "host=$(hostname)"; echo "shm_rmid_forced=$(cat /proc/sys/kernel/shm_rmid_forced)"; echo "msgmax=$(cat /proc/sys/kernel/msgmax)"
  echo "port_start=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"'
podns_keys="ipc uts pid host shm_rmid_forced msgmax port_start"
sandbox_ns=$(kctr task exec --exec-id podns "$sid" sh -c "$podns_script; touch /dev/mqueue/ks-pod-queue && echo mq=made" 2>&1 </dev/null)
for k in $podns_keys mq; do rec "sandbox_ns_$k" "$(printf '%s\n' "$sandbox_ns" | field "$k")"; done
app_ns=$(probe exec-sync "$cid" -- sh -c "$podns_script; echo \"mq=\$(ls /dev/mqueue)\"; echo \"pid1=\$(cat /proc/1/comm)\"; echo \"ps=\$(ps -o pid,args | tr '\\n' '|')\"" 2>&1 </dev/null)
for k in $podns_keys mq pid1 ps; do rec "app_ns_$k" "$(printf '%s\n' "$app_ns" | field "$k")"; done

# ---- the pod network: CNI bridge → veth eth0 in the pod's namespace → tc → tap → virtio-net → guest ----
# (few processes: forks are slow in L1 under TCG, so the pod namespace is read with one nsenter and parsed in bash)
net_start=$(now_ms)
# A server on the bridge's address in L1's side for the pod to reach, started first so it is up when asked.
# nsenter itself, not the hostns function: backgrounded, a function runs in a subshell whose pid is not the server's.
mkdir -p "$ks_work/www" && echo ks-host-http-ok >"$ks_work/www/index.html"
nsenter --net="$KS_CTD_NETNS" busybox httpd -f -p "$BRIDGE_IP:$HOST_HTTP_PORT" -h "$ks_work/www" &
host_httpd=$!
pod_ip=$(probe podstatus "$sid" 2>/dev/null | field ip)
rec pod_ip "$pod_ip"
spec_netns() { # container id: the network namespace path in the OCI spec containerd gave the shim
  local spec
  spec=$(<"$KS_CTD_RUN/state/io.containerd.runtime.v2.task/k8s.io/$1/config.json") 2>/dev/null
  [[ $spec =~ \"type\":\"network\",\"path\":\"([^\"]*)\" ]] && printf '%s' "${BASH_REMATCH[1]}"
}
pod_netns=$(spec_netns "$sid")
rec pod_netns "$pod_netns"
rec app_spec_netns "$(spec_netns "$cid")" # what CRI gives an app container (the guest spec drops it)
# Held open by a bind mount, so it can be looked at after CRI has removed it (the teardown checks below).
held_netns="/run/ks-cri-pod-netns-$$"
if [ -n "$pod_netns" ] && touch "$held_netns" && mount --bind "$pod_netns" "$held_netns"; then rec netns_held 1; else rec netns_held 0; fi
# `ip -o link` lines → "eth0,lo,tap0_kata" (sorted link names)
link_names() {
  local line names=()
  while IFS= read -r line; do [[ $line =~ ^[0-9]+:\ ([^:@]+) ]] && names+=("${BASH_REMATCH[1]}"); done <<<"$1"
  [ ${#names[@]} -gt 0 ] && printf '%s\n' "${names[@]}" | sort | paste -sd, -
}
section() { # name, text of "--- name" sections: that section's lines
  local line on=0
  while IFS= read -r line; do
    if [[ $line == "--- "* ]]; then [[ $line == "--- $1" ]] && on=1 || on=0; elif [ "$on" = 1 ]; then printf '%s\n' "$line"; fi
  done <<<"$2"
}
pod_side=$(nsenter --net="$held_netns" sh -c 'echo "--- links"; ip -o link; echo "--- inet"; ip -o -4 addr show dev eth0; echo "--- tap"; ip -d -o link show tap0_kata
  echo "--- eth0 ingress"; tc filter show dev eth0 ingress; echo "--- tap ingress"; tc filter show dev tap0_kata ingress' 2>&1)
links=$(section links "$pod_side")
[[ $links =~ [0-9]+:\ eth0@[^$'\n']*mtu\ ([0-9]+)[^$'\n']*link/ether\ ([0-9a-f:]+) ]] && { veth_mtu=${BASH_REMATCH[1]} veth_mac=${BASH_REMATCH[2]}; }
rec veth_mac "${veth_mac:-}"
rec veth_mtu "${veth_mtu:-}"
[[ $(section inet "$pod_side") =~ \ inet\ ([0-9.]+/[0-9]+)\  ]] && rec veth_inet "${BASH_REMATCH[1]}" || rec veth_inet ""
rec pod_netns_links "$(link_names "$links")"
[[ $(section tap "$pod_side") == *"tun type tap"* ]] && rec tap_kind "tun type tap" || rec tap_kind "$(section tap "$pod_side" | flat)"
rec eth0_ingress "$(section "eth0 ingress" "$pod_side" | flat)"
rec tap_ingress "$(section "tap ingress" "$pod_side" | flat)"
# The guest's view, from the app container: its eth0 (found by the veth's MAC, renamed like the veth), the
# default route, its network namespace (which the pause container shares), and the pod → L1 request: an
# HTTP/1.0 GET to the bridge's address with busybox nc, the body's last line (Debian's static busybox wget
# segfaults, exit 139 before it connects: measured in L1, in the guest and on the build machine).
for _ in $(seq 50); do hostns ss -Hltn "sport = :$HOST_HTTP_PORT" 2>/dev/null | grep -q . && break; sleep 0.1; done
guest_net=$(probe exec-sync "$cid" -- sh -c "echo \"inet=\$(busybox ip -o -4 addr show dev eth0)\"; echo \"mac=\$(cat /sys/class/net/eth0/address)\"
  echo \"mtu=\$(cat /sys/class/net/eth0/mtu)\"; echo \"default=\$(busybox ip route | busybox grep '^default')\"; echo \"netns=\$(busybox readlink /proc/self/ns/net)\"
  echo \"http=\$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | busybox nc -w 10 $BRIDGE_IP $HOST_HTTP_PORT | busybox tr -d '\r' | busybox tail -n 1)\"" 2>"$ks_work/guest_net.err")
rec guest_net_exit $?
rec guest_net_err "$(flat <"$ks_work/guest_net.err")"
[[ $(printf '%s\n' "$guest_net" | field inet) =~ \ inet\ ([0-9.]+/[0-9]+)\  ]] && rec guest_eth0_inet "${BASH_REMATCH[1]}" || rec guest_eth0_inet ""
rec guest_eth0_mac "$(printf '%s\n' "$guest_net" | field mac)"
rec guest_eth0_mtu "$(printf '%s\n' "$guest_net" | field mtu)"
rec guest_default_route "$(printf '%s\n' "$guest_net" | field default)"
rec app_netns "$(printf '%s\n' "$guest_net" | field netns)"
rec pod_to_host_http "$(printf '%s\n' "$guest_net" | field http)"
kill "$host_httpd" 2>/dev/null; wait "$host_httpd" 2>/dev/null; host_httpd=""
rec sandbox_netns "$(kctr task exec --exec-id netns "$sid" busybox readlink /proc/self/ns/net 2>&1 </dev/null | flat)"
# L1's side (the bridge's namespace) → the app's HTTP server over the pod IP (httpd may still be starting).
host_to_pod="" tries=0
for tries in $(seq 15); do
  host_to_pod=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | hostns busybox nc -w 5 "$pod_ip" "$POD_HTTP_PORT" 2>"$ks_work/host_to_pod.err" | tr -d '\r' | tail -n 1)
  [ "$host_to_pod" = ks-pod-http-ok ] && break
  sleep 1
done
rec host_to_pod_http "$host_to_pod"
rec host_to_pod_tries "$tries"
rec host_to_pod_err "$(flat <"$ks_work/host_to_pod.err")"
# The hostPort: L1's side asks its own address (the bridge's) on POD_HOST_PORT; portmap's DNAT sends it to the pod.
host_port_http=$(printf 'GET /index.html HTTP/1.0\r\n\r\n' | hostns busybox nc -w 5 "$BRIDGE_IP" "$POD_HOST_PORT" 2>"$ks_work/host_port.err" | tr -d '\r' | tail -n 1)
rec host_port_http "$host_port_http"
rec host_port_err "$(flat <"$ks_work/host_port.err")"
rec host_port_dnat "$(hostns iptables -t nat -S 2>/dev/null | grep -c -- "--to-destination $pod_ip:$POD_HTTP_PORT")"
rec net_checks_ms $(( $(now_ms) - net_start ))

# ---- mixed RuntimeClasses: a runc pod on the same bridge, reached from the katasharp pod and reaching it over TCP ----
# (containerd's default handler is runc; the katasharp pod's HTTP server is the app's, the runc pod serves its own)
runc_pod=(--name ks-cri-runc-pod --namespace default --uid ks-cri-runc-pod-uid --network pod --log-dir "$POD_LOGS")
run_probe runc_runp runp "${runc_pod[@]}"
runc_sid=$(probe pods 2>/dev/null | awk '$3 == "ks-cri-runc-pod" { print $1 }' | head -n1)
run_probe runc_podstatus podstatus "$runc_sid"
runc_ip=$(probe podstatus "$runc_sid" 2>/dev/null | field ip)
rec runc_pod_ip "$runc_ip"
run_probe runc_create create --pod "$runc_sid" "${runc_pod[@]}" --container-name web --image docker.io/library/busybox:latest \
  -- sh -c "mkdir -p /tmp/www && echo ks-runc-pod-http-ok >/tmp/www/index.html && exec busybox httpd -f -p $POD_HTTP_PORT -h /tmp/www"
runc_cid=$(probe ps 2>/dev/null | awk -v s="$runc_sid" '$2 == s && $4 == "web" { print $1 }' | head -n1)
run_probe runc_start start "$runc_cid"
# One HTTP/1.0 GET with busybox nc, tried until the server answers (it may still be starting), at most 15 times.
http_get_script='for i in $(seq 15); do body=$(printf "GET /index.html HTTP/1.0\r\n\r\n" | busybox nc -w 5 "$0" "$1" | busybox tr -d "\r" | busybox tail -n 1)
  [ -n "$body" ] && { echo "$body"; exit 0; }; sleep 1; done; echo "no answer from $0:$1"; exit 1'
run_probe kata_to_runc exec-sync "$cid" -- sh -c "$http_get_script" "$runc_ip" "$POD_HTTP_PORT"
run_probe runc_to_kata exec-sync "$runc_cid" -- sh -c "$http_get_script" "$pod_ip" "$POD_HTTP_PORT"
run_probe runc_uname exec-sync "$runc_cid" -- uname -r # L1's kernel: runc's pod is no VM
# CRI port forwarding to the runc pod's server (the control for the katasharp pod's, below).
printf 'GET /index.html HTTP/1.0\r\n\r\n' >"$ks_work/http.request"
PROBE_NETNS=host run_probe_from "$ks_work/http.request" pf_runc port-forward --for 10 "$runc_sid" "$POD_HTTP_PORT"
run_probe runc_stop stop --timeout 10 "$runc_cid"
run_probe runc_rm rm "$runc_cid"
run_probe runc_stopp stopp "$runc_sid"
run_probe runc_rmp rmp "$runc_sid"

# ---- kubelet volumes in the guest: copied in, read-only where asked, kept in sync; emptyDir and /dev/shm shared by the pod ----
vol_start=$(now_ms)
vol_app=$(probe exec-sync "$cid" -- sh -c 'echo "greeting=$(cat /etc/app-config/greeting)"; echo "mode=$(cat /etc/app-config/mode)"
  echo "data_link=$(readlink /etc/app-config/..data)"; echo "key_link=$(readlink /etc/app-config/greeting)"
  echo "password=$(cat /etc/app-secret/password)"; echo "password_mode=$(stat -L -c %a /etc/app-secret/password)"
  echo "token=$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)"; echo "sa_namespace=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace)"
  if touch /etc/app-config/new 2>/dev/null; then echo config_ro=0; else echo config_ro=1; fi
  echo from-app >/scratch/note && echo from-app-shm >/dev/shm/ks-pod-note && echo written=1' 2>"$ks_work/vol_app.err")
rec vol_app_exit $?
rec vol_app_err "$(flat <"$ks_work/vol_app.err")"
for k in greeting mode data_link key_link password password_mode token sa_namespace config_ro written; do rec "vol_app_$k" "$(printf '%s\n' "$vol_app" | field "$k")"; done
# A second app container with the same emptyDir: it sees what the first wrote there and in the pod's /dev/shm.
run_probe peer_create create --pod "$sid" "${pod[@]}" --container-name peer --image docker.io/library/busybox:latest \
  --mount "$kube_volumes/kubernetes.io~empty-dir/scratch:/scratch" --log-path peer.log \
  -- sh -c 'i=0; while true; do i=$((i + 1)); echo "peer-tick-$i"; sleep 1; done'
peer=$(probe ps 2>/dev/null | awk -v s="$sid" '$2 == s && $4 == "peer" { print $1 }' | head -n1)
run_probe peer_start start "$peer"
run_probe peer_reads exec-sync "$peer" -- sh -c 'echo "$(cat /scratch/note),$(cat /dev/shm/ks-pod-note)"'
# kubelet updates the configmap: a new generation, ..data switched to it, the old generation removed. The container
# sees the new data through the same mount within seconds (waited for in the guest, at most 30 s).
kubelet_volume configmap app-config 2026_12_05_00_00_02.2 greeting=hello-v2 mode=green
rm -rf "$kube_volumes/kubernetes.io~configmap/app-config/..2026_12_05_00_00_01.1"
update_ms=$(now_ms)
run_probe vol_update exec-sync "$cid" -- sh -c 'i=0; while [ $i -lt 300 ]; do
    if [ "$(cat /etc/app-config/greeting)" = hello-v2 ] && [ ! -e /etc/app-config/..2026_12_05_00_00_01.1 ]; then
      echo "$(cat /etc/app-config/greeting),$(cat /etc/app-config/mode),$(readlink /etc/app-config/..data)"; exit 0; fi
    sleep 0.1; i=$((i + 1)); done; echo "never: $(cat /etc/app-config/greeting) $(ls -a /etc/app-config | tr "\n" " ")"; exit 1'
rec vol_update_seen_ms $(( $(now_ms) - update_ms ))
# A configmap over the per-volume limit ([runtime] volume_max_mib, 16 by default): its container fails to start, naming it.
kubelet_volume configmap too-big 2026_12_05_00_00_01.1 small=x
head -c $((17 * 1024 * 1024)) /dev/zero >"$kube_volumes/kubernetes.io~configmap/too-big/..2026_12_05_00_00_01.1/big"
ln -s ..data/big "$kube_volumes/kubernetes.io~configmap/too-big/big"
run_probe big_create create --pod "$sid" "${pod[@]}" --container-name big --image docker.io/library/busybox:latest \
  --mount "$kube_volumes/kubernetes.io~configmap/too-big:/etc/too-big:ro" -- sleep 100000
big=$(probe ps 2>/dev/null | awk -v s="$sid" '$2 == s && $4 == "big" { print $1 }' | head -n1)
run_probe big_start start "$big"
run_probe big_rm rm "$big"
rec vol_checks_ms $(( $(now_ms) - vol_start ))

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

# ---- the other areas of Kubernetes' CRI validation suite (critest) ----
conf_start=$(now_ms)
run_probe runtime_status runtime-status
# DNS config: containerd writes the pod's resolv.conf from it; the guest has a copy.
run_probe dns exec-sync "$cid" -- cat /etc/resolv.conf
# Stats: the container's cgroup in the guest, through the shim's Stats.
run_probe stats stats "$cid"
# Streaming exec (containerd's streaming server, WebSocket channel protocol): with a tty and stdin, and without.
printf '%s\n' 'echo "streamed-$((6 * 7))"; exit 5' >"$ks_work/sexec.in"
PROBE_NETNS=host run_probe_from "$ks_work/sexec.in" sexec_tty exec --stdin true --tty true "$cid" -- sh
PROBE_NETNS=host run_probe sexec exec "$cid" -- sh -c 'echo out-line; echo err-line >&2; exit 4'
# Attach to the peer's stdout for a few seconds: its ticks arrive.
PROBE_NETNS=host run_probe attach attach --for 4 "$peer"
# Log rotation as the kubelet does it: rename the file, ReopenContainerLog, new lines go to a new file.
mv "$POD_LOGS/peer.log" "$POD_LOGS/peer.log.1"
run_probe reopen reopen-log "$peer"
for _ in $(seq 100); do grep -q peer-tick "$POD_LOGS/peer.log" 2>/dev/null && break; sleep 0.1; done
rec reopened_log "$(tail -n 1 "$POD_LOGS/peer.log" 2>/dev/null | flat)"
# Security context: a non-root user and groups, a read-only rootfs, all capabilities dropped but one, no_new_privs and
# containerd's RuntimeDefault seccomp profile; the kubelet's default masked and read-only paths (containerd applies only what CRI sends).
# ks-syscall-probe (tests/native, static; busybox has no keyctl) makes the syscalls the profile refuses: it comes in as an
# executable file of a configmap volume (copied into the VM with its mode; a plain host directory cannot be shared).
probe_volume="$kube_volumes/kubernetes.io~configmap/syscall-probe"
mkdir -p "$probe_volume" && install -m 0755 "$KS_BIN/ks-syscall-probe" "$probe_volume/ks-syscall-probe"
run_probe sec_create create --pod "$sid" "${pod[@]}" --container-name secctx --image docker.io/library/busybox:latest \
  --run-as-user 1000 --run-as-group 3000 --supplemental-group 4000 --readonly-rootfs true --cap-drop ALL --cap-add NET_BIND_SERVICE \
  --no-new-privs true --seccomp runtime/default --proc-mount default --mount "$probe_volume:/probe:ro" -- sleep 100000
sec=$(probe ps 2>/dev/null | awk -v s="$sid" '$2 == s && $4 == "secctx" { print $1 }' | head -n1)
run_probe sec_start start "$sec"
sec_probe='echo "uid=$(id -u)"; echo "gid=$(id -g)"; echo "groups=$(id -G)"
  sed -n "s/^\(CapEff\|CapBnd\|NoNewPrivs\|Seccomp\):[[:space:]]*/\1=/p" /proc/self/status
  if touch /rootfs-probe 2>/dev/null; then echo rootfs_ro=0; else echo rootfs_ro=1; fi
  echo "kcore_bytes=$(head -c 16 /proc/kcore 2>/dev/null | wc -c)"
  echo "proc_sys=$(grep " /proc/sys " /proc/mounts | cut -d" " -f4 | cut -d, -f1)"'
sec_out=$(probe exec-sync "$sec" -- sh -c "$sec_probe" 2>"$ks_work/sec.err"); rec sec_exit $?
rec sec_err "$(flat <"$ks_work/sec.err")"
for k in uid gid groups CapEff CapBnd NoNewPrivs Seccomp rootfs_ro kcore_bytes proc_sys; do rec "sec_$k" "$(printf '%s\n' "$sec_out" | field "$k")"; done
# What runc does with RuntimeDefault: unshare and keyctl fail with EPERM, getpid works (an exec, so the exec path's filter).
sec_sys=$(probe exec-sync "$sec" -- /probe/ks-syscall-probe unshare keyctl getpid 2>"$ks_work/sec_sys.err"); rec sec_sys_exit $?
rec sec_sys_err "$(flat <"$ks_work/sec_sys.err")"
for k in unshare keyctl getpid; do rec "sec_sys_$k" "$(printf '%s\n' "$sec_sys" | field "$k")"; done
# The app container for contrast: root, no seccomp profile asked (Unconfined), a writable rootfs.
app_sec=$(probe exec-sync "$cid" -- sh -c "$sec_probe" 2>/dev/null)
for k in uid CapEff NoNewPrivs Seccomp rootfs_ro; do rec "app_sec_$k" "$(printf '%s\n' "$app_sec" | field "$k")"; done
run_probe sec_rm rm "$sec"
# Port forwarding: containerd 1.6 dials 127.0.0.1:PORT inside the pod's network namespace on the host; the shim's
# sk_lookup program there hands the connection to the shim, which carries it to the agent (runtime/README.md). The
# app's server answers; a port nothing listens on in the guest is reset, as a closed port would be.
PROBE_NETNS=host run_probe_from "$ks_work/http.request" pf_kata port-forward --for 10 "$sid" "$POD_HTTP_PORT"
PROBE_NETNS=host run_probe_from "$ks_work/http.request" pf_kata_closed port-forward --for 10 "$sid" 9
rec conformance_ms $(( $(now_ms) - conf_start ))

# ---- two more katasharp pods started at the same time; in one the guest kernel dies under its container ----
# (issue 12) The kubelet starts pods concurrently. And a pod whose VM dies (a privileged container panics
# the guest on OOM, as reliability.sh does with ctr) shows its container exited with 137 on its own, and
# goes away with StopPodSandbox/RemovePodSandbox as any pod does.
twin_pod=(--name ks-cri-twin --namespace default --uid ks-cri-twin-uid --network pod --log-dir "$POD_LOGS" --privileged true)
doomed_pod=(--name ks-cri-doomed --namespace default --uid ks-cri-doomed-uid --network pod --log-dir "$POD_LOGS" --privileged true)
pair_start=$(now_ms)
probe runp --handler katasharp "${twin_pod[@]}" >"$ks_work/twin_runp.out" 2>"$ks_work/twin_runp.err" </dev/null &
twin_runp=$!
probe runp --handler katasharp "${doomed_pod[@]}" >"$ks_work/doomed_runp.out" 2>"$ks_work/doomed_runp.err" </dev/null &
doomed_runp=$!
wait "$twin_runp"; rec twin_runp_exit $?
wait "$doomed_runp"; rec doomed_runp_exit $?
rec pair_runp_ms $(( $(now_ms) - pair_start ))
rec twin_runp_err "$(flat <"$ks_work/twin_runp.err")"
rec doomed_runp_err "$(flat <"$ks_work/doomed_runp.err")"
twin_sid=$(probe pods 2>/dev/null | awk '$3 == "ks-cri-twin" { print $1 }' | head -n1)
doomed_sid=$(probe pods 2>/dev/null | awk '$3 == "ks-cri-doomed" { print $1 }' | head -n1)
rec twin_pod_state "$(probe podstatus "$twin_sid" 2>/dev/null | field state)"
rec doomed_pod_state "$(probe podstatus "$doomed_sid" 2>/dev/null | field state)"
rec twin_pod_ip "$(probe podstatus "$twin_sid" 2>/dev/null | field ip)"
# Two katasharp pods (two VMs, two taps on one bridge) talk TCP: the twin's container fetches the app pod's page over
# its pod IP, then says twin-ok (it exits non-zero when the app pod does not answer).
run_probe twin_create create --pod "$twin_sid" "${twin_pod[@]}" --container-name hello --image docker.io/library/busybox:latest \
  --log-path twin.log -- sh -c "($http_get_script) && echo twin-ok" "$pod_ip" "$POD_HTTP_PORT"
twin_cid=$(probe ps 2>/dev/null | awk -v s="$twin_sid" '$2 == s && $4 == "hello" { print $1 }' | head -n1)
run_probe twin_start start "$twin_cid"
if wait_container_state "$twin_cid" CONTAINER_EXITED 120; then rec twin_exited 1; else rec twin_exited 0; fi
rec twin_exit_code "$(probe status "$twin_cid" 2>/dev/null | field exit_code)"
rec twin_log "$(flat <"$POD_LOGS/twin.log" 2>/dev/null)"
# A restart as the kubelet does it: the same container name with the next attempt number, in the same pod (and VM).
run_probe twin_restart_create create --pod "$twin_sid" "${twin_pod[@]}" --container-name hello --container-attempt 1 \
  --image docker.io/library/busybox:latest --log-path twin-1.log -- sh -c 'echo twin-restarted'
twin_cid1=$(probe ps 2>/dev/null | awk -v s="$twin_sid" -v c="$twin_cid" '$2 == s && $4 == "hello" && $1 != c { print $1 }' | head -n1)
run_probe twin_restart_start start "$twin_cid1"
if wait_container_state "$twin_cid1" CONTAINER_EXITED 120; then rec twin_restart_exited 1; else rec twin_restart_exited 0; fi
rec twin_restart_exit_code "$(probe status "$twin_cid1" 2>/dev/null | field exit_code)"
rec twin_restart_log "$(flat <"$POD_LOGS/twin-1.log" 2>/dev/null)"
run_probe twin_restart_rm rm "$twin_cid1"
# A host block device (kubelet's hostPath of type BlockDevice) in a privileged container of the twin pod: it goes on a
# spare virtio-blk slot. `katasharp install` registers the handler with privileged_without_host_devices = true, so
# containerd adds no devices-cgroup rule for it (nor an allow-all one): as under runc with that setting, the node is
# there and open() is refused (the shim binds it nodev). Held exclusively while attached, given back with the container.
blk_img="$ks_work/blk.img"
truncate -s 8M "$blk_img" && printf KS-BLK-OK | dd of="$blk_img" bs=9 count=1 conv=notrunc status=none
blk_dev=$(losetup --find --show "$blk_img" 2>"$ks_work/losetup.err")
rec blk_losetup_err "$(flat <"$ks_work/losetup.err")"
run_probe blk_create create --pod "$twin_sid" "${twin_pod[@]}" --container-name blk --image docker.io/library/busybox:latest \
  --privileged true --mount "$blk_dev:/dev/ks-disk" -- sleep 100000
blk=$(probe ps 2>/dev/null | awk -v s="$twin_sid" '$2 == s && $4 == "blk" { print $1 }' | head -n1)
run_probe blk_start start "$blk"
run_probe blk_node exec-sync "$blk" -- busybox stat -c %F /dev/ks-disk
run_probe blk_read exec-sync "$blk" -- head -c 9 /dev/ks-disk
grep -aF "($blk_dev → /dev/ks-disk, host block device " "$KS_CTD_RUN/containerd.log" | grep -q 'in block slot .*read-write' && rec blk_attached 1 || rec blk_attached 0
# While attached read-write the shim holds the device exclusively (O_EXCL): mkfs (which opens it so) is refused;
# once the container is gone, it is given back and mkfs works (the scratch device's content is no longer needed).
if mkfs.ext4 -q -F "$blk_dev" >/dev/null 2>&1; then rec blk_held 0; else rec blk_held 1; fi
run_probe blk_stop stop --timeout 5 "$blk"
run_probe blk_rm rm "$blk"
if mkfs.ext4 -q -F "$blk_dev" >/dev/null 2>&1; then rec blk_released 1; else rec blk_released 0; fi
losetup -d "$blk_dev" 2>/dev/null; blk_dev=""
run_probe doomed_create create --pod "$doomed_sid" "${doomed_pod[@]}" --container-name doomed --image docker.io/library/busybox:latest \
  -- sh -c "$KS_GUEST_PANIC_SCRIPT"
doomed_cid=$(probe ps 2>/dev/null | awk -v s="$doomed_sid" '$2 == s && $4 == "doomed" { print $1 }' | head -n1)
doomed_start=$(now_ms)
run_probe doomed_start start "$doomed_cid"
if wait_container_state "$doomed_cid" CONTAINER_EXITED 300; then rec doomed_exited 1; else rec doomed_exited 0; fi
rec doomed_exited_ms $(( $(now_ms) - doomed_start ))
rec doomed_exit_code "$(probe status "$doomed_cid" 2>/dev/null | field exit_code)"
rec doomed_vm_exit "$(vm_exit_lines "$doomed_sid" | vm_exit_reason_of | paste -sd, -)"
run_probe twin_rm rm "$twin_cid"
run_probe twin_stopp stopp "$twin_sid"
run_probe twin_rmp rmp "$twin_sid"
run_probe doomed_rm rm "$doomed_cid"
run_probe doomed_stopp stopp "$doomed_sid"
run_probe doomed_rmp rmp "$doomed_sid"

# ---- teardown as the kubelet does it ----
run_probe peer_stop stop --timeout 10 "$peer"
run_probe peer_rm rm "$peer"
run_probe stop stop --timeout 10 "$cid"
run_probe status_after_stop status "$cid"
run_probe rm rm "$cid"
# Every tc change in the pod's namespace while the pod stops. The kernel reports a filter or qdisc deleted by
# request ("deleted filter dev eth0 ...", "deleted qdisc ingress ffff: dev eth0 ..."), not the ones
# that go with a deleted device (CNI DEL's veth): so this shows what the shim itself removed.
if [ -e "$held_netns" ]; then
  nsenter --net="$held_netns" stdbuf -oL tc monitor >"$ks_work/tc-monitor.log" 2>&1 &
  tc_monitor=$!
  # listening once tc (nsenter and stdbuf exec it in place) holds its netlink socket
  for _ in $(seq 100); do
    [ "$(cat "/proc/$tc_monitor/comm" 2>/dev/null)" = tc ] && ls -l "/proc/$tc_monitor/fd" 2>/dev/null | grep -q 'socket:' && break
    sleep 0.1
  done
fi
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
rec state_dirs_err "$(find /run/katasharp -mindepth 1 -maxdepth 3 2>/dev/null | head -n 20 | flat)"  # what is left, shown with a failure
rec shim_sockets_left "$(new_shim_sockets | grep -c .)"
rec shim_sockets_left_names "$(new_shim_sockets | flat)"
rec mounts_left "$(grep -c "${sid:-no-sandbox-id}" /proc/self/mounts)"
rec shm_mounts_left "$(grep -c 'io.containerd.grpc.v1.cri/sandboxes' /proc/self/mounts)"
# ---- the pod network after StopPodSandbox + RemovePodSandbox ----
[ -n "${tc_monitor:-}" ] && { kill "$tc_monitor" 2>/dev/null; wait "$tc_monitor" 2>/dev/null; tc_monitor=""; }
rec tc_monitor "$(flat <"$ks_work/tc-monitor.log" 2>/dev/null)"
# The shim's own account (structured fields, not message text): what it attached and what it removed.
shim_field() { grep -a " sandbox=\"$sid\" $1=" "$KS_CTD_RUN/containerd.log" | sed -n "s/.* $1=\\([^ ]*\\) runtime=io\\.containerd\\.katasharp\\.v2\$/\\1/p" | paste -sd, -; }
rec pod_network_attached "$(shim_field pod_network_attached)"
rec pod_network_detached "$(shim_field pod_network_detached)"
rec pod_network_teardown "$(shim_field pod_network_teardown)"
# CNI DEL ran: the namespace's path is gone, the veth with it, host-local gave the address back, the bridge has no port.
rec pod_netns_path_left "$( [ -n "$pod_netns" ] && [ -e "$pod_netns" ] && echo 1 || echo 0)"
rec cni_netns_left "$(ip netns list 2>/dev/null | grep -c '^cni-')"
after=$( [ -e "$held_netns" ] && nsenter --net="$held_netns" sh -c 'echo "--- links"; ip -o link; echo "--- qdiscs"; tc qdisc show' 2>&1)
rec held_netns_links "$(link_names "$(section links "$after")")"
rec held_netns_qdiscs "$(section qdiscs "$after" | flat)"
rec ipam_addresses_left "$(find "$KS_CTD_RUN/cni/ipam" -type f -name '10.*' 2>/dev/null | grep -c .)"
rec bridge_ports_left "$(hostns ip -o link show master "$BRIDGE" 2>/dev/null | grep -c .)"
rec host_port_dnat_left "$(hostns iptables -t nat -S 2>/dev/null | grep -c -- "--to-destination")"
[ -e "$held_netns" ] && { umount "$held_netns"; rm -f "$held_netns"; }
held_netns=""
rec scenario_ms $(( $(now_ms) - start ))

echo "--- shim and guest log (containerd's log) ---" >&2
shim_log_tail 120 >&2
grep -a 'level=error' "$KS_CTD_RUN/containerd.log" | tail -20 >&2
vm_exits_record
exit 0
