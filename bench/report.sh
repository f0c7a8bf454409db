#!/usr/bin/env bash
# Measures `profile report`: parse throughput (MB/s) and peak memory on a large capture, and the
# time to report a typical lab capture. Run by hand, as root (dumpcap captures loopback), not a
# test. Needs tshark (dumpcap), python3, curl, hyperfine and /usr/bin/time:
#   apt-get install -y tshark curl hyperfine time
# Usage: bench/report.sh [SIZE_MB]   (default 1024; PROFILE_BIN=path/to/profile)
#
# 1. The large capture: SIZE_MB of HTTP downloads on a 1500-byte-MTU Ethernet link, written by
#    bench/gen-capture.py; `profile report` reads it three times under /usr/bin/time: wall
#    time, MB/s, and the maximum resident set size.
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
# Generated (bench/gen-capture.py), not recorded: dumpcap on a loopback busy with a download
# drops packets (the report then rightly says which bytes are missing), and a loopback's 64 KiB
# segments would make the count of packets per megabyte unlike a real network's.
python3 bench/gen-capture.py "$size_mb" "$tmp/big.pcap"
bytes=$(stat -c %s "$tmp/big.pcap")
cat "$tmp/big.pcap" >/dev/null  # read from the page cache, as a second run would
for run in 1 2 3; do
  /usr/bin/time -f "%e %M" -o "$tmp/time.txt" "$bin" report "$tmp/big.pcap" -o "$tmp/big.html" --json "$tmp/big.json" >/dev/null
  read -r seconds max_kb <"$tmp/time.txt"
  python3 - "$bytes" "$seconds" "$max_kb" "$run" <<'PY'
import sys
size, seconds, max_kb, run = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
print(f"run {run}: profile report read {size / 1e6:.0f} MB in {seconds:.2f} s, "
      f"{size / 1e6 / max(seconds, 1e-9):.0f} MB/s, peak RSS {max_kb / 1024:.1f} MiB")
PY
done
rm -f "$tmp/big.pcap"

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
