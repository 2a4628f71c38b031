#!/usr/bin/env bash
# `cargo check -p ucwa` of two checkouts of this repository, alternately, so
# that the load of a shared machine hits both alike: from clean (the target
# directory deleted: the dependencies, the runtime and the committed
# generated crate), with the dependencies built (`cargo clean -p ucwa`
# first), and of the dependencies alone from clean (the generated crate's
# manifest with an empty library, beside the root, as scripts/compare-typify.sh
# does). Wall time and CPU time (user + system of cargo and every rustc it
# runs), each run and the medians, and the ratio of the medians from clean
# to the dependencies alone. CARGO_INCREMENTAL=0, so that a run does not
# also write an incremental cache.
#
#   scripts/check-ab.sh OLD_ROOT NEW_ROOT      e.g. a `git archive` of the base in /tmp
#   RUNS=5 (default); each root gets its own target directory, `target-ab`,
#   and its dependencies-alone crate `ROOT-deps``
set -euo pipefail
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd)
runs=${RUNS:-5}
times=$(mktemp)
trap 'rm -f "$times"' EXIT
export CARGO_INCREMENTAL=0
check() { # root, label
    CARGO_TARGET_DIR=$1/target-ab /usr/bin/time -f "$2 %e %U %S" -a -o "$times" \
        cargo check --offline --quiet -p ucwa --manifest-path "$1/Cargo.toml" >/dev/null
}
deps_alone() { # root, label
    rm -rf "$1-deps/target-ab"
    CARGO_TARGET_DIR=$1-deps/target-ab /usr/bin/time -f "$2 %e %U %S" -a -o "$times" \
        cargo check --offline --quiet --manifest-path "$1-deps/Cargo.toml" >/dev/null
}
for root in "$old" "$new"; do # dependencies in place for the first "deps built" run
    CARGO_TARGET_DIR=$root/target-ab cargo check --offline --quiet -p ucwa --manifest-path "$root/Cargo.toml"
    mkdir -p "$root-deps/src"
    sed -e 's/^name = .*/name = "ucwa-deps"/' -e "s#path = \"[^\"]*\"#path = \"$root/runtime\"#" \
        "$root/generated/Cargo.toml" >"$root-deps/Cargo.toml"
    echo '//! Nothing: the dependencies alone.' >"$root-deps/src/lib.rs"
    cp "$root/Cargo.lock" "$root-deps/Cargo.lock"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "$runs"); do
    for which in old new; do
        root=$old; [ "$which" = new ] && root=$new
        CARGO_TARGET_DIR=$root/target-ab cargo clean --quiet -p ucwa --manifest-path "$root/Cargo.toml"
        check "$root" "$which-deps-built"
        rm -rf "$root/target-ab"
        check "$root" "$which-from-clean"
        deps_alone "$root" "$which-deps-alone"
    done
    echo "run $run done, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
for label in old-deps-built new-deps-built old-from-clean new-from-clean old-deps-alone new-deps-alone; do
    rows=$(grep "^$label " "$times")
    wall=$(echo "$rows" | awk '{print $2}' | median)
    cpu=$(echo "$rows" | awk '{printf "%.2f\n", $3 + $4}' | median)
    echo "$label: median wall ${wall} s, CPU ${cpu} s; runs (wall/CPU): $(echo "$rows" | awk '{printf "%s/%.1f ", $2, $3 + $4}')"
done
for which in old new; do
    ratio() { # what: 2 for wall, 3 for CPU
        local clean alone
        clean=$(grep "^$which-from-clean " "$times" | awk -v f="$1" '{print f == 2 ? $2 : $3 + $4}' | median)
        alone=$(grep "^$which-deps-alone " "$times" | awk -v f="$1" '{print f == 2 ? $2 : $3 + $4}' | median)
        awk -v c="$clean" -v a="$alone" 'BEGIN {printf "%.2f", c / a}'
    }
    echo "$which: from clean / dependencies alone, medians: wall $(ratio 2), CPU $(ratio 3)"
done
