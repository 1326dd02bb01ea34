#!/usr/bin/env bash
# The README's test command: installs whatever is missing, builds the guest kernel and the
# shipped binaries, runs every test project, runs the tests that were skipped here for want of a
# usable /dev/kvm in the nested test host instead (one boot for all of them), and ends with the
# report of tests/KataSharp.TestReport: failed tests, skipped tests, the time table, then one line:
#   N passed, N failed, N skipped
# (skipped = skipped here and not run in the test host; with CI=true any such test fails the run).
# Usage: scripts/test.sh [dotnet test --filter expression]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KS_ROOT"

filter="${1:-}"
ks_need_root

shopt -s nullglob
# The report tool's arguments: the time table's rows for the command's own steps, each test
# project's elapsed time, the projects that left no results.
report_args=()
seconds_since() { awk -v s="$1" -v e="$EPOCHREALTIME" 'BEGIN { printf "%.1f", e - s }'; }
timed() { # label, then the command
  local label="$1" start=$EPOCHREALTIME rc=0; shift
  "$@" || rc=$?
  report_args+=(--step "$label=$(seconds_since "$start")")
  return "$rc"
}

ks_step "1/4 Debian packages"
timed "1/4 Debian packages" scripts/install-deps.sh all

ks_step "2/4 guest kernel"
timed "2/4 guest kernel" guest-image/kernel/build-kernel.sh >/dev/null

ks_step "3/4 binaries (NativeAOT) and guest assets"
timed "3/4 binaries (NativeAOT) and guest assets" scripts/publish.sh
# The tests' own scripts/publish.sh calls find them published (see there).
export KATASHARP_PUBLISHED="$KS_OUT/bin"

ks_step "4/4 tests"
results="$KS_OUT/test-results"
rm -rf "$results" && mkdir -p "$results/testhost"
report_dir="$KS_OUT/testreport"
timed "the report tool (build)" ks_run_logged "building tests/KataSharp.TestReport" "$KS_OUT/logs/testreport-build.log" \
  dotnet build tests/KataSharp.TestReport/KataSharp.TestReport.csproj -c Release -o "$report_dir" --nologo -v quiet
report() { dotnet "$report_dir/katasharp-testreport.dll" "$@"; }

mapfile -t projects < <(find tests -name '*.Tests.csproj' | sort)
[ ${#projects[@]} -gt 0 ] || ks_die "no test projects found under tests/"
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  ks_log "running $name"
  args=(test "$project" --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results"
        --logger "console;verbosity=normal")
  [ -n "$filter" ] && args+=(--filter "$filter")
  start=$EPOCHREALTIME
  dotnet "${args[@]}" || true
  report_args+=(--elapsed "$name=$(seconds_since "$start")")
  if [ ! -f "$results/$name.trx" ]; then
    ks_log "$name produced no results (build failure or test host crash): counted as 1 failure"
    report_args+=(--missing "$name")
  fi
done

# No silent skips: a test skipped here ([KvmFact] without a usable /dev/kvm, [VhostFact] without
# /dev/vhost-net) runs in the nested test host, whose L1 has both. Only the tests with the trait
# Requires=Kvm or Requires=VhostNet of the projects that skipped something, from the assemblies
# just built (no build under TCG), in one boot; their TRX files come back through the command's stdout (a base64 tar).
kvm_tests_in_testhost() {
  local name project dll kvm_filter="Requires=Kvm|Requires=VhostNet" inner=""
  [ -n "$filter" ] && kvm_filter="($filter)&(Requires=Kvm|Requires=VhostNet)"
  for name in "$@"; do
    project=$(find tests -name "$name.csproj" | head -n1)
    dll=$(dotnet msbuild "$project" -getProperty:TargetPath)
    [ -f "$dll" ] || { ks_log "$name: no built assembly at '$dll'"; return 1; }
    inner+="dotnet test $(printf %q "$dll") --filter $(printf %q "$kvm_filter") --logger $(printf %q "trx;LogFileName=$name.trx")"
    inner+=" --results-directory \"\$out\" --logger 'console;verbosity=normal' >&2;"$'\n'
  done
  local command="export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out=\$(mktemp -d)
${inner}cd \"\$out\" && tar -cf - *.trx | base64 -w0"
  tests/testhost/run.sh --timeout "${KATASHARP_KVM_TESTS_TIMEOUT:-2400}" -- "$command" >"$results/testhost/trx.tar.b64" || return 1
  base64 -d <"$results/testhost/trx.tar.b64" | tar -x -C "$results/testhost"
}
mapfile -t skipped_in < <(report skipped "$results"/*.trx)
if [ ${#skipped_in[@]} -gt 0 ]; then
  ks_log "tests were skipped here (${skipped_in[*]}): running their KVM tests in the nested test host"
  timed "KVM tests in the nested test host (build of its CLI and boot included)" kvm_tests_in_testhost "${skipped_in[@]}" \
    || ks_log "the KVM tests did not run in the test host (see above): their skips stay skips"
fi

testhost_runs=()
for trx in "$results"/testhost/*.trx; do [ -f "$trx" ] && testhost_runs+=(--testhost "$trx"); done
[ "${CI:-}" = true ] && report_args+=(--ci)
report "${report_args[@]}" "${testhost_runs[@]}" "$results"/*.trx
