# shellcheck shell=bash
# What the server benchmarks (compare_echo.sh, compare_http.sh, ab_echo.sh) share: pinning
# (server on CPU 1, client on CPU 0, as ../shared/bench/run_peers.sh), starting a server on a free
# port and waiting until it accepts, and stopping it. Source it after setting PY and PIN; it sets
# pin_server, pin_client, server_pid and port.

pin_server=() pin_client=()
if [[ $PIN == 1 ]] && command -v taskset >/dev/null; then
  pin_server=(taskset -c 1) pin_client=(taskset -c 0)
fi

server_pid= port=
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_listening() { # PORT: give the server up to 10 s to accept a connection
  for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

start_server() { # NAME COMMAND LOG: run COMMAND (@PORT@ stands for a free port) pinned, wait for it
  local name=$1 cmd=$2 log=$3
  port=$(free_port)
  # shellcheck disable=SC2086  # cmd is a list of words
  "${pin_server[@]}" ${cmd//@PORT@/$port} >"$log" 2>&1 &
  server_pid=$!
  if ! wait_listening "$port"; then
    echo "$name: did not start, see $log" >&2
    stop_server
    return 1
  fi
}
