#!/usr/bin/env bash
# How the cost of a run grows with scenario size (issue 11): is it linear in sites and days?
#
#   benches/scaling.sh
#   env TRIALS=N     trials per measured run                          [default 5000]
#   env RUNS=N       measured runs of every case (rounds, see below)  [default 3]
#   env THREADS=N    worker threads of every run                      [default 1]
#   env WARMUP=N     unmeasured warm-up runs before each measured run [default 1]
#   env SUPPLY=MODE  how the sites cases scale supply: copy | scale   [default copy]
#   env CHECK_TRIALS=N  trials of the work check (0 skips it)         [default 200]
#   env CALLGRIND=1  also count instructions per trial under valgrind (adds ~3 minutes)
#   env BASE=FILE    the scenario scaled        [default scenarios/aws-openai-2026.toml]
#
# Cases, all generated in a temporary directory from BASE as variants (`extends`):
#   sites-xK    K = 1, 2, 4, 10: the base's sites copied K times (copy j gets ids `<id>-j`, e.g.
#               `new-carlisle-in-2`, the same region, phases, crews and delays), target_gpus × K.
#               Supply (SUPPLY=copy, the default): every stream copied too (`gb300-2`, with the
#               same schedule, cap, slip, noise and disruption) and every correlation group
#               copied for the copies (`nvl72-supply-chain-2` over `gb200-2`, `gb300-2`), so the
#               run is K independent copies of the base build-out: K× the sites, streams, weekly
#               batches and per-trial draws, each copy with the same statistics as the base.
#               SUPPLY=scale instead keeps the base's streams and multiplies their rates
#               (`rate_scale` = K) and `cap_racks` by K: the same racks reach the sites, but in
#               the base's number of batches, with one noise and disruption draw for all copies
#               (every copy's supply moves together). Copying is the default because it keeps
#               each copy doing the same work: with `scale`, a K× batch lands at fewer sites and
#               waits for their crews, so the copies do less (the work check below drops, to
#               ~227k GPUs per copy at x10 against ~249k); `scale` still shows the per-site cost
#               without the per-batch cost growing.
#               Power limits: every `[[power_limits]]` cap is kept, with its `mw` and every
#               step's `mw` multiplied by K (the copies share their original's region, so a
#               regional cap covers K× the sites and gets K× the MW; none is dropped).
#   horizon-xF  F = 2, 4: the base unchanged (start, deadline, supply, sites) but `horizon`
#               moved out so the simulated days are F× the base's (at most 7,320 days, the
#               scenario-format limit). Supply schedules end where the base's do, so the added
#               days are after the build-out: racks still burn in, fail and wait, GPUs are
#               interrupted and every day is recorded, but nothing new ships.
#
# Each scenario is checked with `capsim validate` first (the script stops on an invalid one, or on
# one with more `# warning:` lines than the base, which would mean the copies cannot do the base's
# work), then run once for CHECK_TRIALS trials as a work check: mean available GPUs at the
# deadline per copy, which should stay close to the base's if every copy does the same work. Then
# the measurements: RUNS rounds, each round one `capsim bench --json --runs 1` of every case, in
# forward order on odd rounds and reverse order on even ones, so machine drift spreads over all
# cases instead of landing on the last ones. The table gives per case the median over rounds:
# trials/s, ns per trial, ns per simulated site-day, `cost/linear` = (ns per trial / the sites-x1
# ns per trial) / the size factor (1.00 = linear; above 1 = more than linear), its spread over
# rounds, and the largest peak resident memory (MB) of the process during a measured run. With
# CALLGRIND=1 it also gives instructions per trial, (I(900) − I(300)) / 600 from `capsim run`
# with -n 300 and -n 900 under `valgrind --tool=callgrind` (docs/performance.md, "Measuring"):
# the same on any machine and under any load, so the stable check of linearity ("instr/linear",
# as cost/linear).
#
# Takes about 2½ minutes at the defaults on a 2-core machine (5½ with CALLGRIND=1). Needs
# python3 (3.11+, tomllib).
set -euo pipefail

trials=${TRIALS:-5000}
runs=${RUNS:-3}
threads=${THREADS:-1}
warmup=${WARMUP:-1}
supply=${SUPPLY:-copy}
check_trials=${CHECK_TRIALS:-200}
callgrind=${CALLGRIND:-0}
base=${BASE:-scenarios/aws-openai-2026.toml}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
[[ $supply == copy || $supply == scale ]] || {
    echo "error: SUPPLY must be copy or scale, not '$supply'" >&2
    exit 1
}
[[ -f $base ]] || {
    echo "error: no scenario at $base" >&2
    exit 1
}
cargo build --release --quiet
capsim=${CARGO_TARGET_DIR:-target}/release/capsim
base=$(realpath "$base")

