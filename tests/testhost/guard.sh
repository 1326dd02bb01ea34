#!/usr/bin/env bash
# Runs a command (QEMU) so that it can never outlive its owner: the command is SIGKILLed as soon
# as this script's stdin reaches end of file, which happens when the owning process closes the
# pipe or dies in any way (including SIGKILL). Prints the command's pid as the first line of
# stdout; the command's own stdout and stderr are appended to <log>.
# Usage: guard.sh <log> -- <command> [args...]
set -u
log="$1"; shift
[ "${1:-}" = -- ] && shift
[ $# -gt 0 ] || { echo "usage: guard.sh <log> -- <command> [args...]" >&2; exit 2; }

# Terminal signals go to the owner, which shuts the machine down itself; if this script died
# from them, nobody would be left to watch the pipe.
trap '' INT TERM HUP QUIT

# setsid: the command gets its own session, so a Ctrl-C meant for the owner does not reach it.
setsid "$@" </dev/null >>"$log" 2>&1 &
child=$!
echo "$child"

# The watcher: a builtin read loop (no extra process to leak) that ends on EOF. The explicit
# redirection matters: bash gives background jobs /dev/null as stdin otherwise.
exec 3<&0 0</dev/null
( while IFS= read -r _; do :; done; kill -KILL "$child" 2>/dev/null ) <&3 &
watcher=$!
exec 3<&-

wait "$child"
rc=$?
kill -KILL "$watcher" 2>/dev/null
exit "$rc"
