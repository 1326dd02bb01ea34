#!/usr/bin/env bash
# Hostile-guest fuzz benchmark (not part of the test command; no /dev/kvm needed): drives each virtio
# device model (blk, vsock, rng, net) and the virtio-mmio transport through the tests' fake driver with
# seeded random register writes, descriptor chains (loops, out-of-range addresses, huge lengths, wrong
# directions, bad indirect tables), vsock packets plus host socket traffic, and net frames both ways
# through an in-memory tap that floods, fills up and fails (no tap, no root). Prints per device the
# iterations, iterations/s, distinct seeds, the worst step's CPU time and every finding (an exception
# escaping the device model, a contained internal error, a step over the slow/hang bound, a busy event
# loop, a queue/connection/heap/descriptor count past its bound, a broken device rule such as a used
# entry for a chain never posted) with the command that replays it.
# Exit status: 0 without findings, 1 with findings, 3 after a hang (printed as it happens).
# Usage: tests/bench/fuzz.sh [--device blk|vsock|rng|mmio|net|all] [--iterations N] [--seed S] ...
#        (tests/bench/fuzz.sh --help lists every option)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../scripts/lib.sh"

out="$KS_OUT/fuzz"
log="$KS_OUT/logs/fuzz-build.log"
mkdir -p "$(dirname "$log")"
ks_step "building the fuzz benchmark (Release)"
if ! dotnet build "$here/KataSharp.Fuzz/KataSharp.Fuzz.csproj" -c Release -o "$out" --nologo -v quiet >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  ks_die "building the fuzz benchmark failed; the full log is $log"
fi
exec dotnet "$out/KataSharp.Fuzz.dll" "$@"
