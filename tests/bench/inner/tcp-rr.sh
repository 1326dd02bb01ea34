#!/usr/bin/env bash
# TCP request/response client (tests/bench/inner/pod-network.sh runs it with nsenter on the host side
# of the pod network). Bash only (its /dev/tcp and EPOCHREALTIME): no process per request, so the
# numbers are the network's and the server's, not L1's fork cost (L1 is TCG: forks take milliseconds).
# Prints one number a line: microseconds per request, after WARMUP (10) unmeasured ones; on stderr why it stopped early.
# Usage: tcp-rr.sh pingpong IP PORT COUNT   one connection; "ping\n" out, the echoed line back (an echo server)
#        tcp-rr.sh http IP PORT COUNT       a new connection each: HTTP/1.0 GET /index.html, read to EOF
set -uo pipefail
export LC_ALL=C # EPOCHREALTIME with a '.'
mode="$1" ip="$2" port="$3" count="$4" warmup="${WARMUP:-10}"

case "$mode" in
  pingpong)
    exec 3<>"/dev/tcp/$ip/$port" || { echo "cannot connect to $ip:$port" >&2; exit 1; }
    for ((i = 0; i < count + warmup; i++)); do
      t0=${EPOCHREALTIME/./}
      printf 'ping\n' >&3
      IFS= read -r -t 10 -u 3 line || { echo "no answer to request $i" >&2; exit 1; }
      t1=${EPOCHREALTIME/./}
      [ "$line" = ping ] || { echo "request $i: answer '$line'" >&2; exit 1; }
      ((i >= warmup)) && echo $((t1 - t0))
    done
    exec 3<&- ;;
  http)
    for ((i = 0; i < count + warmup; i++)); do
      t0=${EPOCHREALTIME/./}
      exec 3<>"/dev/tcp/$ip/$port" || { echo "cannot connect to $ip:$port (request $i)" >&2; exit 1; }
      printf 'GET /index.html HTTP/1.0\r\n\r\n' >&3
      last=""
      while IFS= read -r -t 10 -u 3 line; do last=$line; done
      exec 3<&-
      t1=${EPOCHREALTIME/./}
      [ "${last%$'\r'}" = ks-bench-http-ok ] || { echo "request $i: last line '$last'" >&2; exit 1; }
      ((i >= warmup)) && echo $((t1 - t0))
    done ;;
  *) echo "unknown mode $mode (pingpong or http)" >&2; exit 2 ;;
esac
exit 0
