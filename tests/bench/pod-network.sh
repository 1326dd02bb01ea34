#!/usr/bin/env bash
# Pod networking numbers (issue 13, "Performance to report"), katasharp vs runc pods on the same CNI
# bridge in the same run, inside the nested test host: containerd 1.6's CRI plugin with Debian's
# bridge + host-local + portmap, exactly cri.sh's environment (tests/testhost/shim/cri-env.sh).
#   - TCP throughput, one stream of NET_SECONDS (10): pod → host side, pod → pod (same runtime)
#   - TCP request/response latency p50/p99 from the host side: ping-pong over one connection
#     (NET_RR_COUNT, 1000) and HTTP/1.0 GETs with a new connection each (NET_GET_COUNT, 200)
# Printed: katasharp, runc and katasharp/runc (the issue's goal: ≥ 0.5× runc's throughput). Numbers, not
# pass/fail: L1 is TCG; a runc pod is L1's own network stack, a katasharp pod adds tc mirred, the tap,
# our virtio-net and a nested KVM guest's stack, all on L1's one CPU. The tools are busybox (nc, dd) in
# the pods and bash in L1 (tests/bench/inner/pod-network.sh says how each number is taken).
# Usage: tests/bench/pod-network.sh     (env: NET_SECONDS, NET_RUNS (3; the median is printed), NET_RR_COUNT, NET_GET_COUNT,
#        NET_TRACE=1: L1 KVM event histograms per katasharp stream, which slow it: see inner/net-counters.sh;
#        NET_REUSE_BUILD=1: no publishing, the binaries in out/bin as they are;
#        NET_QEMU=0: without the VMM baseline, QEMU microvm with vhost-net and with its own virtio-net, pod → host side;
#        KS_NET_DATAPATH=vhost: the katasharp pods' net_datapath (default userspace), see runtime/README.md)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
ks_need_root
for v in NET_SECONDS NET_RUNS NET_RR_COUNT NET_GET_COUNT; do [ -z "${!v:-}" ] || bench_positive "$v" "${!v}"; done
seconds="${NET_SECONDS:-10}" runs="${NET_RUNS:-3}"

if [ "${NET_REUSE_BUILD:-0}" = 1 ]; then
  # A re-run of what was just built (publishing takes minutes under load; the test host is shared by the hour).
  ks_step "reusing the published binaries in $KS_OUT/bin and the cached guest kernel and initrd (NET_REUSE_BUILD=1)"
else
  ks_step "publishing the shim, katasharp, katasharp-criprobe and the agent; the guest kernel and initrd"
  "$KS_ROOT/scripts/publish.sh" containerd-shim-katasharp-v2 katasharp katasharp-criprobe katasharp-agent ks-init ks-spawn >/dev/null
fi
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/initrd/build-initrd.sh" --no-publish)
# The VMM baseline's guest: the same kernel, busybox and a sender as /init (NET_QEMU=0 leaves it out).
qemu_initrd=""
[ "${NET_QEMU:-1}" = 1 ] && qemu_initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$BENCH_INNER/qemu-net-guest-init.sh")

ks_step "booting the test host; two katasharp and two runc pods on one bridge"
bench_in_testhost 3600 env NET_SECONDS="$seconds" NET_RUNS="$runs" NET_TRACE="${NET_TRACE:-0}" NET_RR_COUNT="${NET_RR_COUNT:-1000}" \
  KS_NET_DATAPATH="${KS_NET_DATAPATH:-userspace}" \
  NET_GET_COUNT="${NET_GET_COUNT:-200}" NET_QEMU_INITRD="$qemu_initrd" bash "$BENCH_INNER/pod-network.sh" --bin "$KS_OUT/bin" --kernel-dir "$kernel" --initrd "$initrd"

