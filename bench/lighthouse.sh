#!/usr/bin/env bash
# Lighthouse scores of the example site, mobile and desktop presets, run by hand (not a test).
# Needs Debian's chromium and lighthouse from the npm registry:
#   apt-get install -y chromium && npm install --prefix /tmp/lh lighthouse@12
# Usage: bench/lighthouse.sh [URL]   (default: builds dist/ and serves it with python3 on :5077)
set -euo pipefail
cd "$(dirname "$0")/.."
LH=${LIGHTHOUSE:-/tmp/lh/node_modules/.bin/lighthouse}
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
url=${1:-}
if [ -z "$url" ]; then
  cargo run --quiet --release -- build --quiet --out /tmp/lh-dist
  python3 -m http.server 5077 --bind 127.0.0.1 --directory /tmp/lh-dist >/dev/null 2>&1 &
  server=$!
  trap 'kill $server' EXIT
  sleep 1
  url=http://127.0.0.1:5077/
fi
flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
for preset in mobile desktop; do
  extra=()
  [ "$preset" = desktop ] && extra=(--preset=desktop)
  "$LH" "$url" --quiet --chrome-flags="$flags" "${extra[@]}" \
    --only-categories=performance,accessibility,best-practices,seo \
    --output=json --output-path="/tmp/lh-$preset.json"
  python3 - "$preset" "/tmp/lh-$preset.json" <<'PY'
import json, sys
preset, path = sys.argv[1], sys.argv[2]
report = json.load(open(path))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
print(f"{preset:8}", "  ".join(f"{k} {v}" for k, v in scores.items()))
for audit in report["audits"].values():
    if audit.get("score") is not None and audit["score"] < 1 and audit.get("scoreDisplayMode") in ("binary", "numeric"):
        print(f"   - {audit['id']}: {audit['title']} ({audit.get('displayValue', '')})")
PY
done
