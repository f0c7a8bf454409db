# Sourced by the benchmarks that start servers (serve.sh, reload.sh): a scratch folder in $tmp,
# the servers' process ids in $pids (and a running wrk in $wrk_pid), all stopped and the folder
# removed on exit, and free_port to pick a port on 127.0.0.1.
# Usage, from the repository root: source bench/servers.sh NAME (scratch folder /tmp/bench-NAME.*)

tmp=$(mktemp -d "/tmp/bench-$1.XXXXXX")
pids=()
wrk_pid=
cleanup() {
  local pid
  for pid in $wrk_pid "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
