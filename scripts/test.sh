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
no_results=()
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
    no_results+=("$name")
    continue
  fi
  # <Counters total=".." executed=".." passed=".." failed=".." ... notExecuted=".." ...>
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n1)
  count() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  p=$(count passed) f=$(count failed) n=$(count notExecuted)
  e=$(count error)
  passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0} + ${e:-0})) skipped=$((skipped + ${n:-0}))
done

# CI keeps only the tail of the output: name every failed test (and its first message line)
# right above the summary so a red run says what broke.
if [ "$failed" -gt 0 ]; then
  echo
  echo "failed tests:"
  for name in "${no_results[@]}"; do echo "  - $name: no results (build failure or test host crash, see above)"; done
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    awk '
      /<UnitTestResult / && /outcome="Failed"/ {
        match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); want = 1; next }
      want && /<Message>/ {
        line = $0; sub(/.*<Message>/, "", line); sub(/<\/Message>.*/, "", line)
        gsub(/&quot;/, "\"", line); gsub(/&lt;/, "<", line); gsub(/&gt;/, ">", line); gsub(/&amp;/, "\\&", line)
        printf "  - %s\n      %s\n", name, substr(line, 1, 400); want = 0 }
    ' "$trx"
  done
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
