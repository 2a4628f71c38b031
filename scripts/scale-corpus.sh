#!/usr/bin/env bash
# Linear scaling: makes synthetic corpora 10x and 100x the size of a page
# directory (default ../shared/ucwa) and measures wall time and peak memory
# (max RSS, /usr/bin/time -v) of `extract` and `generate` at 1x, 10x, 100x.
#
#   scripts/scale-corpus.sh [PAGES_DIR] [FACTORS...]     # default factors: 1 10 100
#
# Small corpora are measured RUNS times (default 5) and the run with the
# median total is shown; 100x and above once (they take tens of seconds).
#
# Copy i of every page gets every resource and enumeration name (the first
# word of each page's `# ` title, matched as a whole word, case-sensitive)
# suffixed with `S<i>`, in its text and its file name, so names and links
# stay unique and consistent across copies.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pages=${1:-$root/../shared/ucwa}
shift || true
factors=${*:-1 10 100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet --release -p ucwa-codegen --manifest-path "$root/Cargo.toml"
bin=${CARGO_TARGET_DIR:-$root/target}/release/ucwa-codegen

make_corpus() { # factor, out dir
    python3 - "$pages" "$1" "$2" <<'PY'
import os, re, sys
src, factor, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
files = sorted(f for f in os.listdir(src) if f.endswith((".md", ".txt")))
texts = {f: open(os.path.join(src, f), encoding="utf-8", errors="surrogateescape").read() for f in files}
names = set()
for text in texts.values():
    title = re.search(r"^# +([A-Za-z][A-Za-z0-9]*)", text, re.M)
    if title:
        names.add(title.group(1))
word = re.compile(r"[A-Za-z][A-Za-z0-9]*")
for copy in range(factor):
    suffix = "" if copy == 0 else f"S{copy}"
    rename = lambda m: m.group(0) + suffix if m.group(0) in names else m.group(0)
    for f, text in texts.items():
        with open(os.path.join(out, word.sub(rename, f)), "w", encoding="utf-8", errors="surrogateescape") as o:
            o.write(word.sub(rename, text))
PY
}

measure() { # label, command...
    local label=$1
    shift
    /usr/bin/time -v "$@" >"$work/out" 2>"$work/time" || { cat "$work/out" "$work/time" >&2; exit 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$work/time")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time")
    echo "$label $wall $rss"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %7s %12s %14s %12s %14s %14s\n' factor pages "extract s" "extract MB" "generate s" "generate MB" "ms per page"
for factor in $factors; do
    corpus=$work/pages-$factor
    make_corpus "$factor" "$corpus"
    count=$(find "$corpus" -type f | wc -l)
    runs=${RUNS:-5}
    [ "$factor" -ge 100 ] && runs=1
    for _ in $(seq "$runs"); do
        read -r _ ex_s ex_mb < <(measure extract "$bin" extract "$corpus" --out "$work/schema-$factor")
        read -r _ gen_s gen_mb < <(measure generate "$bin" generate --schema "$work/schema-$factor" --out "$work/crate-$factor")
        echo "$ex_s $ex_mb $gen_s $gen_mb"
    done | awk '{print $1 + $3, $0}' | sort -n | awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}' >"$work/median"
    read -r _ ex_s ex_mb gen_s gen_mb <"$work/median"
    per_page=$(awk -v a="$ex_s" -v b="$gen_s" -v n="$count" 'BEGIN {printf "%.2f", (a + b) * 1000 / n}')
    printf '%-7s %7s %12s %14s %12s %14s %14s\n' "${factor}x" "$count" "$ex_s" "$ex_mb" "$gen_s" "$gen_mb" "$per_page"
    rm -rf "$corpus" "$work/schema-$factor" "$work/crate-$factor"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
