# Sourced by pod-network.sh inside the test host: where a katasharp stream's time goes (issue 13).
# Snapshots taken around one stream, printed as counters_<runtime>_<path>_<what>=... lines:
#   - the guest's view (exec in the pod): eth0's frame and byte counters (a GSO frame counts once, so
#     bytes/frames is the average virtio frame: ~1500 means no TSO end to end) and the virtio-mmio
#     interrupt lines of /proc/interrupts (one interrupt per line per device; /proc/cmdline names the
#     devices' MMIO windows);
#   - L1's view: the CPU split of /proc/stat (user = our VMM and L1 processes, sys/softirq = L1's kernel,
#     guest = time in the nested guest) and per-thread CPU of each katasharp shim (vCPU vs event loop);
#   - with NET_TRACE=1, L1's KVM trace events as histograms (no per-event buffer): kvm_exit by reason,
#     kvm_userspace_exit by reason, kvm_mmio by type and address (QueueNotify writes, InterruptStatus
#     reads, InterruptACK writes), kvm_set_irq by GSI (irqfd injections). Tracing costs L1 time, so a
#     traced stream's throughput is not comparable with an untraced one.
net_trace_dir=/sys/kernel/tracing
net_hists="kvm_exit:exit_reason kvm_userspace_exit:reason kvm_mmio:type,gpa,val kvm_set_irq:gsi"

net_guest_snapshot() { # container id → one line: rx_packets rx_bytes tx_packets tx_bytes | net=virtioN virtioN:interrupts ...
  probe exec-sync --timeout 60 "$1" -- sh -c 'cd /sys/class/net/eth0/statistics && echo $(cat rx_packets rx_bytes tx_packets tx_bytes) \
    "|" net=$(busybox basename $(busybox readlink /sys/class/net/eth0/device)) $(busybox grep -i virtio /proc/interrupts | busybox awk "{ n = 0; for (i = 2; i <= NF && \$i ~ /^[0-9]+\$/; i++) n += \$i; printf \"%s:%s \", \$NF, n }")' \
    2>/dev/null </dev/null | tr -d '\r' | tail -n1
}

net_l1_cpu() { awk '/^cpu / { print $2 + $3, $4, $7, $8, $9 + $10 }' /proc/stat; } # user sys irq softirq guest (ticks)

net_shim_threads() { # "pid/tid:comm:user,sys,guest ..." (ticks) for every thread of every katasharp shim
  local pid t
  for pid in $(shim_pids); do
    for t in /proc/"$pid"/task/*; do
      # utime, stime, guest_time (fields 14, 15, 43; 12, 13, 41 after "pid (comm) ")
      printf '%s:%s:%s ' "$pid/${t##*/}" "$(tr ' ' _ <"$t/comm" 2>/dev/null)" "$(sed 's/^.*) //' "$t/stat" 2>/dev/null | awk '{ print $12 "," $13 "," $41 }')"
    done
  done
  echo
}

net_taps() { # "netns:rx_bytes,rx_packets,tx_bytes,tx_packets ..." of every pod tap in L1 (tap0_kata)
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
    ip -n "$ns" -s -s link show tap0_kata 2>/dev/null | awk -v ns="$ns" '/RX:/ { getline; rx = $1 "," $2 } /TX:/ { getline; tx = $1 "," $2 } END { if (rx != "") printf "%s:rx=%s:tx=%s ", ns, rx, tx }'
  done
  echo
}

net_tap_features() { # once: what the taps and veths of the pods offload (ethtool -k, if L1 has it)
  local ns
  command -v ethtool >/dev/null || { echo "net_features=no ethtool in L1"; return 0; }
  for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }'); do
    ip -n "$ns" link show tap0_kata >/dev/null 2>&1 || continue
    echo "net_features_${ns}_tap=$(ip netns exec "$ns" ethtool -k tap0_kata 2>&1 | grep -E '^(tx-checksumming|rx-checksumming|scatter-gather|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|tx-tcp-segmentation|tx-tcp6-segmentation):' | tr -s ' ' | paste -sd'|' -)"
    echo "net_features_${ns}_eth0=$(ip netns exec "$ns" ethtool -k eth0 2>&1 | grep -E '^(tx-checksumming|scatter-gather|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' | tr -s ' ' | paste -sd'|' -)"
    echo "net_link_${ns}=$(ip -n "$ns" -d link show tap0_kata | tr -s ' ' | paste -sd'|' -) || $(ip -n "$ns" -d link show eth0 | grep -o 'mtu [0-9]*\|gso_max_size [0-9]*\|gro_max_size [0-9]*' | paste -sd' ' -)"
  done
}

