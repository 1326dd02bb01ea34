#!/usr/bin/env bash
# Inside the test host (tests/bench/pod-network.sh runs it): pod networking, katasharp vs runc on one
# CNI bridge in the same run. The environment is cri.sh's (tests/testhost/shim/cri-env.sh: containerd
# 1.6's CRI plugin, Debian's bridge + host-local + portmap, containerd, shims and the bridge in a
# host-side network namespace of this script's own). Two katasharp pods (handler katasharp) and two runc
# pods (containerd's default handler), each with one busybox app container serving an echo server
# (busybox nc -ll -e cat) and HTTP (busybox httpd). Measured per runtime:
#   - TCP throughput, one stream of NET_SECONDS (10): pod → host side (a listener in the host-side
#     namespace) and pod → pod (pod a → pod b of the same runtime)
#   - TCP request/response latency from the host side: NET_RR_COUNT (1000) ping-pongs over one
#     connection, and NET_GET_COUNT (200) HTTP/1.0 GETs with a new connection each
# Tools: busybox in the pods (the image is Debian's busybox: nc with -e, dd, timeout, httpd), bash in L1.
# The sender is `nc IP PORT -e timeout S dd if=/dev/zero bs=64k` (dd writes 64 KiB blocks straight into
# the socket); the receiver is `nc -l -p PORT -e sh -c RX`: after the first 64 KiB (connection and slow
# start not counted) it reads /proc/uptime (10 ms resolution; the guest's own clock in a katasharp pod,
# L1's otherwise), reads to EOF with dd bs=64k iflag=fullblock, reads /proc/uptime again and prints the
# full 64 KiB records it counted (a lower bound: the last partial record is not counted, < 64 KiB).
# Prints key=value lines: tput_<runtime>_<path>_mbit (one value per run), rr_<runtime>_<mode>_us
# (samples, space separated), and notes.
# Usage: pod-network.sh --bin DIR --kernel-dir DIR --initrd FILE
#        (env: NET_SECONDS 10, NET_RUNS 3, NET_RR_COUNT 1000, NET_GET_COUNT 200)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../testhost/shim/cri-env.sh"
. "$here/net-counters.sh"

seconds="${NET_SECONDS:-10}" runs="${NET_RUNS:-3}" rr_count="${NET_RR_COUNT:-1000}" get_count="${NET_GET_COUNT:-200}"
ECHO_PORT=7007
HTTP_PORT=8080
next_port=5201 # a new port per throughput measurement: a listener a failed one left never catches the next
runtimes="katasharp runc"

bench_stop() { cri_env_remove_pods; cri_env_stop; }
trap bench_stop EXIT

note() { echo "note=$*"; }
# the receiver (busybox sh; stdin is the connection, stdout too: the result goes to stderr)
RX_SCRIPT='busybox head -c 65536 >/dev/null; read t0 _ </proc/uptime; r=$(busybox dd bs=64k iflag=fullblock of=/dev/null 2>&1); read t1 _ </proc/uptime
  echo "rx t0=$t0 t1=$t1 records=$(echo "$r" | busybox head -n1 | busybox cut -d" " -f1)" >&2'
# the sender (busybox sh: $0 IP, $1 PORT, $2 SECONDS): retried while the listener is not there yet (nc exits 1)
TX_SCRIPT='i=0; while :; do busybox nc "$0" "$1" -e busybox timeout "$2" busybox dd if=/dev/zero bs=64k 2>/dev/null
  [ $? != 1 ] && exit 0; i=$((i + 1)); [ $i -ge 300 ] && { echo "cannot connect to $0:$1" >&2; exit 1; }; busybox sleep 0.1; done'
# the app container: an echo server and an HTTP server, and a shell that ends on TERM
APP_SCRIPT="trap 'exit 143' TERM; mkdir -p /tmp/www && echo ks-bench-http-ok >/tmp/www/index.html
  busybox httpd -f -p $HTTP_PORT -h /tmp/www & busybox nc -ll -p $ECHO_PORT -e busybox cat </dev/null & sleep 100000 & wait"

