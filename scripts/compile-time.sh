#!/usr/bin/env bash
# Compile time of the crate generated from every page of a corpus
# (default ../shared/ucwa): `cargo check` and a debug `cargo build`, each
# from fully clean and with only the generated crate recompiled, plus the
# number of lines generated. Median of RUNS runs (default 3).
#
#   scripts/compile-time.sh [PAGES_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pages=${1:-$root/../shared/ucwa}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --release -p ucwa-codegen --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/ucwa-codegen
"$bin" extract "$pages" --out "$work/schema" >/dev/null 2>&1
"$bin" generate --schema "$work/schema" --out "$work/ucwa" --runtime "$root/runtime" >/dev/null
lines() { find "$work/ucwa/$1" -name '*.rs' -exec cat {} + | wc -l; }
echo "generated lines: src $(lines src), tests $(lines tests)"

# The generated crate lives outside the workspace with its own target dir.
export CARGO_TARGET_DIR=$work/target
cd "$work/ucwa"
cargo fetch --quiet
millis() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
measure() { # label, how to clean, cargo args...
    local label=$1 clean=$2
    shift 2
    for _ in $(seq "$runs"); do
        if [ "$clean" = all ]; then rm -rf "$CARGO_TARGET_DIR"; else cargo "$@" >/dev/null 2>&1; cargo clean --quiet -p ucwa; fi
        millis cargo "$@"
    done | median | xargs printf '%-40s %6s ms\n' "$label"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
measure "cargo check (from clean)" all check --offline
measure "cargo check (deps built)" deps check --offline
measure "cargo build (from clean)" all build --offline
measure "cargo build (deps built)" deps build --offline
measure "cargo test --no-run (deps built)" deps test --no-run --offline
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
