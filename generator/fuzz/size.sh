#!/usr/bin/env bash
# Measures the release extractor on oversized pages generated here at run
# time (never committed): time and peak RSS from /usr/bin/time -v.
# Usage: generator/fuzz/size.sh [ROWS] [MB]   (defaults 1000000 rows, 50 MB)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
rows=${1:-1000000}
megabytes=${2:-50}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
cargo build --quiet --release -p ucwa-codegen || echo "build failed; measuring the last built binary" >&2
bin=$CARGO_TARGET_DIR/release/ucwa-codegen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bytes=$((megabytes * 1024 * 1024))
awk -v rows="$rows" 'BEGIN {
    print "# bigTable\n\nA resource with a very long properties table.\n\n## Properties\n"
    print "|**Name**|**Description**|\n|:-----|:-----|"
    for (i = 0; i < rows; i++) printf "|property%d|Property number %d of the table.|\n", i, i
}' > "$work/rows.md"
awk -v rows="$rows" 'BEGIN {
    print "bigTable\n\nApplies to: Skype for Business 2015\n\nA resource with a very long properties table.\n\nProperties\n\nName Description"
    for (i = 0; i < rows; i++) printf "property%d Property number %d of the table.\n", i, i
}' > "$work/rows.txt"
{ printf '# bigText\n\n'; head -c "$bytes" /dev/zero | tr '\0' 'a'; printf '\n'; } > "$work/line.md"
awk -v bytes="$bytes" 'BEGIN {
    print "# bigSample\n\nA resource with a huge sample.\n\n## Examples\n\n### JSON response\n\n```\n{"
    n = int(bytes / 24)
    for (i = 0; i < n; i++) printf "  \"key%08d\" : [ 1 ],\n", i
    print "  \"end\" : 0\n}\n```"
}' > "$work/sample.md"
awk -v bytes="$bytes" 'BEGIN { n = int(bytes / 2); for (i = 0; i < n; i++) printf "\n\n" }' > "$work/blank.md"
printf '# deepList\n\n' > "$work/nested.md"; awk 'BEGIN { for (i = 0; i < 100000; i++) printf "%*s- item\n", i * 2 % 4000, "" }' >> "$work/nested.md"
awk 'BEGIN { for (i = 0; i < 200000; i++) printf ">"; print " quoted" }' > "$work/quotes.md"

for page in rows.md rows.txt line.md sample.md blank.md nested.md quotes.md; do
    size=$(stat -c %s "$work/$page")
    /usr/bin/time -f "%e s, %M KB peak RSS, exit %x" -o "$work/time" timeout 600 "$bin" extract "$work/$page" --out "$work/out" >/dev/null 2>"$work/stderr" || true
    printf '%-10s %10d bytes: %s; %s\n' "$page" "$size" "$(cat "$work/time" | tail -1)" "$(grep -m1 -o 'error: .\{0,120\}' "$work/stderr" || echo ok)"
done
