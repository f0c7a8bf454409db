#!/usr/bin/env bash
# Live-reload latency of `profile serve`: from writing a source file to the `reload` event on
# /_profile/events, for (a) the example site (edits to content/index.md) and (b) a generated
# 1,000-page site (edits to the body of one page). Run by hand (not a test); about 30 s.
# Needs python3. Targets: median < 50 ms on (a), < 100 ms on (b).
# Usage: bench/reload.sh     (PROFILE_BIN=path/to/profile to bench another binary instead of
#                             building target/release/profile; EDITS=50, PAGES=1000, GAP=0.1)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
edits=${EDITS:-50}
pages=${PAGES:-1000}
gap=${GAP:-0.1}

command -v python3 >/dev/null || { echo "error: python3 is not installed" >&2; exit 1; }
if [ -z "${PROFILE_BIN:-}" ]; then
  cargo build --release --quiet
fi
bin=${PROFILE_BIN:-target/release/profile}
[ -x "$bin" ] || { echo "error: $bin is not an executable" >&2; exit 1; }

source bench/servers.sh reload
trap 'exit 130' INT TERM

# Serves site $1 on a free port in the background; sets $port.
serve() {
  local site=$1 name=$2
  port=$(free_port)
  "$bin" serve --quiet --root "$site" --port "$port" >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pids+=($!)
  local i
  for i in $(seq 200); do
    grep -q '^ \* Running on ' "$tmp/$name.out" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "error: profile serve did not start for $name:" >&2
  cat "$tmp/$name.err" >&2
  exit 1
}

# The server's own "Rebuilt in N ms" lines → "median M ms".
rebuild_times() {
  sed -n 's/^Rebuilt in \([0-9]*\) ms.*/\1/p' "$1" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "server-side rebuild: median %d ms over %d rebuilds\n", v[int((NR + 1) / 2)], NR }'
}

echo "profile $("$bin" --version | cut -d' ' -f2) ($bin), Python $(python3 -c 'import platform; print(platform.python_version())'), $(nproc) CPUs"
echo "$edits edits each, ${gap}s apart; latency = file written → \`reload\` event received"
echo

# (a) The example site, copied so the repository's files are never touched.
example=$tmp/example
mkdir -p "$example"
cp -r site.toml content assets "$example/"
[ -d theme ] && cp -r theme "$example/"
serve "$example" example
python3 bench/reload-latency.py "127.0.0.1:$port" "$example/content/index.md" \
  --edits "$edits" --gap "$gap" --check / --label "(a) example site, content/index.md"
rebuild_times "$tmp/example.out" | sed 's/^/    /'

# (b) A generated site of $pages pages; one page's body is edited.
big=$tmp/big
python3 bench/gen-site.py "$pages" "$big"
page=$(printf 'page-%05d' $(((pages + 1) / 2)))
serve "$big" big
python3 bench/reload-latency.py "127.0.0.1:$port" "$big/content/$page.md" \
  --edits "$edits" --gap "$gap" --check "/$page/" \
  --label "(b) $pages-page site, content/$page.md"
rebuild_times "$tmp/big.out" | sed 's/^/    /'