# rx_mbit FILE: the receiver's line in FILE → Mbit/s (1 decimal), or "fail"
rx_mbit() {
  local line t0 t1 rec
  line=$(grep -a -o 'rx t0=.*' "$1" | tail -n1)
  [[ $line =~ t0=([0-9.]+)\ t1=([0-9.]+)\ records=([0-9]+) ]] || { echo fail; return; }
  t0=${BASH_REMATCH[1]} t1=${BASH_REMATCH[2]} rec=${BASH_REMATCH[3]}
  awk -v a="$t0" -v b="$t1" -v r="$rec" 'BEGIN { if (b - a <= 0 || r == 0) print "fail"; else printf "%.1f\n", r * 65536 * 8 / (b - a) / 1e6 }'
}

start_pod() { # runtime name: sets pod_sid[name], pod_cid[name], pod_ip[name]
  local rt="$1" name="$2" handler=() sid cid ip t0
  [ "$rt" = katasharp ] && handler=(--handler katasharp)
  local pod=(--name "$name" --namespace default --uid "$name-uid" --network pod --log-dir "$POD_LOGS")
  t0=$(now_ms)
  sid=$(probe runp "${handler[@]}" "${pod[@]}" 2>"$ks_work/$name.err" </dev/null | tail -n1)
  [ -n "$sid" ] || { echo "RunPodSandbox $name ($rt): $(flat <"$ks_work/$name.err")" >&2; return 1; }
  cid=$(probe create --pod "$sid" "${pod[@]}" --container-name app --image docker.io/library/busybox:latest --log-path "$name.log" \
    -- sh -c "$APP_SCRIPT" 2>"$ks_work/$name.err" </dev/null | tail -n1)
  [ -n "$cid" ] || { echo "CreateContainer $name ($rt): $(flat <"$ks_work/$name.err")" >&2; return 1; }
  probe start "$cid" >/dev/null 2>"$ks_work/$name.err" </dev/null || { echo "StartContainer $name ($rt): $(flat <"$ks_work/$name.err")" >&2; return 1; }
  wait_container_state "$cid" CONTAINER_RUNNING 300 || { echo "$name ($rt) never ran" >&2; return 1; }
  ip=$(probe podstatus "$sid" 2>/dev/null </dev/null | field ip)
  [ -n "$ip" ] || { echo "$name ($rt) has no pod IP" >&2; return 1; }
  pod_sid[$name]=$sid pod_cid[$name]=$cid pod_ip[$name]=$ip
  echo "pod_${name//-/_}=$rt ip=$ip start_ms=$(( $(now_ms) - t0 ))"
}
declare -A pod_sid pod_cid pod_ip

# A server of the pod answers on the host side (its shell starts it after the container started).
wait_serving() { # ip port
  local _
  for _ in $(seq 150); do hostns bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null && return 0; sleep 0.2; done
  return 1
}

tput_to_host() { # runtime run: pod a → a listener in the host-side namespace
  local rt="$1" port=$((next_port++)) rx out="$ks_work/rx-host-$1-$2.out"
  hostns busybox nc -l -p "$port" -e busybox sh -c "$RX_SCRIPT" </dev/null >/dev/null 2>"$out" &
  rx=$! # nsenter execs nc in place
  net_counters_begin "$rt" to_host "${pod_cid[$rt-a]}"
  if ! probe exec-sync --timeout $((seconds + 120)) "${pod_cid[$rt-a]}" -- sh -c "$TX_SCRIPT" "$BRIDGE_IP" "$port" "$seconds" \
      >/dev/null 2>"$ks_work/tx.err" </dev/null; then
    note "$rt pod→host run $2: the sender failed: $(flat <"$ks_work/tx.err")"
    kill "$rx" 2>/dev/null
  fi
  wait "$rx" 2>/dev/null
  net_counters_end "$rt" to_host "${pod_cid[$rt-a]}"
  echo "tput_${rt}_to_host_mbit=$(rx_mbit "$out")"
}

