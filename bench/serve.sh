#!/usr/bin/env bash
# Throughput and latency of `profile serve` against nginx and python3's http.server, all serving
# the same build of the example site on loopback. Run by hand (not a test); about 65 s.
# Needs wrk, nginx, python3 and curl:  apt-get install -y wrk nginx-light
# Usage: bench/serve.sh     (PROFILE_BIN=path/to/profile to bench another binary;
#                            DURATION=5 (seconds), THREADS=2 and CONNECTIONS=50 are wrk's settings)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${PROFILE_BIN:-target/release/profile}
duration=${DURATION:-5}
threads=${THREADS:-2}
connections=${CONNECTIONS:-50}

for tool in wrk nginx python3 curl ss; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed (apt-get install -y wrk nginx-light python3 curl iproute2)" >&2; exit 1; }
done
if [ ! -x "$bin" ]; then
  cargo build --release --quiet
fi

source bench/servers.sh serve

# Waits until $1 answers, then checks every target answers 200.
check_200() {
  local base=$1 path code i
  for i in $(seq 50); do
    curl -s -o /dev/null --max-time 1 "$base/" && break
    [ "$i" = 50 ] && { echo "error: nothing answers at $base" >&2; exit 1; }
    sleep 0.1
  done
  for path in "${targets[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base$path")
    if [ "$code" != 200 ]; then
      echo "error: $base$path answered $code, not 200" >&2
      exit 1
    fi
  done
}

# 1. The example site, built into a temporary directory.
dist=$tmp/dist
"$bin" build --quiet --root "$root" --out "$dist"

# 2. profile serve, on a free port (it rebuilds the same files into the same directory).
"$bin" serve --quiet --root "$root" --out "$dist" --port 0 >"$tmp/profile.out" 2>"$tmp/profile.err" &
pids+=($!)
profile_url=
for _ in $(seq 100); do
  profile_url=$(sed -n 's|^ \* Running on \(http://[^/]*\)/$|\1|p' "$tmp/profile.out")
  [ -n "$profile_url" ] && break
  sleep 0.05
done
[ -n "$profile_url" ] || { echo "error: profile serve did not start:" >&2; cat "$tmp/profile.err" >&2; exit 1; }

logos=("$dist"/assets/logo.*.svg)
[ -f "${logos[0]}" ] || { echo "error: no assets/logo.*.svg in $dist" >&2; exit 1; }
targets=(/index.html "/assets/${logos[0]##*/}")
check_200 "$profile_url"

# 3. nginx, with a minimal configuration of its own.
nginx_port=$(free_port)
mkdir -p "$tmp/nginx"
cat >"$tmp/nginx/nginx.conf" <<EOF
user root;
daemon off;
worker_processes auto;
pid $tmp/nginx/nginx.pid;
lock_file $tmp/nginx/nginx.lock;
error_log $tmp/nginx/error.log warn;
events {}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$nginx_port;
        root $dist;
    }
}
EOF
nginx -e "$tmp/nginx/error.log" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
pids+=($!)
nginx_url=http://127.0.0.1:$nginx_port
check_200 "$nginx_url"

# 4. python3's http.server.
python_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 "$python_port" --directory "$dist" >/dev/null 2>&1 &
pids+=($!)
python_url=http://127.0.0.1:$python_port
check_200 "$python_url"

# wrk's report → "requests/s p50 p99 errors", latencies in ms.
summarise() {
  awk '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /[0-9]m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    /^  Socket errors:/ {
      sub(/^  Socket errors: /, ""); gsub(/, /, ","); gsub(/ /, "="); errors = errors "socket:" $0 " "
    }
    /^  Non-2xx or 3xx responses:/ { errors = errors "non-2xx=" $NF " " }
    END {
      if (errors == "") errors = "-"
      sub(/ $/, "", errors)
      printf "%.0f %.2f %.2f %s\n", rps, p50, p99, errors
    }'
}

# How many connections to port $1 hold a request the server has not read for 1 s or more
# (unread bytes in Recv-Q, and nothing received for 1000 ms: `lastrcv`).
stalled() {
  ss -tniH state established "( sport = :$1 )" | awk '
    /^[0-9]/ { queued = $1; next }
    {
      idle = 0
      for (i = 1; i <= NF; i++) if ($i ~ /^lastrcv:/) idle = substr($i, 9) + 0
      if (queued > 0 && idle >= 1000) n++
    }
    END { print n + 0 }'
}

echo "profile $("$bin" --version | cut -d' ' -f2) ($bin), $(nginx -v 2>&1 | cut -d' ' -f3), Python $(python3 -c 'import platform; print(platform.python_version())'), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wrk -t$threads -c$connections -d${duration}s --latency [-H 'Connection: close'] URL; latencies in ms"
echo "stalled: connections whose request had sat unread by the server for over 1 s, mid-run (wrk"
echo "counts only requests that complete: a stalled connection shows up nowhere in its report)"
echo
printf '%-8s %-32s %-10s %10s %9s %9s %8s  %s\n' server target connection 'req/s' p50 p99 stalled errors
declare -A rps
stalls=()
for server in profile nginx python; do
  url_var=${server}_url
  base=${!url_var}
  port=${base##*:}
  for path in "${targets[@]}"; do
    for mode in keep-alive close; do
      header=()
      [ "$mode" = close ] && header=(-H 'Connection: close')
      wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "${header[@]}" "$base$path" >"$tmp/wrk.txt" &
      wrk_pid=$!
      sleep "$(awk -v d="$duration" 'BEGIN { print (d > 2 ? d / 2 : d - 1 > 0 ? d - 1 : 0) }')"
      stuck=$(stalled "$port")
      wait "$wrk_pid"
      wrk_pid=
      read -r r p50 p99 errors < <(summarise <"$tmp/wrk.txt")
      rps[$server,$path,$mode]=$r
      [ "$stuck" -gt 0 ] && stalls+=("$server $path $mode: $stuck of $connections connections")
      printf '%-8s %-32s %-10s %10s %9s %9s %8s  %s\n' "$server" "$path" "$mode" "$r" "$p50" "$p99" "$stuck" "$errors"
    done
  done
done

if [ "${#stalls[@]}" -gt 0 ]; then
  echo
  printf 'warning: stalled %s; its requests/s and latencies are those of the rest\n' "${stalls[@]}"
fi
echo
echo "python's http.server speaks HTTP/1.0 and closes every connection, keep-alive or not."
echo "keep-alive requests/s ratios:"
for path in "${targets[@]}"; do
  awk -v path="$path" -v p="${rps[profile,$path,keep-alive]}" -v n="${rps[nginx,$path,keep-alive]}" \
    -v y="${rps[python,$path,keep-alive]}" \
    'BEGIN { printf "  %-32s profile/nginx %.2f   profile/python %.2f\n", path, p / n, p / y }'
done
