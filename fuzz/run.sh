#!/usr/bin/env bash
# Runs capsim's fuzz targets with libFuzzer on stable Rust (`-s none`: no sanitizer, which
# would need nightly), seeded from the repository's own scenarios, fixtures and partials.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 s each, every target)
#
# Findings land in fuzz/artifacts/TARGET/; replay one with
#   cargo fuzz run -s none TARGET fuzz/artifacts/TARGET/crash-...
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(scenario partial)
fi
if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

# Seed corpora, rebuilt on every run from files the repository already holds.
mkdir -p corpus/scenario corpus/partial
cp ../scenarios/*.toml ../scenarios/*/*.toml ../tests/fixtures/valid/*.toml \
    ../tests/fixtures/invalid/*.toml corpus/scenario/
(cd .. && cargo build --release --quiet)
for n in 1 2 3; do
    for k in $(seq 0 $((n - 1))); do
        ../target/release/capsim run ../tests/fixtures/valid/tiny.toml -n 30 -q --no-charts \
            --shard "$k/$n" --trials-csv --out "corpus/partial-$n" >/dev/null
    done
done
find corpus/partial-* -name '*.capsim' -exec sh -c 'cp "$1" "corpus/partial/$(echo "$1" | tr / _)"' _ {} \;
rm -rf corpus/partial-*

for t in "${targets[@]}"; do
    echo "== fuzz target $t for ${secs} s"
    cargo fuzz run -s none "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1
done
