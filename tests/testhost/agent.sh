#!/usr/bin/env bash
# The test host's command agent. It runs inside L1 (started by l1-init.sh, talking over a
# virtio-serial port) or directly on the machine (Direct mode, talking over stdin/stdout).
#
# Protocol: one line per message, fields separated by single spaces, ids are [A-Za-z0-9_-]+.
#   host -> agent:  RUN <id>      run <spool>/<id>/command.sh in its own session
#                   KILL <id>     SIGKILL that command's session and process group
#                   SHUTDOWN      kill everything and stop (L1: reboot, which ends QEMU)
#                   PING <n>      heartbeat: answered at once from this read loop
#   agent -> host:  READY <kernel-release>
#                   PONG <n>      the answer to PING <n> (n: digits); the host fails its commands
#                                 with MachineStalled when PINGs stay unanswered
#                   STARTED <id> <pid>      pid = session id = process group id
#                   DONE <id> <exit-code>   after stdout, stderr and exit are written
#                   ERROR <id> <reason>
# The host writes <spool>/<id>/command.sh; the agent writes <spool>/<id>/{pid,stdout,stderr,exit}.
set -u

port="" spool="" on_exit=exit
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --stdio) port=""; shift ;;
    --spool) spool="$2"; shift 2 ;;
    --on-exit) on_exit="$2"; shift 2 ;;
    *) echo "agent: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -d "$spool" ] || { echo "agent: spool directory '$spool' does not exist" >&2; exit 2; }

if [ -n "$port" ]; then
  # A virtio-serial port can be opened only once: read and write through the same descriptor.
  exec 5<>"$port" 6>&5
else
  exec 5<&0 6>&1 </dev/null 1>&2
fi

send() { printf '%s\n' "$*" >&6; }
log() { echo "ks-agent: $*" >&2; }

valid_id() { [[ "$1" =~ ^[A-Za-z0-9_-]+$ ]]; }

run_command() {
  local id="$1" dir="$spool/$1"
  if [ ! -f "$dir/command.sh" ]; then send "ERROR $id no-command-file"; return; fi
  (
    # Not a process-group leader (no job control here), so setsid(1) does not fork:
    # the pid we get is the new session and process group, which KILL targets.
    setsid bash "$dir/command.sh" </dev/null >"$dir/stdout" 2>"$dir/stderr" 5<&- 6>&- &
    pid=$!
    echo "$pid" >"$dir/pid"
    send "STARTED $id $pid"
    wait "$pid"
    rc=$?
    echo "$rc" >"$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"
    send "DONE $id $rc"
  ) 5<&- &
}

kill_command() {
  local pid
  pid=$(cat "$spool/$1/pid" 2>/dev/null) || { send "ERROR $1 not-started"; return; }
  kill -KILL -- "-$pid" 2>/dev/null
  command -v pkill >/dev/null && pkill -KILL -s "$pid" 2>/dev/null
  kill -KILL "$pid" 2>/dev/null
  log "killed command $1 (session $pid)"
}

stop() {
  local d
  for d in "$spool"/*/; do
    [ -f "$d/pid" ] && [ ! -f "$d/exit" ] && kill_command "$(basename "$d")"
  done
  log "stopping ($1)"
  if [ "$on_exit" = reboot ]; then
    sync
    echo b >/proc/sysrq-trigger
  fi
  exit 0
}

log "serving commands from $spool"
send "READY $(uname -r)"
while IFS=' ' read -r verb id rest <&5; do
  case "$verb" in
    RUN) valid_id "$id" && run_command "$id" || send "ERROR ${id:-?} bad-id" ;;
    KILL) valid_id "$id" && kill_command "$id" || send "ERROR ${id:-?} bad-id" ;;
    PING) [[ "$id" =~ ^[0-9]{1,18}$ ]] && send "PONG $id" || send "ERROR - bad-ping" ;;
    SHUTDOWN) stop "asked by the host" ;;
    "") ;;
    *) send "ERROR - unknown-verb-$verb" ;;
  esac
done
stop "control channel closed"
