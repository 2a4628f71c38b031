#!/usr/bin/env bash
# The corpus crate next to typify's output for the same resources, in one run
# on one machine: lines, and `cargo check` time from clean, with dependencies
# built, and of the dependencies alone (the same manifest with an empty lib).
#
#   scripts/compare-typify.sh [PAGES_DIR]       # default ../shared/ucwa; RUNS=3
#
# ucwa-codegen extracts and generates the crate, `export-json-schema` writes
# the same resources as JSON Schema, and typify's CLI (cargo-typify, pinned,
# installed with `cargo install --locked` into TYPIFY_ROOT, by default a cache
# directory outside the repository) generates its crate from that schema,
# once with its default builders and once with `--no-builder`. Every crate
# lives outside the workspace with its own target directory. Times are the
# median of RUNS; `cargo check --timings` from clean of the ucwa crate is
# kept as TIMINGS_OUT (default: not kept).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pages=${1:-$root/../shared/ucwa}
runs=${RUNS:-3}
typify_version=0.8.0
typify_root=${TYPIFY_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/ucwa-codegen/cargo-typify-$typify_version}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ ! -x "$typify_root/bin/cargo-typify" ]; then
    cargo install --quiet --locked cargo-typify --version "$typify_version" --root "$typify_root"
fi
cargo build --quiet --release -p ucwa-codegen --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/ucwa-codegen

"$bin" extract "$pages" --out "$work/schema" >/dev/null 2>&1
"$bin" generate --schema "$work/schema" --out "$work/ucwa" --runtime "$root/runtime" >/dev/null
"$bin" export-json-schema --schema "$work/schema" --out "$work/ucwa.schema.json"
resources=$(grep -l '^kind: resource' "$work/schema"/*.yaml | wc -l)

typify_crate() { # name, cargo-typify flags...
    local name=$1
    shift
    mkdir -p "$work/$name/src"
    printf '[package]\nname = "%s"\nversion = "0.1.0"\nedition = "2021"\npublish = false\n\n[dependencies]\nserde = { version = "1", features = ["derive"] }\nserde_json = "1"\n' \
        "$name" >"$work/$name/Cargo.toml"
    "$typify_root/bin/cargo-typify" typify "$@" "$work/ucwa.schema.json" -o "$work/$name/src/lib.rs"
}
typify_crate typify
typify_crate typify-no-builder --no-builder

# The dependencies alone: each crate's manifest with an empty library.
deps_of() { # crate dir, name
    mkdir -p "$work/$2/src"
    sed -e "s/^name = .*/name = \"$2\"/" -e "s#path = \"[^\"]*\"#path = \"$root/runtime\"#" "$1/Cargo.toml" >"$work/$2/Cargo.toml"
    echo '//! Nothing: the dependencies alone.' >"$work/$2/src/lib.rs"
}
deps_of "$work/ucwa" ucwa-deps
deps_of "$work/typify" typify-deps

crates="ucwa ucwa-deps typify typify-deps typify-no-builder"
for crate in $crates; do
    cp "$root/Cargo.lock" "$work/$crate/Cargo.lock"
    (cd "$work/$crate" && cargo fetch --quiet)
done

lines() { find "$work/$1/src" -name '*.rs' -exec cat {} + | wc -l; }
echo "resources: $resources"
for crate in ucwa typify typify-no-builder; do
    echo "$crate: $(lines "$crate") lines in src/ ($(awk -v l="$(lines "$crate")" -v r="$resources" 'BEGIN {printf "%.1f", l / r}') per resource)"
done

millis() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
from_clean() { # crate
    (cd "$work/$1" && rm -rf target && CARGO_TARGET_DIR=target millis cargo check --offline)
}
deps_built() { # crate
    (cd "$work/$1" && CARGO_TARGET_DIR=target cargo check --offline --quiet && cargo clean --quiet -p "$1" && CARGO_TARGET_DIR=target millis cargo check --offline)
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$runs"); do
    # Interleaved, so a change of load hits every crate alike.
    for crate in $crates; do echo "$crate clean $(from_clean "$crate")"; done
    for crate in ucwa typify typify-no-builder; do echo "$crate built $(deps_built "$crate")"; done
done >"$work/times"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-20s %16s %16s\n' crate "from clean ms" "deps built ms"
for crate in $crates; do
    clean=$(awk -v c="$crate" '$1 == c && $2 == "clean" {print $3}' "$work/times" | median)
    built=$(awk -v c="$crate" '$1 == c && $2 == "built" {print $3}' "$work/times" | median)
    printf '%-20s %16s %16s\n' "$crate" "$clean" "${built:--}"
done

if [ -n "${TIMINGS_OUT:-}" ]; then
    (cd "$work/ucwa" && rm -rf target && CARGO_TARGET_DIR=target cargo check --offline --quiet --timings && cp target/cargo-timings/cargo-timing.html "$TIMINGS_OUT")
    echo "cargo check --timings of the ucwa crate: $TIMINGS_OUT"
fi
