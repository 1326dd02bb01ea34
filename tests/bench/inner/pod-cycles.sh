#!/usr/bin/env bash
# Inside the test host (tests/bench/pod-cycles.sh runs it): POD_CYCLES (20) CRI pod cycles of a katasharp
# pod on cri.sh's bridge network (tests/testhost/shim/cri-env.sh), each as the kubelet does it and as
# cri.sh does it with katasharp-criprobe: RunPodSandbox → CreateContainer + StartContainer (a busybox app)
# → ExecSync (one command) → StopContainer + RemoveContainer → StopPodSandbox + RemovePodSandbox; then,
# once the pod's shim has exited, one "sample" line of what a leak would grow (issue 13: "after 20 pod
# create/delete cycles no tap, tc filter, netns, veth, fd or thread is left"):
#   taps, tc ingress/clsact qdiscs and tc filters in every network namespace of L1 (any process's and
#   every /run/netns file), network namespaces (distinct, and `ip netns list`), veths anywhere and ports
#   of the bridge, host-local allocations, containerd's fds and threads, katasharp shims, /run/katasharp
#   entries, L1's mounts and open files; and the cycle's time with its steps.
# Sample 0 is taken before the first cycle (the environment up, no pod); one "during" line in the first
# cycle, with its pod running.
# Usage: pod-cycles.sh --bin DIR --kernel-dir DIR --initrd FILE     (env: POD_CYCLES, 20)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../testhost/shim/cri-env.sh"

cycles="${POD_CYCLES:-20}"
bench_stop() { cri_env_remove_pods; cri_env_stop; }
trap bench_stop EXIT

# Every network namespace of L1, once each (by inode): any process's, and every file under /run/netns.
# Prints "inode path" lines. Few processes: forks are slow in L1 under TCG.
netns_all() {
  {
    find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%l %p\n' 2>/dev/null | sed -n 's/^net:\[\([0-9]*\)\] /\1 /p'
    # (a file with no namespace mounted on it fails nsenter in ns_counts and is not counted)
    find /run/netns -mindepth 1 -maxdepth 1 -exec stat -c '%i %n' {} + 2>/dev/null
  } | sort -k1,1 -u
}
# In one namespace: "taps veths qdiscs filters" (qdiscs: ingress or clsact; filters: the lines of `tc filter show`
# that start with "filter", for every link's ingress and egress: a u32 filter prints several, so this is
# not the number of filters, but 0 when there is none).
ns_counts() { # path
  nsenter --net="$1" sh -c '
    links=$(ip -o link show | sed -n "s/^[0-9]*: \([^:@]*\).*/\1/p")
    taps=$(ip -o link show type tun | grep -c .); veths=$(ip -o link show type veth | grep -c .)
    qdiscs=$(tc qdisc show | grep -c "^qdisc \(ingress\|clsact\)")
    filters=0
    for l in $links; do
      n=$( { tc filter show dev "$l" ingress; tc filter show dev "$l" egress; } 2>/dev/null | grep -c "^filter")
      filters=$((filters + n))
    done
    echo "$taps $veths $qdiscs $filters"' 2>/dev/null || echo "- - - -"
}
sample() { # cycle, then key=value words of the cycle
  local c="$1" ns taps=0 veths=0 qdiscs=0 filters=0 n=0 ino path t v q f
  shift
  ns=$(netns_all)
  while read -r ino path; do
    [ -n "$ino" ] || continue
    read -r t v q f <<<"$(ns_counts "$path")"
    [ "$t" = - ] && continue
    n=$((n + 1)) taps=$((taps + t)) veths=$((veths + v)) qdiscs=$((qdiscs + q)) filters=$((filters + f))
  done <<<"$ns"
  echo "sample cycle=$c${*:+ $*} netns=$n ip_netns=$(ip netns list 2>/dev/null | grep -c .) taps=$taps tc_qdiscs=$qdiscs tc_filters=$filters" \
    "veths=$veths bridge_ports=$(hostns ip -o link show master "$BRIDGE" 2>/dev/null | grep -c .)" \
    "ipam=$(find "$KS_CTD_RUN/cni/ipam" -type f -name '10.*' 2>/dev/null | grep -c .)" \
    "ctd_fds=$(ls "/proc/$KS_CTD_PID/fd" 2>/dev/null | grep -c .) ctd_threads=$(ls "/proc/$KS_CTD_PID/task" 2>/dev/null | grep -c .)" \
    "shims=$(shim_pids | grep -c .) run_katasharp=$(find /run/katasharp -mindepth 1 -maxdepth 1 2>/dev/null | grep -c .)" \
    "mounts=$(grep -c . /proc/self/mountinfo) l1_open_files=$(cut -f1 /proc/sys/fs/file-nr)"
}

step() { # name, then the probe arguments: the output's last line in $out, the time in ms added to $steps
  local name="$1" s=$(now_ms) code; shift
  out=$(probe "$@" 2>"$ks_work/step.err" </dev/null); code=$?
  steps+=" ${name}_ms=$(( $(now_ms) - s ))"
  out=$(printf '%s\n' "$out" | tail -n1)
  [ "$code" = 0 ] || { failed+="${failed:+,}$name"; echo "note=cycle $i $name: $(flat <"$ks_work/step.err")"; }
  return "$code"
}

t0=$(now_ms)
cri_env_start || exit 1
echo "l1=$(uname -r) cpus=$(nproc) guest_kernel=$(cat "$KS_KERNEL_DIR/kernel.release") env_ms=$(( $(now_ms) - t0 ))"
sample 0
ok=0
for i in $(seq "$cycles"); do
  c0=$(now_ms) steps="" failed="" sid="" cid=""
  pod=(--name "ks-cycle-$i" --namespace default --uid "ks-cycle-$i-uid" --network pod --log-dir "$POD_LOGS")
  step runp runp --handler katasharp "${pod[@]}" && sid=$out
  if [ -n "$sid" ]; then
    step create create --pod "$sid" "${pod[@]}" --container-name app --image docker.io/library/busybox:latest \
      -- sh -c "trap 'exit 143' TERM; sleep 100000 & wait" && cid=$out
  fi
  if [ -n "$cid" ]; then
    step start start "$cid"
    wait_container_state "$cid" CONTAINER_RUNNING 300 || { failed+="${failed:+,}running"; echo "note=cycle $i: the app never ran"; }
    step exec exec-sync "$cid" -- sh -c 'cat /sys/class/net/eth0/address'
    # once, with the pod up: the same counters, to show what a running pod adds (and that they see it)
    [ "$i" = 1 ] && sample "$i" | sed 's/^sample /during /'
    step stop stop --timeout 10 "$cid"
    step rm rm "$cid"
  fi
  if [ -n "$sid" ]; then
    step stopp stopp "$sid"
    step rmp rmp "$sid"
  fi
  # the pod's shim exits after the last delete (containerd reaps it): up to 10 s, counted in the cycle
  w0=$(now_ms)
  wait_shims_gone || failed+="${failed:+,}shim-left"
  steps+=" shim_gone_ms=$(( $(now_ms) - w0 ))"
  [ -z "$failed" ] && ok=$((ok + 1))
  sample "$i" "cycle_ms=$(( $(now_ms) - c0 ))${steps} failed=${failed:-none}"
done
echo "cycles=$cycles"
echo "cycles_ok=$ok"
vm_exits_record
echo "bench_ms=$(( $(now_ms) - t0 ))"
exit 0
