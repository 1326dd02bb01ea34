#!/usr/bin/env bash
# katasharp-vmm against QEMU microvm, inside the test host (same L1, same kernel, same initrd):
#   - boot time from process start to the /init marker line on the guest console, BENCH_RUNS (5)
#     boots each, medians and the ratio ours/QEMU (goal: at most 0.5)
#   - host memory of the katasharp-vmm process after boot with 1 vCPU / 128 MiB, excluding guest
#     RAM: VmRSS minus the resident pages of the guest-RAM memfd mapping (goal: at most 16 MiB)
# Usage: tests/bench/vmm-boot.sh     (env: BENCH_RUNS, BENCH_TIMEOUT seconds for the whole run, 1800)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

runs="${BENCH_RUNS:-5}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || ks_die "BENCH_RUNS must be a positive number"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }

ks_step "building katasharp-vmm, the guest kernel and the initrds"
"$KS_ROOT/scripts/publish.sh" katasharp-vmm
vmm="$KS_OUT/bin/katasharp-vmm"
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$KS_ROOT/guest-image/test-initrd/marker-init.sh")
# For the memory reading the guest must stay up a moment after the marker.
lingering_init=$(mktemp --suffix=.sh)
trap 'rm -f "$lingering_init"' EXIT
printf '#!/bin/sh\nmount -t proc proc /proc\necho "KATASHARP-GUEST-MARKER nproc=$(nproc)"\nsleep 20\nreboot -f\n' >"$lingering_init"
mem_initrd=$("$KS_ROOT/guest-image/test-initrd/build-test-initrd.sh" --init "$lingering_init")

# Runs inside the test host. Each boot prints "<who> marker-seconds=S <marker line>"; the memory
# run prints "memory rss-kib=R guest-kib=G".
inner=$(cat <<INNER
set -e
elapsed() { awk -v a="\$1" -v b="\$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
boot() {
  who=\$1; shift
  start=\$(date +%s.%N)
  "\$@" 2>&1 | while IFS= read -r line; do
    case "\$line" in *KATASHARP-GUEST-MARKER*) echo "\$who marker-seconds=\$(elapsed \$start) \$line" ;; esac
  done
}
# Two command lines, the same for both VMMs: the full boot log on the console, and "quiet" as the
# shim boots sandboxes (every console byte is a VM exit, so the log costs guest time).
for i in \$(seq $runs); do
  for extra in "" quiet; do
    tag=\${extra:+/quiet}
    boot katasharp-vmm\$tag $vmm --kernel $kernel/vmlinux --initrd $initrd --vcpus 1 --memory 128 \
      --cmdline "console=ttyS0 reboot=k panic=-1 \$extra"
    boot qemu-microvm\$tag qemu-system-x86_64 -M microvm -enable-kvm -cpu host -m 128 -smp 1 -nodefaults -no-user-config \
      -nographic -serial stdio -no-reboot -kernel $kernel/vmlinux -initrd $initrd -append "console=ttyS0 reboot=t panic=-1 \$extra"
  done
done

out=\$(mktemp)
$vmm --kernel $kernel/vmlinux --initrd $mem_initrd --vcpus 1 --memory 128 >"\$out" 2>&1 &
pid=\$!
for t in \$(seq 3000); do grep -q KATASHARP-GUEST-MARKER "\$out" && break; kill -0 \$pid 2>/dev/null || break; sleep 0.2; done
grep -q KATASHARP-GUEST-MARKER "\$out" || { cat "\$out"; echo "the memory run never reached the marker" >&2; exit 1; }
rss=\$(awk '/^VmRSS:/ { print \$2 }' /proc/\$pid/status)
guest=\$(awk '/^[0-9a-f]+-[0-9a-f]+ / { ram = (\$0 ~ /memfd:katasharp-guest-ram/) } ram && /^Rss:/ { kib += \$2 } END { print kib + 0 }' /proc/\$pid/smaps)
echo "memory rss-kib=\$rss guest-kib=\$guest"
wait \$pid
rm -f "\$out"
INNER
)

ks_step "booting the test host, then $runs boots each of katasharp-vmm and QEMU microvm"
errlog=$(mktemp)
trap 'rm -f "$lingering_init" "$errlog"' EXIT
if ! out=$("$KS_ROOT/tests/testhost/run.sh" --timeout "${BENCH_TIMEOUT:-1800}" --timings -- "$inner" 2>"$errlog"); then
  tail -n 40 "$errlog" >&2
  echo "$out" | tail -n 20 >&2
  ks_die "the benchmark command failed inside the test host"
fi

# median_of WHO: the median marker time of every boot tagged WHO; uptime_of WHO: the guest's own.
median_of() { grep -o "^$1 marker-seconds=[0-9.]*" <<<"$out" | sed 's/.*=//' | median; }
all_of() { grep -o "^$1 marker-seconds=[0-9.]*" <<<"$out" | sed 's/.*=//' | tr '\n' ' '; }
uptime_of() { grep "^$1 " <<<"$out" | sed -n 's/.*uptime=\([0-9.]*\).*/\1/p' | median; }
rss=$(sed -n 's/^memory rss-kib=\([0-9]*\).*/\1/p' <<<"$out")
guest=$(sed -n 's/.*guest-kib=\([0-9]*\).*/\1/p' <<<"$out")

echo
echo "KataSharp VMM benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)), kernel $(cat "$kernel/kernel.release"), 1 vCPU, 128 MiB"
for variant in "" /quiet; do
  ours=$(median_of "katasharp-vmm$variant") theirs=$(median_of "qemu-microvm$variant")
  label=${variant:+ (cmdline + quiet, as the shim boots)}
  echo "boot to /init marker${label:-" (full console log)"}:"
  echo "  katasharp-vmm:  median ${ours} s of $runs (all: $(all_of "katasharp-vmm$variant")) guest uptime at marker $(uptime_of "katasharp-vmm$variant") s"
  echo "  QEMU microvm:   median ${theirs} s of $runs (all: $(all_of "qemu-microvm$variant")) guest uptime at marker $(uptime_of "qemu-microvm$variant") s"
  echo "  ratio katasharp-vmm / QEMU: $(ratio "$ours" "$theirs")   (goal: at most 0.50)"
done
echo "katasharp-vmm host memory after boot: RSS $((rss / 1024)) MiB, of which guest RAM $((guest / 1024)) MiB; VMM itself $(((rss - guest) / 1024)) MiB ($((rss - guest)) KiB)   (goal: at most 16 MiB)"
