#!/usr/bin/env bash
# Foundation baselines that later issues are compared against. Prints plain numbers:
#   - test host L1 boot (QEMU start to the agent's READY), from one boot of the real test host
#   - guest kernel build: cold (recorded by the build in the cache's build-seconds) and cached
#     (a second build-kernel.sh run, measured now), with their ratio
#   - guest boot-to-marker under QEMU microvm inside the test host: median of BENCH_RUNS (5)
#     boots per vCPU count in BENCH_VCPUS ("1 2"), with the ratio of each to the 1-vCPU median
# Usage: tests/bench/foundation.sh     (env: BENCH_RUNS, BENCH_VCPUS)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

runs="${BENCH_RUNS:-5}"
vcpus_list="${BENCH_VCPUS:-1 2}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || ks_die "BENCH_RUNS must be a positive number"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

ks_step "guest kernel (first call builds it if the cache is cold)"
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
cold=$(cat "$kernel/build-seconds")
start=$(now)
"$KS_ROOT/guest-image/kernel/build-kernel.sh" >/dev/null 2>&1
cached=$(since "$start")
release=$(cat "$kernel/kernel.release")

initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$KS_ROOT/guest-image/test-initrd/marker-init.sh")

# Runs inside the test host: boots the guest repeatedly and prints one line per boot with the
# wall time from QEMU's start to the marker line on the guest console.
guest_loop=$(cat <<INNER
set -e
for n in $vcpus_list; do
  for i in \$(seq $runs); do
    start=\$(date +%s.%N)
    qemu-system-x86_64 -M microvm -enable-kvm -cpu host -m 256 -smp \$n -nodefaults -no-user-config \
      -nographic -serial stdio -no-reboot -kernel $kernel/vmlinux -initrd $initrd \
      -append 'console=ttyS0 reboot=t panic=-1' 2>&1 |
    while IFS= read -r line; do
      case "\$line" in
        *KATASHARP-GUEST-MARKER*) echo "boot vcpus=\$n marker-seconds=\$(awk -v a=\$start -v b=\$(date +%s.%N) 'BEGIN { printf "%.2f", b - a }') \$line" ;;
      esac
    done
  done
done
INNER
)

ks_step "booting the test host and the guest ($runs boots per vCPU count: $vcpus_list)"
errlog=$(mktemp)
trap 'rm -f "$errlog"' EXIT
if ! out=$("$KS_ROOT/tests/testhost/run.sh" --timings -- "$guest_loop" 2>"$errlog"); then
  tail -n 40 "$errlog" >&2
  ks_die "the benchmark command failed inside the test host"
fi
timing=$(grep -o 'timing mode=.*' "$errlog" | tail -n1)
mode=$(sed -n 's/.*mode=\([A-Za-z]*\).*/\1/p' <<<"$timing")
l1_boot=$(sed -n 's/.*boot-seconds=\([0-9.]*\).*/\1/p' <<<"$timing")

echo
echo "KataSharp foundation benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
echo "test host mode:                         $mode"
echo "test host L1 boot to READY:             ${l1_boot} s"
echo "guest kernel $release build, cold:      ${cold} s"
echo "guest kernel build, cached (now):       ${cached} s   (cached/cold ratio $(ratio "$cached" "$cold"))"
base=""
for n in $vcpus_list; do
  times=$(grep -o "boot vcpus=$n marker-seconds=[0-9.]*" <<<"$out" | sed 's/.*=//')
  count=$(grep -c . <<<"$times" || true)
  m=$(median <<<"$times")
  uptimes=$(grep "boot vcpus=$n " <<<"$out" | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p' | median)
  [ -z "$base" ] && base="$m"
  echo "guest boot to marker, $n vCPU(s):         median ${m} s of $count boots (guest uptime at marker ${uptimes} s; ratio to ${vcpus_list%% *} vCPU $(ratio "$m" "$base"))"
done
