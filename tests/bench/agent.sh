#!/usr/bin/env bash
# Guest agent numbers inside the test host, with our kernel and the agent initrd booted by katasharp-vmm:
#   - VM start → agent ready (ms): from launching katasharp-vmm to the first answered Health call over
#     hybrid vsock (host clock), and the guest's own uptime when the agent started serving
#   - create+start → first stdout byte of a busybox container (erofs layer by serial), median of 5
#   - exec → first stdout byte, p50/p99 over BENCH_EXECS (100) sequential execs
#   - agent RSS inside the guest, initrd size
# Baseline measured in the same run: the same agent binary serving on a unix socket directly in the
# test host (L1, no VM), so the ratios show what the VM (nested KVM + vsock) adds.
# Numbers, not pass/fail: L1 is TCG and the guest nested KVM on top of it; compare ratios.
# Usage: tests/bench/agent.sh     (env: BENCH_EXECS)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

execs="${BENCH_EXECS:-100}"
[[ "$execs" =~ ^[1-9][0-9]*$ ]] || ks_die "BENCH_EXECS must be a positive number"

ks_step "building the agent, agentctl, katasharp-vmm, the guest kernel, the initrd and a busybox erofs layer"
"$KS_ROOT/scripts/publish.sh" katasharp-agent katasharp-agentctl ks-init ks-spawn katasharp-vmm
bin="$KS_OUT/bin"
kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
initrd=$("$KS_ROOT/guest-image/initrd/build-initrd.sh" --no-publish)
# Under out/, not /tmp: the test host L1 has a private /tmp and must see the layer image.
mkdir -p "$KS_OUT/tmp" && work=$(mktemp -d "$KS_OUT/tmp/ks-agent-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin/katasharp-agentctl" make-rootfs "$work/rootfs"
mkfs.erofs --all-root -T0 "$work/busybox.erofs" "$work/rootfs" >/dev/null

inner=$(cat <<INNER
set -e
d=\$(mktemp -d)
trap 'kill \$vmm_pid \$agent_pid 2>/dev/null; rm -rf \$d' EXIT
# Baseline: the agent directly in the test host, unix socket, same container scenario (directory layer).
$bin/katasharp-agent --listen unix:\$d/agent.sock --state-dir \$d/state --spawn-helper $bin/ks-spawn --etc-dir \$d/etc --cgroup-name ks-bench 2>\$d/agent.log &
agent_pid=\$!
for i in \$(seq 300); do $bin/katasharp-agentctl --agent unix:\$d/agent.sock --timeout 5 health >/dev/null 2>&1 && break; sleep 0.2; done
$bin/katasharp-agentctl --agent unix:\$d/agent.sock --rootfs-dir $work/rootfs --timeout 1200 bench --execs $execs | sed 's/^/baseline_/'
kill -TERM \$agent_pid; wait \$agent_pid || true
start=\$(date +%s%N)
$bin/katasharp-vmm --kernel $kernel/vmlinux --initrd $initrd --memory 1024 --vcpus 2 \
  --disk $work/busybox.erofs,ro,serial=layer0 --vsock-socket \$d/v.sock --cid 3 \
  --cmdline "console=ttyS0 reboot=k panic=-1 quiet" >\$d/console 2>\$d/stderr &
vmm_pid=\$!
for i in \$(seq 1200); do
  $bin/katasharp-agentctl --agent hvsock:\$d/v.sock:1024 --timeout 10 health >/dev/null 2>&1 && break
  kill -0 \$vmm_pid 2>/dev/null || { cat \$d/console \$d/stderr; exit 1; }
  sleep 0.05
done
echo "vm_start_to_agent_ready_ms=\$(( (\$(date +%s%N) - start) / 1000000 ))"
$bin/katasharp-agentctl --agent hvsock:\$d/v.sock:1024 --layer-serial layer0 --timeout 1800 bench --execs $execs | sed 's/^/vm_/'
$bin/katasharp-agentctl --agent hvsock:\$d/v.sock:1024 --timeout 60 poweroff
wait \$vmm_pid
INNER
)

ks_step "booting the test host; baseline agent in L1, then the guest ($execs execs each)"
errlog=$(mktemp)
trap 'rm -rf "$work" "$errlog"' EXIT
if ! out=$("$KS_ROOT/tests/testhost/run.sh" --timeout 3600 -- "$inner" 2>"$errlog"); then
  tail -n 40 "$errlog" >&2
  echo "$out" | tail -n 40 >&2
  ks_die "the benchmark command failed inside the test host"
fi

v() { sed -n "s/^$1=\(.*\)$/\1/p" <<<"$out" | head -n1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.1f", a / b }'; }
echo
echo "KataSharp agent benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)), kernel $(cat "$kernel/kernel.release"), guest 2 vCPUs / 1 GiB in the nested test host"
echo "VM start → agent ready (host clock):         $(v vm_start_to_agent_ready_ms) ms"
echo "guest uptime when the agent served gRPC:     $(v vm_agent_ready_ms) ms"
echo "create+start → first stdout byte (median/5): $(v vm_create_start_first_byte_ms_median) ms in the VM, $(v baseline_create_start_first_byte_ms_median) ms baseline (ratio $(ratio "$(v vm_create_start_first_byte_ms_median)" "$(v baseline_create_start_first_byte_ms_median)"))"
echo "exec → first stdout byte p50 ($execs execs):   $(v vm_exec_first_byte_ms_p50) ms in the VM, $(v baseline_exec_first_byte_ms_p50) ms baseline (ratio $(ratio "$(v vm_exec_first_byte_ms_p50)" "$(v baseline_exec_first_byte_ms_p50)"))"
echo "exec → first stdout byte p99 ($execs execs):   $(v vm_exec_first_byte_ms_p99) ms in the VM, $(v baseline_exec_first_byte_ms_p99) ms baseline"
echo "agent RSS in the guest:                      $(( $(v vm_agent_rss_bytes) / 1024 )) KiB (baseline process in L1: $(( $(v baseline_agent_rss_bytes) / 1024 )) KiB)"
echo "initrd size:                                 $(stat -c %s "$initrd") bytes ($initrd)"
