# Sourced inside the test host's L1 (root): L1's KVM trace events go into a ring buffer that
# stops at the first SVM SHUTDOWN exit (a nested guest's triple fault). KVM re-initialises the vCPU
# after that exit, so this trace is the only record of where the guest was: kvm_exit carries the
# guest RIP, kvm_inj_exception / kvm_inj_virq what was injected before it.
# kvm_trace_arm [KiB per CPU]    kvm_trace_report: prints the shut-down vCPU's last 80 events, if any.
kvm_trace_dir=/sys/kernel/tracing
kvm_trace_arm() {
  mountpoint -q "$kvm_trace_dir" || mount -t tracefs nodev "$kvm_trace_dir" || return 1
  echo 0 >"$kvm_trace_dir/tracing_on"
  echo "${1:-65536}" >"$kvm_trace_dir/buffer_size_kb"
  echo >"$kvm_trace_dir/trace"
  local e
  for e in kvm_exit kvm_entry kvm_inj_exception kvm_inj_virq kvm_msr kvm_cpuid kvm_nested_vmexit kvm_page_fault \
           kvm_userspace_exit kvm_cr kvm_emulate_insn kvm_fpu kvm_hypercall; do
    [ -e "$kvm_trace_dir/events/kvm/$e/enable" ] && echo 1 >"$kvm_trace_dir/events/kvm/$e/enable"
  done
  # SVM_EXIT_SHUTDOWN is exit code 0x7f.
  echo 'traceoff if exit_reason == 127' >"$kvm_trace_dir/events/kvm/kvm_exit/trigger"
  echo 1 >"$kvm_trace_dir/tracing_on"
}
kvm_trace_report() {
  [ "$(cat "$kvm_trace_dir/tracing_on" 2>/dev/null)" = 0 ] || { echo "kvm trace: no guest shut down"; return 0; }
  local trace line n task
  trace=$(mktemp)
  cat "$kvm_trace_dir/trace" >"$trace"
  line=$(grep -n 'kvm_exit:.*reason [A-Z_]*[Ss][Hh][Uu][Tt][Dd][Oo][Ww][Nn]' "$trace" | tail -n 1)
  n=${line%%:*}
  task=$(sed -n "${n}p" "$trace" | awk '{ print $1 }')
  echo "kvm trace: a guest shut down (line $n, vCPU thread $task); its last events:"
  head -n "$n" "$trace" | grep -F -- "$task" | tail -n 80
  rm -f "$trace"
}
