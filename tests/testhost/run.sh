#!/usr/bin/env bash
# For humans: boots the test host (the nested L1, or this machine when it has VT-x/AMD-V),
# runs one command as root inside it, prints its output while it runs (stdout and stderr each
# in order; between the two, only to within a fifth of a second: write both to stdout, 2>&1,
# where their order matters), exits with its exit code and shuts the machine down. Ctrl-C
# kills the command and the machine.
# Usage: tests/testhost/run.sh [--timeout SECONDS] [--timings] -- <command...>
#   One argument after -- is shell text:  run.sh -- 'grep -c svm /proc/cpuinfo'
#   Several are an argv:                  run.sh -- ls -l /dev/kvm
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

ks_need_root
out="$KS_OUT/testhost-cli"
log="$KS_OUT/logs/testhost-cli-build.log"
mkdir -p "$(dirname "$log")"
if ! dotnet build "$KS_ROOT/tests/KataSharp.TestHost.Cli/KataSharp.TestHost.Cli.csproj" -c Release -o "$out" \
    --nologo -v quiet >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  ks_die "building the test host CLI failed; the full log is $log"
fi
exec dotnet "$out/katasharp-testhost.dll" "$@"