work=$(mktemp -d "${TMPDIR:-/tmp}/capsim-scaling.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Writes one scaled variant of the base: gen.py BASE OUT KIND FACTOR SUPPLY.
cat >"$work/gen.py" <<'PY'
import datetime
import re
import sys
import tomllib

base_path, out_path, kind, factor, supply = sys.argv[1:6]
k = int(factor)
with open(base_path, "rb") as f:
    base = tomllib.load(f)
if "extends" in base or "status" in base:
    sys.exit(f"error: {base_path}: the base must be a whole scenario without [status]")


def esc(s):
    out = []
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def val(v):
    """One TOML value on one line (inline tables and arrays)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return esc(v)
    if isinstance(v, (datetime.date, datetime.datetime, datetime.time)):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(val(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{key(k)} = {val(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {v!r}")


def key(k):
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else esc(k)


def table(header, d):
    return [header] + [f"{key(k)} = {val(x)}" for k, x in d.items()] + [""]


scenario = base["scenario"]
lines = [f"extends = {esc(base_path)}", ""]
name = f"{scenario['name']}-{kind}-x{k}"

if kind == "horizon":
    start, horizon = scenario["start"], scenario["horizon"]
    days = (horizon - start).days + 1
    new_horizon = start + datetime.timedelta(days=days * k - 1)
    if days * k > 7320:
        sys.exit(f"error: {days * k} simulated days is over the 7,320-day limit")
    lines += table("[scenario]", {"name": name, "horizon": new_horizon})
elif kind == "sites":
    lines += table("[scenario]", {"name": name, "target_gpus": scenario["target_gpus"] * k})
    streams = [s["id"] for s in base["supply"]]
    sites = [s["id"] for s in base["sites"]]
    copied = set(sites) | (set(streams) if supply == "copy" else set())

    def rename(input_name, j):
        # `kind.id` or `kind.id.rest`; None when the input is not one copied thing by its id.
        parts = input_name.split(".")
        if len(parts) < 2 or "*" in input_name or parts[1] not in copied:
            return None
        return ".".join([parts[0], f"{parts[1]}-{j}", *parts[2:]])

    for j in range(2, k + 1):
        for site in base["sites"]:
            copy = dict(site, id=f"{site['id']}-{j}")
            if "name" in copy:
                copy["name"] = f"{site['name']} (copy {j})"
            lines += table("[[sites]]", copy)
        if supply == "copy":
            for stream in base["supply"]:
                lines += table("[[supply]]", dict(stream, id=f"{stream['id']}-{j}"))
        for group in base.get("correlations", []):
            inputs = [rename(x, j) for x in group["inputs"]]
            if all(inputs):
                copy = dict(group, id=f"{group['id']}-{j}", inputs=inputs)
                lines += table("[[correlations]]", copy)
            elif j == 2 and supply == "copy":
                print(f"note: correlation group `{group['id']}` is not copied "
                      "(it names an input that is not copied by id)", file=sys.stderr)
    if supply == "scale":
        for stream in base["supply"]:
            scaled = {"id": stream["id"], "rate_scale": stream.get("rate_scale", 1) * k}
            if "cap_racks" in stream:
                scaled["cap_racks"] = stream["cap_racks"] * k
            lines += table("[[supply]]", scaled)
    for limit in base.get("power_limits", []):
        scaled = {"id": limit["id"], "mw": limit["mw"] * k}
        if "steps" in limit:
            scaled["steps"] = [dict(step, mw=step["mw"] * k) for step in limit["steps"]]
        lines += table("[[power_limits]]", scaled)
else:
    sys.exit(f"error: unknown kind {kind}")

with open(out_path, "w", encoding="utf-8") as f:
    f.write("\n".join(lines))
PY

# case kind factor
cases=(
    "sites-x1 sites 1"
    "sites-x2 sites 2"
    "sites-x4 sites 4"
    "sites-x10 sites 10"
    "horizon-x2 horizon 2"
    "horizon-x4 horizon 4"
)

cores=$(nproc 2>/dev/null || echo "?")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "capsim scaling: $(realpath --relative-to=. "$base") · $trials trials per run · $runs rounds ·" \
    "$threads thread(s) · warm-up $warmup · supply: $supply"
echo "binary: $capsim ($("$capsim" --version)) · machine: ${cpu:-unknown CPU} · $cores cores"
echo

"$capsim" validate "$base" >"$work/base.validate" 2>&1 || {
    echo "error: the base scenario $base is invalid:" >&2
    cat "$work/base.validate" >&2
    exit 1
}
base_warnings=$(grep -c '^# warning' "$work/base.validate" || true)
for c in "${cases[@]}"; do
    read -r name kind factor <<<"$c"
    file="$work/$name.toml"
    python3 "$work/gen.py" "$base" "$file" "$kind" "$factor" "$supply"
    if ! "$capsim" validate "$file" >"$work/$name.validate" 2>&1; then
        echo "error: generated scenario $name is invalid:" >&2
        cat "$work/$name.validate" >&2
        echo "--- $file:" >&2
        cat "$file" >&2
        exit 1
    fi
    if (($(grep -c '^# warning' "$work/$name.validate" || true) > base_warnings)); then
        echo "error: generated scenario $name validates with more warnings than the base" \
            "(the copies cannot do the base's work):" >&2
        grep '^# warning' "$work/$name.validate" >&2
        exit 1
    fi
    if ((check_trials > 0)); then
        "$capsim" run "$file" -n "$check_trials" -j "$threads" --no-charts -q --cost-trials 0 \
            -o "$work/$name.check" >/dev/null
    fi
done

# Instructions of `capsim run -n N` of a case under callgrind.
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$work/$1.cg.$2" "$capsim" run "$work/$1.toml" \
        -n "$2" -j 1 --no-charts -q --cost-trials 0 -o "$work/$1.cg-out.$2" >/dev/null 2>&1
    awk '/^(summary|totals):/ { print $2; exit }' "$work/$1.cg.$2"
}

if [[ $callgrind == 1 ]]; then
    command -v valgrind >/dev/null || {
        echo "error: CALLGRIND=1 needs valgrind" >&2
        exit 1
    }
    for c in "${cases[@]}"; do
        read -r name _ _ <<<"$c"
        echo "  callgrind: $name" >&2
        i300=$(instructions "$name" 300)
        i900=$(instructions "$name" 900)
        echo $(((i900 - i300) / 600)) >"$work/$name.instructions"
    done
fi

for ((r = 1; r <= runs; r++)); do
    order=("${cases[@]}")
    if ((r % 2 == 0)); then
        order=()
        for ((i = ${#cases[@]} - 1; i >= 0; i--)); do order+=("${cases[i]}"); done
    fi
    for c in "${order[@]}"; do
        read -r name _ _ <<<"$c"
        echo "  round $r/$runs: $name" >&2
        "$capsim" bench "$work/$name.toml" -n "$trials" --runs 1 --warmup "$warmup" \
            --threads "$threads" --json >"$work/$name.round$r.json"
    done
done
echo >&2

python3 - "$work" "$runs" "$check_trials" "${cases[@]}" <<'PY'
import json
import re
import statistics
import sys

work, runs, check_trials, cases = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]


def validated(name, row):
    m = re.search(rf"^#\s+{row}\s+(\d+)", open(f"{work}/{name}.validate").read(), re.M)
    return int(m.group(1))


rows = []
for c in cases:
    name, kind, factor = c.split()
    reports = [json.load(open(f"{work}/{name}.round{r}.json")) for r in range(1, runs + 1)]
    ns = [rep["rows"][0]["ns_per_trial"] for rep in reports]
    peaks = [rep["rows"][0]["peak_rss_mb"] for rep in reports]
    resolved = open(f"{work}/{name}.validate").read()
    sites = len(re.findall(r"^\[\[sites\]\]", resolved, re.M))
    days = validated(name, "simulated days")
    per_copy = None
    if check_trials > 0:
        summary = json.load(open(f"{work}/{name}.check/summary.json"))
        copies = int(factor) if kind == "sites" else 1
        per_copy = summary["available_gpus_at_deadline"]["mean"] / copies
    try:
        instructions = int(open(f"{work}/{name}.instructions").read())
    except FileNotFoundError:
        instructions = None
    rows.append(dict(name=name, kind=kind, factor=int(factor), ns=ns, peaks=peaks,
                     sites=sites, days=days, per_copy=per_copy, instructions=instructions))

base = next(r for r in rows if r["name"] == "sites-x1")
base_ns = statistics.median(base["ns"])
print(f"  {'case':<11} {'sites':>5} {'days':>5} {'trials/s':>9} {'ns/trial':>10} "
      f"{'ns/site-day':>11} {'cost/linear':>11} {'spread':>7} {'peak MB':>8} {'GPUs/copy':>10}"
      + ("" if base["instructions"] is None else f" {'instr/trial':>12} {'instr/linear':>12}"))
for r in rows:
    m = statistics.median(r["ns"])
    size = (r["sites"] * r["days"]) / (base["sites"] * base["days"])
    spread = (max(r["ns"]) - min(r["ns"])) / m * 100
    peak = "n/a" if None in r["peaks"] else f"{max(r['peaks']):.1f}"
    check = "" if r["per_copy"] is None else f"{r['per_copy']:,.0f}"
    instr = ""
    if r["instructions"] is not None and base["instructions"] is not None:
        linear = r["instructions"] / base["instructions"] / size
        instr = f" {r['instructions']:>12,} {linear:>11.2f}x"
    print(f"  {r['name']:<11} {r['sites']:>5} {r['days']:>5} {1e9 / m:>9.0f} {m:>10,.0f} "
          f"{m / (r['sites'] * r['days']):>11.1f} {m / base_ns / size:>10.2f}x {spread:>6.0f}% "
          f"{peak:>8} {check:>10}{instr}")
print()
print("cost/linear: (ns per trial / that of sites-x1) / (sites × days / that of sites-x1); "
      "1.00x = linear.")
print(f"spread: (max − min) / median of ns per trial over the {runs} rounds. peak MB: the largest "
      "peak resident memory of a measured run.")
if check_trials > 0:
    print(f"GPUs/copy: mean available GPUs at the deadline over {check_trials} trials, divided by "
          "the number of copies (the work check).")
if base["instructions"] is not None:
    print("instr/trial: (I(900) − I(300)) / 600 under callgrind; instr/linear: as cost/linear, "
          "from instructions.")
PY
