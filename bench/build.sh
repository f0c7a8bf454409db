#!/usr/bin/env bash
# Build benchmark: `profile build` vs `hugo` on generated sites of N pages, plus the example site.
#
#   bench/build.sh [--disk] [--keep] [--sizes "1 100 1000 10000"]
#
#   --disk    also run every size with the sites and outputs on disk ($TMPDIR or /tmp),
#             after the tmpfs pass (/dev/shm/profile-bench.XXXXXX)
#
# Besides the fresh builds, each size is built again over its previous output, sources
# unchanged and then with one page edited before each run, and bench/disk-floor.py gives the
# file system's own cost of creating the N directories and files of a fresh tree.
#   --keep    keep the generated sites and outputs
#   --sizes   the page counts to run (default: 1 100 1000 10000)
#
# Environment: PROFILE_BIN (default target/release/profile, built if missing), HUGO_BIN
# (default /usr/bin/hugo), HUGO_TIMEOUT (seconds one Hugo build may take, default 60; a Hugo
# build that takes longer is reported as ">" that time instead of being timed), SLOW (seconds;
# when one build takes longer, it is run only once and that run is the result; default 20),
# RESULTS (where hyperfine's JSON goes, default bench/results).
#
# For each size: gen-site.py makes a profile site and the equivalent Hugo site; each tool builds
# once under /usr/bin/time (checks it works, gives peak RSS, warms caches); then hyperfine times
# both from a fresh output directory, in rounds whose order alternates (profile first, then Hugo
# first, ...) so that drift does not favour one. The medians are over all rounds.
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")

disk=false keep=false sizes="1 100 1000 10000"
while (($#)); do
    case $1 in
        --disk) disk=true ;;
        --keep) keep=true ;;
        --sizes) sizes=$2; shift ;;
        -h|--help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

profile=${PROFILE_BIN:-$repo/target/release/profile}
hugo=${HUGO_BIN:-/usr/bin/hugo}
hugo_timeout=${HUGO_TIMEOUT:-60}
slow=${SLOW:-20}
results=${RESULTS:-$bench/results}

if [[ ! -x $profile ]]; then
    echo "building $profile ..." >&2
    (cd "$repo" && cargo build --release --quiet)
fi
profile=$(realpath "$profile")
if [[ ! -x /usr/bin/time ]]; then
    apt-get install -y time >/dev/null # GNU time, for peak RSS
fi
mkdir -p "$results"

log() { echo "[$(date +%T)] $*" >&2; }

# median_ms NAME FILE... — median in ms of all runs of command NAME in hyperfine JSON FILEs.
median_ms() {
    python3 - "$@" <<'EOF'
import json, statistics, sys
name, files = sys.argv[1], sys.argv[2:]
times = [t for f in files for r in json.load(open(f))["results"]
         if r["command"] == name for t in r["times"]]
print(f"{statistics.median(times) * 1000:.1f}")
EOF
}

# timed_run OUTFILE CMD... — runs CMD under GNU time; appends "wall_s max_rss_kb" to OUTFILE.
# On failure shows CMD's output and returns its status.
timed_run() {
    local into=$1; shift
    local err status=0
    err=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$err.time" "$@" >"$err" 2>&1 || status=$?
    if ((status != 0)); then
        if ((status == 124)); then
            echo "timed out: $*" >&2
        else
            echo "FAILED (exit $status): $*" >&2
            cat "$err" >&2
        fi
        rm -f "$err" "$err.time"
        return "$status"
    fi
    tail -n1 "$err.time" >>"$into"
    rm -f "$err" "$err.time"
}

# html_count DIR — how many .html files a build wrote.
html_count() { find "$1" -name '*.html' -type f | wc -l; }

rows=() again_rows=()

