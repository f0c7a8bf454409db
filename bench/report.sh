#!/usr/bin/env bash
# Measures `profile report`: parse throughput (MB/s) and peak memory on a large capture, and the
# time to report a typical lab capture. Run by hand, as root (dumpcap captures loopback), not a
# test. Needs tshark (dumpcap), python3, curl and /usr/bin/time: apt-get install -y tshark curl time
# Usage: bench/report.sh [SIZE_MB]   (default 1024; PROFILE_BIN=path/to/profile)
#
# 1. The large capture: python3 -m http.server serves a 64 MiB file, curl fetches it again and
#    again (a new connection each time) while dumpcap records the port, until the capture file
#    reaches SIZE_MB (dumpcap -a filesize). Then `profile report` reads it, under /usr/bin/time:
#    wall time, MB/s, and the maximum resident set size.
# 2. The lab capture: `profile serve` on the example site; curl asks for the page, the audio with
#    `Range: bytes=0-`, the page again with its ETag (304) and a missing page (404), on one
#    keep-alive connection and a second one; hyperfine times `profile report` on it.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb=${1:-1024}
bin=${PROFILE_BIN:-target/release/profile}
[ -x "$bin" ] || cargo build --release --quiet
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
source bench/servers.sh report

# ---- 1. a large capture ----
mkdir "$tmp/files"
head -c $((64 << 20)) /dev/urandom >"$tmp/files/big.bin"
port=$(free_port)
python3 -m http.server --bind 127.0.0.1 "$port" --directory "$tmp/files" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
dumpcap -q -i lo -f "tcp port $port" -a "filesize:$((size_mb * 1000))" -w "$tmp/big.pcapng" 2>/dev/null &
dumpcap_pid=$!
pids+=($dumpcap_pid)
sleep 1
while kill -0 "$dumpcap_pid" 2>/dev/null; do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/big.bin" || break
done
wait "$dumpcap_pid" 2>/dev/null || true
bytes=$(stat -c %s "$tmp/big.pcapng")
echo "large capture: $((bytes / 1000000)) MB, $(tshark -r "$tmp/big.pcapng" -q -z conv,tcp 2>/dev/null | grep -c '<->') TCP connections"
/usr/bin/time -f "%e %M" -o "$tmp/time.txt" "$bin" report "$tmp/big.pcapng" -o "$tmp/big.html" --json "$tmp/big.json"
read -r seconds max_kb <"$tmp/time.txt"
python3 - "$bytes" "$seconds" "$max_kb" <<'PY'
import sys
size, seconds, max_kb = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"profile report: {seconds:.2f} s, {size / 1e6 / max(seconds, 1e-9):.0f} MB/s, "
      f"peak RSS {max_kb / 1024:.1f} MiB")
PY
rm -f "$tmp/big.pcapng" "$tmp/files/big.bin"

# ---- 2. a typical lab capture ----
mkdir "$tmp/site"
cp -r site.toml content assets "$tmp/site/"
port=$(free_port)
(cd "$tmp/site" && exec "$bin" serve --port "$port" --quiet --no-reload >/dev/null 2>&1) &
pids+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
dumpcap -q -i lo -f "tcp port $port" -w "$tmp/lab.pcapng" 2>/dev/null &
dumpcap_pid=$!
sleep 1
origin="http://127.0.0.1:$port"
audio=$(curl -fsS "$origin/" | grep -o 'assets/[^"]*\.mp3' | head -1)
etag=$(curl -fsSI "$origin/" | tr -d '\r' | sed -n 's/^etag: //Ip')
# One keep-alive connection (curl --next reuses it), then a second one for the 404.
curl -fsS -o /dev/null "$origin/" --next -H "Range: bytes=0-" -o /dev/null "$origin/$audio" \
  --next -H "If-None-Match: $etag" -o /dev/null "$origin/"
curl -sS -o /dev/null "$origin/no-such-page"
sleep 1
kill -INT "$dumpcap_pid"; wait "$dumpcap_pid" 2>/dev/null || true
echo "lab capture: $(stat -c %s "$tmp/lab.pcapng") bytes"
hyperfine --warmup 3 --runs 30 -N "$bin report $tmp/lab.pcapng -o $tmp/lab.html"