net_trace_start() {
  [ "${NET_TRACE:-0}" = 1 ] || return 0
  mountpoint -q "$net_trace_dir" || mount -t tracefs nodev "$net_trace_dir" || return 0
  local h e keys
  for h in $net_hists; do
    e=${h%%:*} keys=${h#*:}
    [ -e "$net_trace_dir/events/kvm/$e/trigger" ] || continue
    echo "hist:keys=$keys:sort=hitcount:size=2048" >"$net_trace_dir/events/kvm/$e/trigger" 2>/dev/null || echo "note=cannot add a hist trigger on $e" >&2
  done
}

net_trace_stop() { # runtime path: prints the histograms' entries and removes the triggers
  [ "${NET_TRACE:-0}" = 1 ] || return 0
  local h e keys
  for h in $net_hists; do
    e=${h%%:*} keys=${h#*:}
    [ -e "$net_trace_dir/events/kvm/$e/hist" ] || continue
    echo "trace_$1_$2_$e=$(grep -E '^\{' "$net_trace_dir/events/kvm/$e/hist" | head -n 40 | tr -s ' ' | paste -sd'|' -)"
    echo "!hist:keys=$keys:sort=hitcount:size=2048" >"$net_trace_dir/events/kvm/$e/trigger" 2>/dev/null
  done
}

# net_counters_begin runtime path cid...   /   net_counters_end runtime path cid...
net_counters_begin() {
  local rt="$1" path="$2" c; shift 2
  net_before_guest=()
  for c in "$@"; do net_before_guest+=("$(net_guest_snapshot "$c")"); done
  net_before_cpu=$(net_l1_cpu) net_before_threads=$(net_shim_threads) net_before_taps=$(net_taps)
  net_trace_start
}

net_counters_end() {
  local rt="$1" path="$2" c i=0; shift 2
  net_trace_stop "$rt" "$path"
  local cpu_after threads_after
  cpu_after=$(net_l1_cpu) threads_after=$(net_shim_threads)
  for c in "$@"; do
    echo "counters_${rt}_${path}_guest$i=before ${net_before_guest[$i]} after $(net_guest_snapshot "$c")"
    i=$((i + 1))
  done
  echo "counters_${rt}_${path}_l1cpu=$(paste -d' ' <(tr ' ' '\n' <<<"$net_before_cpu") <(tr ' ' '\n' <<<"$cpu_after") \
    | awk '{ printf "%d ", $2 - $1 }') (user sys irq softirq guest ticks)"
  echo "counters_${rt}_${path}_taps=before $net_before_taps after $(net_taps)"
  echo "counters_${rt}_${path}_threads=$(join_threads "$net_before_threads" "$threads_after")"
}

# before after → "pid/tid:comm:+user,+sys,+guest" (ticks; user includes guest, the time the vCPU ran the
# nested guest) for threads that used 5 ticks or more in between
join_threads() {
  awk -v before="$1" -v after="$2" 'BEGIN {
    n = split(before, b, " "); for (i = 1; i <= n; i++) { split(b[i], f, ":"); t[f[1]] = f[3] }
    n = split(after, a, " "); for (i = 1; i <= n; i++) { split(a[i], f, ":"); split(f[3], x, ","); split(t[f[1]], y, ",")
      du = x[1] - y[1]; ds = x[2] - y[2]; dg = x[3] - y[3]; if (du + ds >= 5) printf "%s:%s:+%d,+%d,+%d ", f[1], f[2], du, ds, dg }
  }'
}
