#!/usr/bin/env bash
# Browser test of report.html: builds a run, compare, sweep, sensitivity, solve and backtest
# folder with capsim (small trial counts, fixed seed), opens each report.html in Debian's headless Chromium through
# playwright-core (check.mjs) and checks it loads nothing, logs no error, shows no overlapping or
# clipped text at desktop and phone width, and prints the figures of the folder's JSON.
#
# Needs root to install Debian's chromium when /usr/bin/chromium is missing, and the npm
# registry for playwright-core (package-lock.json). Safe to run again.
#
# Environment:
#   CAPSIM_BIN   capsim binary to test [default: build with `cargo build --locked` and use
#                target/debug/capsim, under $CARGO_TARGET_DIR if set]
#   REPORT_DIR   scratch directory, wiped at start; the screenshots are in REPORT_DIR/screenshots
#                [default: target/report-browser-test]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
REPORT_DIR=${REPORT_DIR:-$REPO/target/report-browser-test}

step() { printf '\n== %s\n' "$*"; }
die() {
    printf 'report browser test: FAIL: %s\n' "$*" >&2
    exit 1
}
retry() { # attempts command...: runs the command until it succeeds, 15 s apart
    local attempts=$1 i
    shift
    for ((i = 1; i <= attempts; i++)); do
        "$@" && return 0
        echo "failed (attempt $i of $attempts): $*" >&2
        ((i < attempts)) && sleep 15
    done
    return 1
}

if [[ ! -x /usr/bin/chromium ]]; then
    step "installing Debian's chromium"
    [[ $(id -u) -eq 0 ]] || die "/usr/bin/chromium is missing and only root can install it (apt-get install chromium)"
    export DEBIAN_FRONTEND=noninteractive
    retry 3 apt-get update -qq || die "apt-get update failed"
    retry 3 apt-get install -y -qq chromium >/dev/null || die "apt-get install chromium failed"
fi

step "npm ci (playwright-core, tests/report/package-lock.json)"
command -v node >/dev/null || die "node is missing"
(cd "$HERE" && retry 3 npm ci --no-audit --no-fund --silent) || die "npm ci failed"

if [[ -z ${CAPSIM_BIN:-} ]]; then
    step "cargo build --locked"
    (cd "$REPO" && cargo build --locked --quiet)
    CAPSIM_BIN=${CARGO_TARGET_DIR:-$REPO/target}/debug/capsim
fi
[[ -x $CAPSIM_BIN ]] || die "no capsim binary at $CAPSIM_BIN"

step "results folders in $REPORT_DIR"
rm -rf "$REPORT_DIR"
mkdir -p "$REPORT_DIR"
base=$REPO/scenarios/aws-openai-2026.toml
capsim() { (cd "$REPO" && "$CAPSIM_BIN" "$@" --seed 7 --quiet) || die "capsim $* failed"; }
capsim run "$base" -n 200 -o "$REPORT_DIR/run"
capsim compare "$base" "$REPO/scenarios/aws-openai-2026-slow-supply.toml" -n 100 -o "$REPORT_DIR/compare"
capsim sweep "$base" --vary supply.gb300.rate_scale=0.8,1.0,1.2 -n 50 -o "$REPORT_DIR/sweep"
capsim sensitivity "$base" -n 100 -o "$REPORT_DIR/sensitivity"
capsim solve "$base" --vary supply.gb300.rate_scale=0.8:1.5 --for 'p_target>=0.8' -n 100 -o "$REPORT_DIR/solve"
capsim backtest "$REPO/scenarios/backtests" -n 100 -o "$REPORT_DIR/backtest"

step "Chromium: load, layout and figures of each report.html"
node "$HERE/check.mjs" "$REPORT_DIR/screenshots" \
    run="$REPORT_DIR/run" compare="$REPORT_DIR/compare" \
    sweep="$REPORT_DIR/sweep" sensitivity="$REPORT_DIR/sensitivity" \
    solve="$REPORT_DIR/solve" backtest="$REPORT_DIR/backtest"