tput_pod_to_pod() { # runtime run: pod a → pod b
  local rt="$1" port=$((next_port++)) rx out="$ks_work/rx-pod-$1-$2.out"
  probe exec-sync --timeout $((seconds + 180)) "${pod_cid[$rt-b]}" -- sh -c 'busybox nc -l -p "$0" -e busybox sh -c "$1" </dev/null' "$port" "$RX_SCRIPT" \
    </dev/null >/dev/null 2>"$out" &
  rx=$!
  net_counters_begin "$rt" pod_to_pod "${pod_cid[$rt-a]}" "${pod_cid[$rt-b]}"
  if ! probe exec-sync --timeout $((seconds + 120)) "${pod_cid[$rt-a]}" -- sh -c "$TX_SCRIPT" "${pod_ip[$rt-b]}" "$port" "$seconds" \
      >/dev/null 2>"$ks_work/tx.err" </dev/null; then
    note "$rt pod→pod run $2: the sender failed: $(flat <"$ks_work/tx.err")"
    kill "$rx" 2>/dev/null
  fi
  wait "$rx" 2>/dev/null
  net_counters_end "$rt" pod_to_pod "${pod_cid[$rt-a]}" "${pod_cid[$rt-b]}"
  echo "tput_${rt}_pod_to_pod_mbit=$(rx_mbit "$out")"
}

# The VMM baseline (issue 13: is 0.5x runc within a VMM's reach on this host?): QEMU microvm booting the
# same guest kernel, in a network namespace of its own wired as the shim wires a pod (a veth on the pod
# bridge, a tap, tc ingress + mirred redirect both ways, the guest on the veth's MAC), its virtio-net device
# either in the kernel (vhost-net: the mode Kata runs QEMU in) or in QEMU's user space, like ours.
# The guest (inner/qemu-net-guest-init.sh) sends one stream to the host side as a pod's sender does, with the
# katasharp guest's network command-line parameters. Not run when NET_QEMU_INITRD is unset.
QEMU_GUEST_IP=10.88.77.250 # outside the addresses host-local hands out in this bench
tput_qemu_to_host() { # mode (vhost|user) run
  local mode="$1" port=$((next_port++)) rx qemu out="$ks_work/rx-host-qemu-$1-$2.out" ns="ks-qemu-$1-$$" mac
  local console="$ks_work/qemu-$1-$2.console" vhost=on
  [ "$mode" = user ] && vhost=off
  ip netns add "$ns" || return 1
  if ! { hostns ip link add ksqemu0 type veth peer name eth0 netns "$ns" && hostns ip link set ksqemu0 master "$BRIDGE" up \
      && ip -n "$ns" link set eth0 up && ip -n "$ns" tuntap add dev tap0 mode tap vnet_hdr && ip -n "$ns" link set tap0 up \
      && tc -n "$ns" qdisc add dev eth0 ingress && tc -n "$ns" qdisc add dev tap0 ingress \
      && tc -n "$ns" filter add dev eth0 parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev tap0 \
      && tc -n "$ns" filter add dev tap0 parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect dev eth0; }; then
    note "qemu $mode run $2: wiring the namespace failed"; ip netns del "$ns"; return 1
  fi
  mac=$(ip -n "$ns" -o link show eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)
  hostns busybox nc -l -p "$port" -e busybox sh -c "$RX_SCRIPT" </dev/null >/dev/null 2>"$out" &
  rx=$!
  local cpu0; cpu0=$(net_l1_cpu)
  timeout $((seconds + 600)) ip netns exec "$ns" qemu-system-x86_64 -M microvm,acpi=off -enable-kvm -cpu host -m 256 -smp 1 \
    -nodefaults -no-user-config -nographic -serial "file:$console" -no-reboot -global virtio-mmio.force-legacy=false \
    -kernel "$KS_KERNEL_DIR/vmlinux" -initrd "$NET_QEMU_INITRD" \
    -append "console=ttyS0 reboot=t panic=-1 quiet $qemu_net_params ks.ip=$QEMU_GUEST_IP/24 ks.gw=$BRIDGE_IP ks.dst=$BRIDGE_IP ks.port=$port ks.seconds=$seconds" \
    -netdev "tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=$vhost" -device "virtio-net-device,netdev=n0,mac=$mac" \
    </dev/null >"$ks_work/qemu.out" 2>&1 &
  qemu=$!
  wait "$qemu" || note "qemu $mode run $2: QEMU ended with $?: $(flat <"$ks_work/qemu.out") console: $(tail -c 300 "$console" | flat)"
  kill "$rx" 2>/dev/null; wait "$rx" 2>/dev/null
  grep -q KATASHARP-QEMU-NET-UP "$console" && [ "$2" = 1 ] && echo "qemu_${mode}_guest=$(grep -a -o 'KATASHARP-QEMU-NET-UP.*' "$console" | tr -d '\r')"
  echo "qemu_${mode}_l1_cpu_run$2=$(paste -d' ' <(tr ' ' '\n' <<<"$cpu0") <(net_l1_cpu | tr ' ' '\n') | awk '{ printf "%d ", $2 - $1 }')(user sys irq softirq guest ticks, boot included)"
  hostns ip link del ksqemu0 2>/dev/null; ip netns del "$ns"
  echo "tput_qemu_${mode}_to_host_mbit=$(rx_mbit "$out")"
}

