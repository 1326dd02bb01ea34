#!/usr/bin/env bash
# Inside the test host (run by tests/bench/agent.sh): the agent's container scenario, first as a
# baseline with the agent serving a unix socket directly in L1, then in a guest booted by
# katasharp-vmm over hybrid vsock. Prints baseline_* and vm_* key=value lines.
# Usage: agent.sh BIN_DIR KERNEL_DIR INITRD WORK_DIR EXECS   (WORK_DIR: rootfs/ and busybox.erofs)
set -e
bin="$1" kernel="$2" initrd="$3" work="$4" execs="$5"
d=$(mktemp -d)
vmm_pid="" agent_pid=""
trap 'kill $vmm_pid $agent_pid 2>/dev/null; rm -rf "$d"' EXIT
# Baseline: the agent directly in the test host, unix socket, same container scenario (directory layer).
"$bin/katasharp-agent" --listen "unix:$d/agent.sock" --state-dir "$d/state" --spawn-helper "$bin/ks-spawn" --etc-dir "$d/etc" --cgroup-name ks-bench 2>"$d/agent.log" &
agent_pid=$!
for _ in $(seq 300); do "$bin/katasharp-agentctl" --agent "unix:$d/agent.sock" --timeout 5 health >/dev/null 2>&1 && break; sleep 0.2; done
"$bin/katasharp-agentctl" --agent "unix:$d/agent.sock" --rootfs-dir "$work/rootfs" --timeout 1200 bench --execs "$execs" | sed 's/^/baseline_/'
kill -TERM "$agent_pid"; wait "$agent_pid" || true
start=$(date +%s%N)
"$bin/katasharp-vmm" --kernel "$kernel/vmlinux" --initrd "$initrd" --memory 1024 --vcpus 2 \
  --disk "$work/busybox.erofs,ro,serial=layer0" --vsock-socket "$d/v.sock" --cid 3 \
  --cmdline "console=ttyS0 reboot=k panic=-1 quiet" >"$d/console" 2>"$d/stderr" &
vmm_pid=$!
for _ in $(seq 1200); do
  "$bin/katasharp-agentctl" --agent "hvsock:$d/v.sock:1024" --timeout 10 health >/dev/null 2>&1 && break
  kill -0 "$vmm_pid" 2>/dev/null || { cat "$d/console" "$d/stderr"; exit 1; }
  sleep 0.05
done
echo "vm_start_to_agent_ready_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
"$bin/katasharp-agentctl" --agent "hvsock:$d/v.sock:1024" --layer-serial layer0 --timeout 1800 bench --execs "$execs" | sed 's/^/vm_/'
"$bin/katasharp-agentctl" --agent "hvsock:$d/v.sock:1024" --timeout 60 poweroff
wait "$vmm_pid"
