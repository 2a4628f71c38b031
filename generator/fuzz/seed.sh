#!/usr/bin/env bash
# Prepares everything the fuzz targets need, at run time and outside the repo:
#  - seed corpora in $FUZZ_CORPUS (default: ../fuzz-corpus beside the repository)
#    copied from ../shared/ucwa and ../shared/seeds, never committed;
#  - ucwa-corpus/: the crate generated from ../shared/ucwa (or, when the corpus
#    is absent, from this repository's schema/, i.e. what generated/ holds).
# Usage: generator/fuzz/seed.sh   (from anywhere)
set -euo pipefail

fuzz_dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$fuzz_dir/../.." && pwd)
shared=$(cd "$root/.." && pwd)/shared
corpus=${FUZZ_CORPUS:-$(cd "$root/.." && pwd)/fuzz-corpus}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}

mkdir -p "$corpus/extract_markdown" "$corpus/extract_rendered" "$corpus/decode_generated" "$corpus/schema"

# Pages: markdown pages seed both readers (the rendered target hides their markers).
for page in "$shared"/ucwa/*.md "$shared"/seeds/*; do
    [ -f "$page" ] || continue
    name=$(basename "$page")
    if grep -q '^#' "$page"; then
        cp "$page" "$corpus/extract_markdown/$name"
    fi
    cp "$page" "$corpus/extract_rendered/$name"
done

# Response bodies: every fenced sample's body (from its first `{` or `<` line),
# prefixed with the two selector bytes decode_generated reads (entry point, rel).
samples="$corpus/decode_generated"
awk -v dir="$samples" '
    /^```/ { if (inside && body != "") { n++; write(body) } inside = !inside; body = ""; started = 0; next }
    inside && !started && /^[ \t]*[{<]/ { started = 1 }
    inside && started { body = body $0 "\n" }
    function write(text,   xml, file, entry) {
        xml = (text ~ /^[ \t]*</)
        # JSON bodies go to entries 0, 2, 4 (resource, events, error); XML to 1, 3, 5.
        for (entry = xml; entry < 6; entry += 2) {
            file = sprintf("%s/sample-%04d-%d", dir, n, entry)
            printf "%c%c%s", (entry == 0 ? 7 : entry), n % 251 + 1, text > file
            close(file)
        }
    }
' "$shared"/ucwa/*.md "$shared"/seeds/*.md 2>/dev/null || true
printf '\006\000data:text/plain;base64,SGVsbG8=' > "$samples/data-uri"

# The crate decode_generated links against.
cd "$root"
if [ -d "$shared/ucwa" ]; then
    cargo run --quiet --release -p ucwa-codegen -- extract "$shared/ucwa" --out "$corpus/schema" || echo "some pages failed to extract; generating from the rest"
    schema="$corpus/schema"
else
    schema="$root/schema"
fi
cargo run --quiet --release -p ucwa-codegen -- generate --schema "$schema" --out "$fuzz_dir/ucwa-corpus" \
    --crate-name ucwa --runtime "$root/runtime"
echo "corpora in $corpus: $(ls "$corpus/extract_markdown" | wc -l) markdown, $(ls "$corpus/extract_rendered" | wc -l) rendered, $(ls "$samples" | wc -l) decode seeds"
