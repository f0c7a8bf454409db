#!/usr/bin/env bash
# Soak test of `profile serve`: mixed traffic from several client threads (pages, conditional
# requests, ranges on the audio, HEAD, 404s, keep-alive and `Connection: close`) for DURATION
# seconds while a page is edited every second; every response is checked against dist/, and the
# server's VmRSS and threads are sampled every 5 s. Run by hand (not a test). Needs python3
# (stdlib only) and Linux (/proc). Exits 1 on any error or wrong answer.
# Usage: bench/soak.sh      (DURATION=600 seconds, CLIENTS=6 client threads, SEED=8;
#                            PROFILE_BIN=path/to/profile to soak another binary)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${PROFILE_BIN:-target/release/profile}
command -v python3 >/dev/null || { echo "error: python3 is not installed" >&2; exit 1; }
if [ ! -x "$bin" ]; then
  cargo build --release --quiet
fi
exec python3 bench/soak.py --bin "$bin" --duration "${DURATION:-600}" \
  --clients "${CLIENTS:-6}" --seed "${SEED:-8}"
