#!/usr/bin/env bash
# Instructions per trial of a scenario: the stable cost figure on a noisy machine.
#
# Runs `capsim run` on one thread under valgrind's callgrind at two trial counts and reports
# (I(HIGH) - I(LOW)) / (HIGH - LOW), so start-up, compilation and the output step, which do not
# grow with trials, cancel out. Constraint costs are off (--cost-trials 0) and charts are not
# drawn, so the figure is the engine's: drawing, simulating, recording and aggregating a trial.
#
# Usage: benches/instructions.sh [SCENARIO] [--set PATH=VALUE ...]
# Env:   LOW (default 300), HIGH (default 900) trial counts; CAPSIM (default the release binary).
# Needs valgrind (Debian: apt-get install valgrind). Takes about a minute on the base scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-scenarios/aws-openai-2026.toml}
shift || true
low=${LOW:-300}
high=${HIGH:-900}
if [[ -z "${CAPSIM:-}" ]]; then
    cargo build --release --quiet
    CAPSIM="${CARGO_TARGET_DIR:-target}/release/capsim"
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$CAPSIM" run "$scenario" "$@" \
        -n "$trials" -j 1 --no-charts -q --cost-trials 0 -o "$out/run" 2>&1 |
        awk '/Collected/ { gsub(",", "", $4); print $4 }'
}
trials=$low count "$@" > "$out/low"
trials=$high count "$@" > "$out/high"
echo "$scenario: $(( ($(cat "$out/high") - $(cat "$out/low")) / (high - low) )) instructions/trial"
