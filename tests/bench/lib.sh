# Shared by the benchmarks in this folder (source it; do not run it): scripts/lib.sh, the numbers
# (median, ratio) and the one way to run a benchmark's inner script (a file under inner/) in the
# nested test host. Benchmarks print numbers, not pass/fail.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
BENCH_INNER="$KS_ROOT/tests/bench/inner"

# bench_positive NAME VALUE: dies unless VALUE is a positive whole number (NAME: the variable to fix).
bench_positive() { [[ "$2" =~ ^[1-9][0-9]*$ ]] || ks_die "$1 must be a positive whole number (got '$2')"; }

# bench_median [DECIMALS]: the median of the numbers on stdin (whitespace or newline separated;
# anything else is ignored), with DECIMALS (2) decimals; n/a when there is none.
bench_median() {
  tr -s ' \t' '\n\n' | { grep -E '^[0-9]+([.][0-9]+)?$' || true; } | sort -n | awk -v d="${1:-2}" '
    { v[NR] = $1 }
    END { if (NR == 0) { print "n/a"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.*f\n", d, m }'
}

# bench_percentile P [DECIMALS]: the P-th percentile (nearest rank: the smallest value with at least P % of the values
# at or below it) of the numbers on stdin, as bench_median reads them; n/a when there is none. With few values the
# high percentiles are the maximum: say how many values there were.
bench_percentile() {
  tr -s ' \t' '\n\n' | { grep -E '^[0-9]+([.][0-9]+)?$' || true; } | sort -n | awk -v p="$1" -v d="${2:-2}" '
    { v[NR] = $1 }
    END { if (NR == 0) { print "n/a"; exit } r = int((p * NR + 99) / 100); if (r < 1) r = 1; printf "%.*f\n", d, v[r] }'
}

# bench_pod_assets: publishes what a pod needs (shim, katasharp, the agent and its helpers) and sets `kernel` and
# `initrd` to the guest kernel's cache directory and the initrd (both cached by their inputs).
bench_pod_assets() {
  ks_step "publishing the shim, katasharp and the agent; the guest kernel and initrd"
  "$KS_ROOT/scripts/publish.sh" containerd-shim-katasharp-v2 katasharp katasharp-agent ks-init ks-spawn
  kernel=$("$KS_ROOT/guest-image/kernel/build-kernel.sh")
  initrd=$("$KS_ROOT/guest-image/initrd/build-initrd.sh" --no-publish)
}

# bench_ratio A B [DECIMALS]: A / B with DECIMALS (2) decimals; n/a when B is 0 or not a number.
bench_ratio() { awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.*f\n", d, a / b }'; }

# bench_in_testhost [--timings] SECONDS COMMAND...: runs the command (its words quoted as given,
# e.g. bash "$BENCH_INNER/x.sh" ARGS) as root in the test host (L1 sees this machine's files at the
# same paths) and sets BENCH_OUT to its stdout and
# BENCH_TIMING to the test host's timing line (with --timings: mode=..., boot-seconds=...). On
# failure: the tails of its stderr and stdout, and the benchmark ends.
bench_in_testhost() {
  local timings=() errlog word command=""
  [ "${1:-}" = --timings ] && { timings=(--timings); shift; }
  local seconds="$1"; shift
  for word in "$@"; do command+="$(printf '%q' "$word") "; done
  errlog=$(mktemp)
  if ! BENCH_OUT=$("$KS_ROOT/tests/testhost/run.sh" --timeout "$seconds" "${timings[@]}" -- "$command" 2>"$errlog"); then
    tail -n 40 "$errlog" >&2
    printf '%s\n' "$BENCH_OUT" | tail -n 40 >&2
    rm -f "$errlog"
    ks_die "the benchmark command failed inside the test host"
  fi
  BENCH_TIMING=$(grep -o 'timing mode=.*' "$errlog" | tail -n1 || true)
  # An inner script that ends well may still report failed steps (e.g. a `ctr run` counted as "fail") under this
  # heading on its stderr: show them, or the failures would be numbers without a reason.
  sed -n '/^--- errors ---$/,$p' "$errlog" >&2
  rm -f "$errlog"
}

# bench_value KEY: the value of the first KEY=value line of BENCH_OUT.
bench_value() { sed -n "s/^$1=\(.*\)$/\1/p" <<<"$BENCH_OUT" | head -n1; }

# bench_header WHAT DETAILS: the first line of a benchmark's report (when, cores, load).
bench_header() { echo; echo "KataSharp $1 benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))${2:+, $2}"; }