rr() { # runtime mode port count: host side → pod a
  local rt="$1" mode="$2" out
  out=$(hostns bash "$here/tcp-rr.sh" "$mode" "${pod_ip[$rt-a]}" "$3" "$4" 2>"$ks_work/rr.err" </dev/null)
  [ -s "$ks_work/rr.err" ] && note "$rt $mode: $(flat <"$ks_work/rr.err")"
  echo "rr_${rt}_${mode}_us=$(printf '%s\n' "$out" | paste -sd' ' -)"
}

t0=$(now_ms)
cri_env_start || exit 1
echo "l1=$(uname -r) cpus=$(nproc) guest_kernel=$(cat "$KS_KERNEL_DIR/kernel.release") env_ms=$(( $(now_ms) - t0 ))"
for rt in $runtimes; do
  for p in a b; do start_pod "$rt" "$rt-$p" || exit 1; done
done
for rt in $runtimes; do
  for p in a b; do
    wait_serving "${pod_ip[$rt-$p]}" "$ECHO_PORT" && wait_serving "${pod_ip[$rt-$p]}" "$HTTP_PORT" || { echo "$rt-$p does not serve" >&2; exit 1; }
  done
done
net_tap_features
guest_cmdline=$(probe exec-sync --timeout 60 "${pod_cid[katasharp-a]}" -- cat /proc/cmdline 2>/dev/null </dev/null | tr -d '\r')
echo "net_guest_cmdline=$guest_cmdline"
# The QEMU baseline's guest gets the network parameters the shim gives a pod's guest.
qemu_net_params=$(tr ' ' '\n' <<<"$guest_cmdline" | grep -E '^(virtio_net\.|sysctl\.net\.)' | paste -sd' ' -)
# Alternating runtimes, so a drift of L1's load hits both alike.
for run in $(seq "$runs"); do
  for rt in $runtimes; do tput_to_host "$rt" "$run"; done
  if [ -n "${NET_QEMU_INITRD:-}" ]; then for mode in vhost user; do tput_qemu_to_host "$mode" "$run"; done; fi
  for rt in $runtimes; do tput_pod_to_pod "$rt" "$run"; done
done
for rt in $runtimes; do rr "$rt" pingpong "$ECHO_PORT" "$rr_count"; done
for rt in $runtimes; do rr "$rt" http "$HTTP_PORT" "$get_count"; done
vm_exits_record
# Each katasharp pod's virtio-net logs its counters when its VM stops (all of the bench's traffic, not one stream);
# on the vhost-net data path (KS_NET_DATAPATH=vhost) only hand-overs and interrupts ("vhost counters:").
cri_env_remove_pods
echo "vhost_net_devices=$(grep -ac '\] vhost-net owns the queues' "$KS_CTD_RUN/containerd.log" || true)"
grep -a '\[virtio net[0-9]*\] \(vhost \)\{0,1\}counters:' "$KS_CTD_RUN/containerd.log" \
  | sed 's/.*counters: *\(\(rx_frames\|hand_overs\)=[^"]*\).*/\1/' | sed 's/\\n$//' \
  | awk '{ print "net_device_counters_" NR "=" $0 }'
echo "bench_ms=$(( $(now_ms) - t0 ))"
exit 0
