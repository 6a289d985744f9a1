# stop_pidfile FILE TRIES: SIGTERM to the pid in FILE, then up to TRIES
# tenths of a second for it to go, then SIGKILL. A zombie counts as gone: a
# daemon (slurmd, munged) was adopted by whoever may not reap it, and holds
# no file of the folder it ran in. Sourced by test_helper.bash and by
# board_servers.bash, which runs without it too (bench/board.sh, namespaces).
stop_pidfile() {
  local pid i
  pid=$(cat "$1" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < $2; i++)); do
    pid_gone "$pid" && return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# pid_gone PID: no such process, or only its zombie.
pid_gone() {
  [ ! -d "/proc/$1" ] || grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}
