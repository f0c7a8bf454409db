#!/usr/bin/env bash
# Records what docs/http-walkthrough.md shows: headless Chromium opening the example site served by
# `profile serve --trace`, twice with the same browser profile (the first visit, then the
# revisit), with dumpcap recording the port on loopback and `profile report` explaining the
# capture. Run by hand, not a test; about 10 s. Needs chromium (and dumpcap, as root, for the
# capture; skipped without it):
#   apt-get install -y chromium tshark
# Usage: bench/walkthrough.sh [OUTDIR]   (PROFILE_BIN=path/to/profile, PORT=5000,
#                                        INTERNAL=1 to trace the live-reload stream too)
# Writes OUTDIR/trace.txt (the server's stdout: start-up lines and the trace), OUTDIR/capture.har,
# OUTDIR/access.log (stderr), OUTDIR/capture.pcapng (every packet to or from the port),
# OUTDIR/report.html, report.mmd, report.json and figures/ (what `profile report` makes of the
# capture), OUTDIR/visit-N.html (the DOM Chromium dumped) and OUTDIR/visits.txt (where each
# visit starts in trace.txt).
# OUTDIR defaults to a new directory under /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${PROFILE_BIN:-target/release/profile}
port=${PORT:-5000}
out=${1:-$(mktemp -d /tmp/walkthrough.XXXXXX)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

command -v chromium >/dev/null || { echo "error: chromium is not installed (apt-get install -y chromium)" >&2; exit 1; }
if [ ! -x "$bin" ]; then
  cargo build --release --quiet
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d /tmp/walkthrough-run.XXXXXX)
server_pid=
dumpcap_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$dumpcap_pid" ] && kill "$dumpcap_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# A scratch copy of the example site, so dist/ in the repository is not touched.
mkdir "$tmp/site"
cp -r "$root/site.toml" "$root/content" "$root/assets" "$tmp/site/"

if command -v dumpcap >/dev/null && [ "$(id -u)" = 0 ]; then
  dumpcap -q -i lo -f "tcp port $port" -w "$out/capture.pcapng" 2>"$tmp/dumpcap.err" &
  dumpcap_pid=$!
  sleep 1
else
  echo "(no dumpcap, or not root: no capture)" >&2
fi

(cd "$tmp/site" && exec "$bin" serve --port "$port" --trace ${INTERNAL:+--trace-internal} --har "$out/capture.har" \
  >"$out/trace.txt" 2>"$out/access.log") &
server_pid=$!
for _ in $(seq 100); do
  grep -q "Running on" "$out/trace.txt" 2>/dev/null && break
  sleep 0.1
done
grep -q "Running on" "$out/trace.txt" || { echo "error: the server did not start:" >&2; cat "$out/access.log" >&2; exit 1; }

# Headless Chromium with nothing but the page: no background services, no QUIC, a profile of
# its own (kept between the two visits, so the second is a revisit with a warm cache). The
# virtual-time budget lets the page's audio element load its metadata before the DOM is dumped.
browse() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-default-apps --disable-extensions --metrics-recording-only \
    --user-data-dir="$tmp/browser" \
    --dump-dom "http://127.0.0.1:$port/" >"$out/visit-$1.html" 2>"$tmp/chromium-$1.err"
}
# Where each visit starts in the trace (line numbers of trace.txt).
echo "first visit starts after line $(wc -l <"$out/trace.txt")" >"$out/visits.txt"
browse 1
sleep 1
echo "revisit starts after line $(wc -l <"$out/trace.txt")" >>"$out/visits.txt"
browse 2
sleep 1

kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
if [ -n "$dumpcap_pid" ]; then
  sleep 0.5
  kill -INT "$dumpcap_pid"; wait "$dumpcap_pid" 2>/dev/null || true; dumpcap_pid=
  "$bin" report "$out/capture.pcapng" --lang en -o "$out/report.html" --mermaid \
    --svg "$out/figures" --json "$out/report.json"
fi

echo "exchanges traced: $(grep -c '^── ' "$out/trace.txt")"
grep '^── \|^> [A-Z]* \|^< HTTP' "$out/trace.txt" || true
echo "written to $out"