v() { bench_value "$1"; }
# percentile P of the numbers in $1 (microseconds) → milliseconds with 2 decimals (nearest rank)
pct_ms() { tr ' ' '\n' <<<"$1" | grep -E '^[0-9]+$' | sort -n | awk -v p="$2" '{ v[NR] = $1 }
  END { if (NR == 0) { print "n/a"; exit } i = int(p / 100 * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; printf "%.2f\n", v[i] / 1000 }'; }
count() { tr ' ' '\n' <<<"$1" | grep -cE '^[0-9]+$' || true; }
all() { { grep "^$1=" <<<"$BENCH_OUT" || true; } | cut -d= -f2- | paste -sd' ' -; } # every run's value (none: empty)
row() { printf '%-40s %12s %12s %8s\n' "$1" "$2" "$3" "$(bench_ratio "$2" "$3")"; }

l1=$(v l1)
bench_header pod-network "guest kernel $(cat "$kernel/kernel.release"), L1 ${l1%% *} with $(grep -o 'cpus=[0-9]*' <<<"$l1" | cut -d= -f2) CPU(s) (nested test host)"
grep '^pod_' <<<"$BENCH_OUT" | sed 's/^/  /'
printf '%-40s %12s %12s %8s\n' "" katasharp runc ratio
for path in to_host pod_to_pod; do
  ks=$(all "tput_katasharp_${path}_mbit" | bench_median 1) rc=$(all "tput_runc_${path}_mbit" | bench_median 1)
  case $path in to_host) label="TCP throughput pod -> host side (Mbit/s)" ;; *) label="TCP throughput pod -> pod (Mbit/s)" ;; esac
  row "$label" "$ks" "$rc"
  [ "$runs" -gt 1 ] && printf '  runs: katasharp %s; runc %s\n' "$(all "tput_katasharp_${path}_mbit")" "$(all "tput_runc_${path}_mbit")"
done
# The VMM baseline, pod → host side only: QEMU microvm, same guest kernel and wiring (inner/pod-network.sh).
if [ -n "$qemu_initrd" ]; then
  ks=$(all tput_katasharp_to_host_mbit | bench_median 1) rc=$(all tput_runc_to_host_mbit | bench_median 1)
  for mode in vhost user; do
    q=$(all "tput_qemu_${mode}_to_host_mbit" | bench_median 1)
    case $mode in vhost) label="  QEMU microvm, vhost-net" ;; *) label="  QEMU microvm, virtio-net in QEMU" ;; esac
    row "$label (Mbit/s)" "$q" "$rc"
    printf '    katasharp / this QEMU: %s; runs: %s\n' "$(bench_ratio "$ks" "$q")" "$(all "tput_qemu_${mode}_to_host_mbit")"
  done
  grep '^qemu_' <<<"$BENCH_OUT" | sed 's/^/    /' || true
fi
for mode in pingpong http; do
  ks=$(v "rr_katasharp_${mode}_us") rc=$(v "rr_runc_${mode}_us")
  name="TCP ping-pong RTT, one connection"; [ "$mode" = http ] && name="HTTP/1.0 GET, new connection each"
  row "$name p50 (ms)" "$(pct_ms "$ks" 50)" "$(pct_ms "$rc" 50)"
  row "$name p99 (ms)" "$(pct_ms "$ks" 99)" "$(pct_ms "$rc" 99)"
  echo "  samples: katasharp $(count "$ks"), runc $(count "$rc")"
done
echo "one stream of $seconds s per throughput number (median of $runs run(s)); ratio = katasharp/runc (throughput: the issue's goal is >= 0.50; latency: how many times runc's)"
# Where the time goes (tests/bench/inner/net-counters.sh): raw counters per stream, then the guest's average
# frame per direction (bytes/frames, a GSO frame counted once) and virtio interrupts per frame.
grep -E '^(counters|trace|net|vhost)_' <<<"$BENCH_OUT" | sed 's/^/  /'
grep -E '^counters_[a-z]+_[a-z_]+_guest[0-9]=' <<<"$BENCH_OUT" | while IFS='=' read -r key value; do
  awk -v k="${key#counters_}" '{
    # before RXP RXB TXP TXB | irq:count ... after RXP RXB TXP TXB | irq:count ...
    split($0, halves, " after "); sub(/^before /, "", halves[1])
    for (h = 1; h <= 2; h++) { n = split(halves[h], f, " "); p[h] = f[1]; b[h] = f[2]; tp[h] = f[3]; tb[h] = f[4]; irq[h] = 0
      dev = f[6]; sub(/^net=/, "", dev); for (i = 7; i <= n; i++) { split(f[i], q, ":"); if (q[1] == dev) irq[h] += q[2] } }
    rp = p[2] - p[1]; tpk = tp[2] - tp[1]; ir = irq[2] - irq[1]
    printf "  %s: guest rx %d frames avg %d B, tx %d frames avg %d B, %d interrupts of its virtio-net (%.2f per frame)\n", k,
      rp, rp ? (b[2] - b[1]) / rp : 0, tpk, tpk ? (tb[2] - tb[1]) / tpk : 0, ir, (rp + tpk) ? ir / (rp + tpk) : 0 }' <<<"$value"
done
grep '^note=' <<<"$BENCH_OUT" | sed 's/^note=/note: /' || true
echo "unexpected VM exits: $(v vm_exits) $(v vm_exit_reasons)"
