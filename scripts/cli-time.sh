#!/usr/bin/env bash
# Wall time of `extract` + `generate` of a whole page directory (default
# ../shared/ucwa) through the release CLI, median of RUNS runs (default 11).
#
#   scripts/cli-time.sh [PAGES_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pages=${1:-$root/../shared/ucwa}
runs=${RUNS:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --release -p ucwa-codegen --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/ucwa-codegen
now() { date +%s%N; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
    s=$(now)
    "$bin" extract "$pages" --out "$work/schema" >/dev/null 2>&1
    m=$(now)
    "$bin" generate --schema "$work/schema" --out "$work/crate" >/dev/null
    e=$(now)
    echo "$(((e - s) / 1000000)) $(((m - s) / 1000000)) $(((e - m) / 1000000))"
done | sort -n | awk '{t[NR]=$1; x[NR]=$2; g[NR]=$3} END {m=int((NR+1)/2); printf "extract + generate: %d ms (median of %d; that run: extract %d ms, generate %d ms; fastest %d ms, slowest %d ms)\n", t[m], NR, x[m], g[m], t[1], t[NR]}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
