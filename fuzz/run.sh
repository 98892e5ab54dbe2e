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
    targets=(scenario partial accumulator)
fi
if ! command -v cargo-fuzz >/dev/null; then
    cargo install cargo-fuzz --locked
fi

# Seed corpora, rebuilt on every run from files the repository already holds.
mkdir -p corpus/scenario corpus/partial corpus/accumulator
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
# The accumulator target reads a partial's inflated blocks (8-byte little-endian length, then
# the block), past the checksum that would stop most mutations of a whole file.
python3 - <<'PY'
import glob, json, os, struct, zlib
for path in glob.glob("corpus/partial/*.capsim"):
    with open(path, "rb") as f:
        header = json.loads(f.readline())
        raw = zlib.decompress(f.read(), -15)
    at, k = 0, 0
    while at < len(raw):
        (n,) = struct.unpack_from("<Q", raw, at)
        with open(f"corpus/accumulator/{os.path.basename(path)}.{k}", "wb") as out:
            out.write(raw[at + 8 : at + 8 + n])
        at, k = at + 8 + n, k + 1
PY

for t in "${targets[@]}"; do
    echo "== fuzz target $t for ${secs} s"
    cargo fuzz run -s none "$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=30 -print_final_stats=1
done
