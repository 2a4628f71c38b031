#!/usr/bin/env bash
# Two release binaries of the CLI run alternately on the same pages (default
# ../shared/ucwa): `extract` then `generate`, into a fresh directory each run
# or replacing the previous output; medians of user and system CPU time and
# of wall time. For the cost of a change: build the old binary, copy it
# aside, build the new one.
#
#   scripts/cli-ab.sh OLD_BIN NEW_BIN [rerun|fresh] [PAGES_DIR]
#   RUNS=21 (default), WORK_BASE=/tmp (e.g. /dev/shm for tmpfs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old=$1 new=$2 mode=${3:-rerun} pages=${4:-$root/../shared/ucwa}
runs=${RUNS:-21}
work=$(mktemp -d "${WORK_BASE:-/tmp}/cli-ab.XXXX")
trap 'rm -rf "$work"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq "$runs"); do
    for which in old new; do
        bin=$old; [ "$which" = new ] && bin=$new
        out="$work/$which"
        [ "$mode" = fresh ] && rm -rf "$out"
        mkdir -p "$out"
        /usr/bin/time -f "%U %S %e" -o "$work/extract" "$bin" extract "$pages" --out "$out/schema" >/dev/null 2>&1
        /usr/bin/time -f "%U %S %e" -o "$work/generate" "$bin" generate --schema "$out/schema" --out "$out/crate" >/dev/null
        paste -d' ' "$work/extract" "$work/generate" | awk -v w="$which" \
            '{printf "%s %.0f %.0f %.0f %.0f %.0f\n", w, $1*1000, $2*1000, $4*1000, $5*1000, ($3+$6)*1000}'
    done
done >"$work/times"
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for which in old new; do
    set -- $(for column in 2 3 4 5 6; do grep "^$which " "$work/times" | cut -d' ' -f"$column" | median; done)
    echo "$which ($mode, median of $runs): extract user $1 ms sys $2 ms; generate user $3 ms sys $4 ms; wall $5 ms"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
