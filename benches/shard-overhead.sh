#!/usr/bin/env bash
# Shard overhead on one machine: is a run split into 4 shards, run one after another, then
# merged, within 10% of the same run unsharded?
#
#   benches/shard-overhead.sh [TRIALS] [REPS] [SCENARIO]
#     TRIALS    trials per run                  [default 100000]
#     REPS      repetitions                     [default 3]
#     SCENARIO  scenario file                   [default scenarios/aws-openai-2026.toml]
#   env CAPSIM=path   use this binary instead of building target/release/capsim
#   env SHARDS=N      shard count               [default 4]
#   env CHARTS=1      let the unsharded run and the merge both write charts
#
# Each repetition times (a) `capsim run` unsharded and (b) `capsim run --shard K/N` for every K,
# one after another, then `capsim merge`; every command uses all cores. (a) and (b) alternate
# within a repetition and swap order from one repetition to the next, so both see the same
# machine noise. Like for like: by default both (a) and the merge pass --no-charts (chart
# rendering costs the same on both sides and would only dilute the overhead); CHARTS=1 keeps
# them on both sides. The merged summary.json and daily.csv must equal the unsharded ones byte
# for byte. Prints each repetition with its own (paired) overhead, then the medians, the
# overhead % = (b - a) / a of the medians, the median of the paired overheads (steadier when the
# machine's speed drifts between repetitions), the breakdown (shards, merge) and the partial
# files' sizes.
set -euo pipefail

trials=${1:-100000}
reps=${2:-3}
scenario=${3:-scenarios/aws-openai-2026.toml}
shards=${SHARDS:-4}

cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -z ${CAPSIM:-} ]]; then
    cargo build --release --locked --quiet
    CAPSIM=target/release/capsim
fi
charts=(--no-charts)
[[ ${CHARTS:-0} == 1 ]] && charts=()

work=$(mktemp -d "${TMPDIR:-/tmp}/shard-overhead.XXXXXX")
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sum() { awk '{ w += $1; c += $2 } END { printf "%.3f %.3f\n", w, c }'; }

# Runs a command quietly; prints "wall_seconds cpu_seconds" (CPU: user + system, all threads).
timed() {
    local TIMEFORMAT='%R %U %S' out
    out=$({ time "$@" >/dev/null 2>"$work/stderr"; } 2>&1) || {
        cat "$work/stderr" >&2
        exit 1
    }
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$out"
}

# (a): one unsharded run; prints "wall cpu".
unsharded() {
    rm -rf "$work/plain"
    timed "$CAPSIM" run "$scenario" -n "$trials" --out "$work/plain" --quiet "${charts[@]}"
}

# (b): every shard one after another, then the merge; prints "wall cpu shards_wall merge_wall".
sharded() {
    rm -rf "$work/shards" "$work/merged"
    local k parts merge
    parts=$(for ((k = 0; k < shards; k++)); do
        timed "$CAPSIM" run "$scenario" -n "$trials" --shard "$k/$shards" --out "$work/shards" --quiet
    done | sum)
    merge=$(timed "$CAPSIM" merge "$work/shards" --out "$work/merged" --quiet "${charts[@]}")
    read -r sw sc <<<"$parts"
    read -r mw mc <<<"$merge"
    awk -v sw="$sw" -v sc="$sc" -v mw="$mw" -v mc="$mc" 'BEGIN { printf "%.3f %.3f %.3f %.3f\n", sw + mw, sc + mc, sw, mw }'
}

cores=$(nproc 2>/dev/null || echo "?")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "shard overhead: $scenario · $trials trials · $shards shards run one after another, then merge"
echo "binary: $CAPSIM ($("$CAPSIM" --version)) · machine: ${cpu:-unknown CPU} · $cores cores"
echo "charts: $([[ ${#charts[@]} -eq 0 ]] && echo "written by both the unsharded run and the merge" || echo "off on both sides (--no-charts)")"
echo
printf '  %-4s  %-6s  %11s  %11s  %9s  %9s  %9s  %9s  %9s\n' rep order "unsharded s" "sharded s" "shards s" "merge s" overhead "CPU a s" "CPU b s"
a_all=() b_all=() s_all=() m_all=() o_all=() ca_all=() cb_all=() oc_all=()
for ((r = 1; r <= reps; r++)); do
    if ((r % 2)); then
        order="a,b"
        read -r a ca < <(unsharded)
        read -r b cb s m < <(sharded)
    else
        order="b,a"
        read -r b cb s m < <(sharded)
        read -r a ca < <(unsharded)
    fi
    for f in summary.json daily.csv; do
        cmp -s "$work/plain/$f" "$work/merged/$f" || {
            echo "error: merged $f differs from the unsharded run's" >&2
            exit 1
        }
    done
    o=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')
    oc=$(awk -v a="$ca" -v b="$cb" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')
    printf '  %-4s  %-6s  %11s  %11s  %9s  %9s  %8s%%  %9s  %9s\n' "$r" "$order" "$a" "$b" "$s" "$m" "$o" "$ca" "$cb"
    a_all+=("$a") b_all+=("$b") s_all+=("$s") m_all+=("$m") o_all+=("$o")
    ca_all+=("$ca") cb_all+=("$cb") oc_all+=("$oc")
done

ma=$(printf '%s\n' "${a_all[@]}" | median)
mb=$(printf '%s\n' "${b_all[@]}" | median)
ms=$(printf '%s\n' "${s_all[@]}" | median)
mm=$(printf '%s\n' "${m_all[@]}" | median)
overhead=$(awk -v a="$ma" -v b="$mb" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')
paired=$(printf '%s\n' "${o_all[@]}" | median)
paired_cpu=$(printf '%s\n' "${oc_all[@]}" | median)
mca=$(printf '%s\n' "${ca_all[@]}" | median)
mcb=$(printf '%s\n' "${cb_all[@]}" | median)
sizes=$(for f in "$work"/shards/*.capsim; do stat -c '%s' "$f"; done)
total_bytes=$(awk '{ s += $1 } END { print s }' <<<"$sizes")

echo
echo "medians over $reps repetitions:"
printf '  (a) unsharded run            %8.3f s   (CPU %.3f s)\n' "$ma" "$mca"
printf '  (b) %d shards + merge          %8.3f s   (shards %.3f s, merge %.3f s; CPU %.3f s)\n' "$shards" "$mb" "$ms" "$mm" "$mcb"
echo "  overhead (b - a) / a         ${overhead}%   (of the medians; target: at most +10%)"
printf '  paired overhead              %+.1f%%   (median of the per-repetition overheads)\n' "$paired"
printf '  paired CPU-time overhead     %+.1f%%   (user + system seconds, all threads)\n' "$paired_cpu"
echo "  partial files                $(tr '\n' ' ' <<<"$sizes")bytes; total $total_bytes bytes"
echo "  merged outputs               byte-identical to the unsharded run (summary.json, daily.csv)"
echo "Use an even number of repetitions: on a shared VM the second run of a pair can be slower."
