#!/usr/bin/env bash
# The README's test command: installs whatever is missing, builds the guest kernel and the
# shipped binaries, runs every test project, and ends with one line:
#   N passed, N failed, N skipped
# Usage: scripts/test.sh [dotnet test --filter expression]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$KS_ROOT"

filter="${1:-}"
ks_need_root

ks_step "1/4 Debian packages"
scripts/install-deps.sh all

ks_step "2/4 guest kernel"
guest-image/kernel/build-kernel.sh >/dev/null

ks_step "3/4 binaries (NativeAOT) and guest assets"
scripts/publish.sh

ks_step "4/4 tests"
results="$KS_OUT/test-results"
rm -rf "$results" && mkdir -p "$results"
mapfile -t projects < <(find tests -name '*.Tests.csproj' | sort)
[ ${#projects[@]} -gt 0 ] || ks_die "no test projects found under tests/"

passed=0 failed=0 skipped=0
for project in "${projects[@]}"; do
  name=$(basename "$project" .csproj)
  ks_log "running $name"
  args=(test "$project" --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results"
        --logger "console;verbosity=normal")
  [ -n "$filter" ] && args+=(--filter "$filter")
  dotnet "${args[@]}" || true
  trx="$results/$name.trx"
  if [ ! -f "$trx" ]; then
    ks_log "$name produced no results (build failure or test host crash): counted as 1 failure"
    failed=$((failed + 1))
    continue
  fi
  # <Counters total=".." executed=".." passed=".." failed=".." ... notExecuted=".." ...>
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  p=$(count passed) f=$(count failed) n=$(count notExecuted)
  e=$(count error)
  passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0} + ${e:-0})) skipped=$((skipped + ${n:-0}))
done

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
