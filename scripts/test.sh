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

# CI keeps only the tail of the output: name every failed test right above the summary so a red
# run says what broke. Tests failing with the same message (a scenario whose one command failed
# fails all its facts) share one printing of it, and each distinct message is shortened to what
# fits that tail but keeps the reason (a test host's kernel failure, a timeout, a stderr line).
if [ "$failed" -gt 0 ]; then
  echo
  echo "failed tests:"
  for name in "${no_results[@]}"; do echo "  - $name: no results (build failure or test host crash, see above)"; done
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    awk '
      function unescape(t) {
        gsub(/&quot;/, "\"", t); gsub(/&apos;/, "\047", t); gsub(/&lt;/, "<", t); gsub(/&gt;/, ">", t)
        gsub(/&#xD;/, "", t); gsub(/&amp;/, "\\&", t); return t }
      # A message is a head and "--- name ---" sections (console, stdout, stderr): the head is
      # shown up to 6 lines and each section by its header and last 8 lines, where the cause is.
      function section(from, to,   i) {
        if (from > to) return
        printf "      %s\n", substr(lines[from], 1, 300)
        if (to - from > 8) printf "      …\n"
        for (i = (to - from > 8 ? to - 7 : from + 1); i <= to; i++) printf "      %s\n", substr(lines[i], 1, 300) }
      function flush(   first, n, i, start) {
        n = split(message, lines, "\n"); first = lines[1]
        if (first in shown) { printf "  - %s (same message as above)\n", name; return }
        shown[first] = name
        printf "  - %s\n", name
        for (i = 1; i <= n && lines[i] !~ /^--- /; i++) if (i <= 6) printf "      %s\n", substr(lines[i], 1, 300)
        for (start = i; i <= n; i++) if (i > start && lines[i] ~ /^--- /) { section(start, i - 1); start = i }
        section(start, n) }
      /<UnitTestResult / && /outcome="Failed"/ {
        match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); want = 1 }
      want && /<Message>/ {
        inside = 1; started = 0; line = $0; sub(/.*<Message>/, "", line) }
      inside {
        if (started) line = $0
        done = sub(/<\/Message>.*/, "", line)
        message = (started ? message "\n" : "") unescape(line); started = 1
        if (done) { flush(); inside = 0; want = 0 }
        next }
    ' "$trx"
  done
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
