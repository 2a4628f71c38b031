#!/usr/bin/env bash
# build.rs cost for a downstream crate (a copy of tests/downstream, with its
# committed schema/ plus its own pages, or with every page of PAGES_DIR and
# no schema): the no-op rebuild (the build script must not rerun) and the
# rebuild after touching one page, with the build script's own time from
# `cargo build --timings`. Median of RUNS (5).
#
#   scripts/buildrs-cost.sh [PAGES_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

crate=$work/downstream
cp -r "$root/tests/downstream" "$crate"
rm -rf "$crate/target"
sed -i "s|path = \"../../|path = \"$root/|" "$crate/Cargo.toml"
grep -q '"../../schema"' "$crate/build.rs" || { echo "tests/downstream/build.rs no longer reads ../../schema" >&2; exit 1; }
sed -i "s|\"../../schema\"|\"$root/schema\"|" "$crate/build.rs"
if [ $# -gt 0 ]; then
    # Only the pages of PAGES_DIR, as before the crate also read schema/.
    sed -i '/\.schema(/d' "$crate/build.rs"
    rm -rf "$crate/pages"
    mkdir "$crate/pages"
    cp "$1"/*.md "$crate/pages/"
fi
pages=$(find "$crate/pages" -type f | wc -l)
export CARGO_TARGET_DIR=$work/target
cd "$crate"

millis() { local s e; s=$(date +%s%N); "$@" >"$work/log" 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
# The build script's own run time, in ms, from the newest --timings report.
script_millis() {
    python3 - "$CARGO_TARGET_DIR/cargo-timings/cargo-timing.html" <<'PY'
import json, re, sys
html = open(sys.argv[1], encoding="utf-8").read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
print(round(sum(u["duration"] for u in units if u.get("mode") == "run-custom-build") * 1000))
PY
}

cargo build --offline --quiet
echo "downstream crate with $pages pages; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
    millis cargo build --offline -v
    if grep -q 'Running.*build-script-build' "$work/log"; then echo "the build script reran on a no-op build" >&2; exit 1; fi
done | median | xargs printf '%-46s %6s ms\n' "no-op rebuild (build script not rerun)"
page=$(find "$crate/pages" -type f | sort | head -1)
for _ in $(seq "$runs"); do
    touch "$page"
    total=$(millis cargo build --offline --timings)
    echo "$total $(script_millis)"
done | sort -n | awk '{t[NR]=$1; s[NR]=$2} END {m=int((NR+1)/2); printf "%-46s %6s ms\n%-46s %6s ms\n", "rebuild after touching one page (total)", t[m], "  of which the build script itself", s[m]}'