# bench_size WHERE BASE N — generate, check and time both tools on one size; adds a row.
bench_size() {
    local where=$1 base=$2 n=$3
    local psite=$base/site-profile-$n hsite=$base/site-hugo-$n
    local pout=$base/out-profile-$n hout=$base/out-hugo-$n
    log "$where N=$n: generating"
    python3 "$bench/gen-site.py" "$n" "$psite"
    python3 "$bench/gen-site.py" "$n" "$hsite" --hugo

    # Run plan: fewer runs as N grows.
    local rounds=3 warmup=3 runs=10 rss_runs=3
    if ((n > 100)); then warmup=1 runs=5; fi
    if ((n > 1000)); then rounds=2 warmup=0 runs=2 rss_runs=2; fi

    local pcmd=("$profile" build --quiet --root "$psite" --out "$pout")
    local hcmd=("$hugo" --quiet --cacheDir "$base/hugo-cache" -s "$hsite" -d "$hout")

    # Check runs: both must succeed and write every page (profile adds a 404 page).
    local prss=$base/rss-profile-$n hrss=$base/rss-hugo-$n
    : >"$prss"; : >"$hrss"
    log "$where N=$n: profile check run(s)"
    for ((i = 0; i < rss_runs; i++)); do
        rm -rf "$pout"
        timed_run "$prss" "${pcmd[@]}"
        # One run this slow is the result; more would blow the time budget.
        if awk -v s="$slow" '{exit !($1 > s)}' "$prss" 2>/dev/null; then rounds=0; break; fi
    done
    local got want
    got=$(html_count "$pout")
    # The N pages, index.html, 404.html, and past 20 pages the list of all pages.
    want=$((n + 2 + (n > 20 ? 1 : 0)))
    if ((got != want)); then
        echo "profile wrote $got HTML files for N=$n, expected $want" >&2; exit 1
    fi
    rm -rf "$pout"

    log "$where N=$n: hugo check run"
    local hugo_ms hugo_timed_out=false
    if timed_run "$hrss" timeout "$hugo_timeout" "${hcmd[@]}"; then
        got=$(html_count "$hout")
        want=$((n + 1 + (n > 20 ? 1 : 0))) # as profile's, without 404.html
        if ((got != want)); then
            echo "hugo wrote $got HTML files for N=$n, expected $want" >&2; exit 1
        fi
    else
        local status=$?
        ((status == 124)) || exit "$status" # a real Hugo failure, not the timeout
        log "hugo took over ${hugo_timeout}s at N=$n; not timing it"
        hugo_ms=">$((hugo_timeout * 1000))"
        hugo_timed_out=true
    fi
    rm -rf "$hout"

    local profile_ms
    if ((rounds == 0)); then
        # Too slow for repeated runs: the check run(s) are the measurement.
        profile_ms=$(awk '{print $1 * 1000; exit}' "$prss")
        [[ -n ${hugo_ms-} ]] || hugo_ms=$(awk '{print $1 * 1000; exit}' "$hrss")
        log "$where N=$n: one run each (slower than ${slow}s), no hyperfine"
    else
        local files=() r cmds
        for ((r = 1; r <= rounds; r++)); do
            log "$where N=$n: hyperfine round $r/$rounds"
            # Alternate which tool goes first; Hugo is left out if it timed out above.
            cmds=(-n profile -p "rm -rf $pout" "${pcmd[*]}")
            if [[ -z ${hugo_ms-} ]]; then
                if ((r % 2)); then
                    cmds+=(-n hugo -p "rm -rf $hout" "${hcmd[*]}")
                else
                    cmds=(-n hugo -p "rm -rf $hout" "${hcmd[*]}" "${cmds[@]}")
                fi
            fi
            hyperfine -N --style none --warmup "$warmup" --runs "$runs" \
                --cleanup "rm -rf $pout $hout" \
                --export-json "$results/$where-n$n-r$r.json" "${cmds[@]}"
            files+=("$results/$where-n$n-r$r.json")
        done
        profile_ms=$(median_ms profile "${files[@]}")
        [[ -n ${hugo_ms-} ]] || hugo_ms=$(median_ms hugo "${files[@]}")
    fi

    # Building again over the previous output (what a user does after an edit), both tools in
    # one hyperfine run: sources unchanged ("again"), then one page's text edited before each
    # run ("edit"). Hugo is left out if it timed out above.
    local again_runs=5 again=() edit_p edit_h
    if ((n > 1000)); then again_runs=2; fi
    edit_p="sh -c 'echo Edited. >> $psite/content/page-00001.md'"
    edit_h="sh -c 'echo Edited. >> $hsite/content/page-00001.md'"
    # hyperfine pairs the k-th --prepare with the k-th command, so every command has one.
    again=(-n profile-again -p true "${pcmd[*]}" -n profile-edit -p "$edit_p" "${pcmd[*]}")
    if [[ $hugo_timed_out == false ]]; then
        again+=(-n hugo-again -p true "${hcmd[*]}" -n hugo-edit -p "$edit_h" "${hcmd[*]}")
    fi
    log "$where N=$n: building again over the previous output"
    "${pcmd[@]}" # the output to build over; Hugo's is made by its first warm-up run
    hyperfine -N --style none --warmup 1 --runs "$again_runs" --cleanup "rm -rf $pout $hout" \
        --export-json "$results/$where-n$n-again.json" "${again[@]}"
    local p_again p_edit h_again=- h_edit=-
    p_again=$(median_ms profile-again "$results/$where-n$n-again.json")
    p_edit=$(median_ms profile-edit "$results/$where-n$n-again.json")
    if [[ $hugo_timed_out == false ]]; then
        h_again=$(median_ms hugo-again "$results/$where-n$n-again.json")
        h_edit=$(median_ms hugo-edit "$results/$where-n$n-again.json")
    fi
    # The file system's own cost of a fresh tree of this many pages, for the fresh figures.
    local floor_ms
    floor_ms=$(python3 "$bench/disk-floor.py" "$n" "$base")
    again_rows+=("$(printf '%-6s %6d %12s %12s %12s %12s %12s' \
        "$where" "$n" "$p_again" "$h_again" "$p_edit" "$h_edit" "$floor_ms")")

    local rss_mb
    rss_mb=$(awk '$2 > m {m = $2} END {printf "%.1f", m / 1024}' "$prss")
    rows+=("$(awk -v w="$where" -v n="$n" -v p="$profile_ms" -v h="$hugo_ms" -v rss="$rss_mb" '
        BEGIN {
            ratio = (h ~ /^>/) ? "<" sprintf("%.2f", p / substr(h, 2)) : sprintf("%.2f", p / h)
            printf "%-6s %6d %12.1f %12s %9s %12.0f %10s", w, n, p, h, ratio, n / (p / 1000), rss
        }')")
    [[ $keep == true ]] || rm -rf "$psite" "$hsite" "$prss" "$hrss"
}

# The example site itself, from the repo root, process start included: built once, then timed
# building again over that output with nothing changed (no fresh build is timed).
bench_example() {
    local base=$1 out=$1/out-example
    log "example site: $repo"
    "$profile" build --root "$repo" --out "$out" # shows profile's own summary line
    hyperfine -N --style none --warmup 3 --runs 20 --export-json "$results/example.json" \
        -n example "$profile build --quiet --root $repo --out $out"
    example_ms=$(median_ms example "$results/example.json")
    rm -rf "$out"
}

locations=("tmpfs:/dev/shm/profile-bench")
if [[ $disk == true ]]; then locations+=("disk:${TMPDIR:-/tmp}/profile-bench-disk"); fi

# A fresh directory per run (concurrent runs must not share one); removed even on failure,
# since N=10000 leaves gigabytes in tmpfs.
base=
cleanup() { if [[ $keep == true ]]; then log "kept $base"; else rm -rf "$base"; fi; }
trap '[[ -z $base ]] || cleanup' EXIT
for loc in "${locations[@]}"; do
    where=${loc%%:*}
    base=$(mktemp -d "${loc#*:}.XXXXXX")
    for n in $sizes; do bench_size "$where" "$base" "$n"; done
    if [[ $where == tmpfs ]]; then bench_example "$base"; fi
    cleanup
    base=
done

echo
"$profile" --version
"$hugo" version
printf '%-6s %6s %12s %12s %9s %12s %10s\n' \
    where N "profile ms" "hugo ms" ratio "profile p/s" "RSS MB"
printf '%s\n' "${rows[@]}"
echo
echo "Building again over the previous output: sources unchanged (again), one page edited (edit);"
echo "floor = mkdir + 6 KB file per page in a fresh directory, nothing else (bench/disk-floor.py)"
printf '%-6s %6s %12s %12s %12s %12s %12s\n' \
    where N "profile again" "hugo again" "profile edit" "hugo edit" "floor ms"
printf '%s\n' "${again_rows[@]}"
echo
echo "example site, built again unchanged (repo root → tmpfs, incl. process start): median $example_ms ms"
echo "(medians; ratio = profile/hugo; p/s = generated pages per second; RSS = profile peak)"
echo "hyperfine JSON: $results"
