#!/usr/bin/env bash
# Submit a sharded capsim run to Slurm: a job array with one task per shard
# (capsim-shards.sbatch), then a merge job (capsim-merge.sbatch) that starts only when every
# task succeeded. Run with -h for usage.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=$(basename "$0")

usage() {
    cat <<EOF
Usage: $PROG [OPTIONS] SCENARIO [-- SBATCH_OPTION...]

Submit a sharded capsim run: a Slurm job array with one task per shard, then a merge job
that runs only if every shard succeeded (--dependency=afterok, --kill-on-invalid-dep=yes).

Options (an upper-case NAME in brackets is the environment variable that sets the default):
  -s SHARDS   number of shards = array tasks 0..SHARDS-1 [SHARDS, else 1000]
  -n TRIALS   total trials over all shards [TRIALS, else the scenario's]
  -S SEED     seed [SEED, else the scenario's]
  -r DIR      results directory, on a filesystem every node sees [RESULTS, else
              ./results/<scenario stem>]; shards go to DIR/shards, logs to DIR/logs,
              the merged outputs to DIR/merged
  -c CPUS     CPUs (capsim threads) per shard task [default: capsim-shards.sbatch's]
  -t TIME     time limit per shard task, e.g. 0:30:00 [default: capsim-shards.sbatch's]
  -T MAX      run at most MAX shard tasks at once [100]
  -a LIST     submit only these shard indices, e.g. 17,503 or 0-99, to re-run failed or
              missing shards into an existing DIR (the other partial results are kept)
  -x          also keep per-trial rows: the merge writes trials.csv (large)
  -P          print only "ARRAY_JOB_ID MERGE_JOB_ID"
  -h          show this help

Environment: CAPSIM, the capsim binary as the compute nodes see it [capsim on PATH].
Options after "--" go to both sbatch commands, e.g. -- --partition=compute --account=proj.

Example, 100 million trials as 1,000 shards of 100,000:
  CAPSIM=\$HOME/.cargo/bin/capsim $PROG -s 1000 -n 100000000 -r /shared/\$USER/aws-100m \\
      scenarios/aws-openai-2026.toml
EOF
}

die() {
    echo "$PROG: error: $*" >&2
    exit 2
}

SHARDS=${SHARDS:-1000}
TRIALS=${TRIALS:-}
SEED=${SEED:-}
RESULTS=${RESULTS:-}
CAPSIM=${CAPSIM:-capsim}
CPUS=
TIME=
THROTTLE=100
INDICES=
TRIALS_CSV=0
PARSABLE=0

while getopts ':s:n:S:r:c:t:T:a:xPh' opt; do
    case $opt in
    s) SHARDS=$OPTARG ;;
    n) TRIALS=$OPTARG ;;
    S) SEED=$OPTARG ;;
    r) RESULTS=$OPTARG ;;
    c) CPUS=$OPTARG ;;
    t) TIME=$OPTARG ;;
    T) THROTTLE=$OPTARG ;;
    a) INDICES=$OPTARG ;;
    x) TRIALS_CSV=1 ;;
    P) PARSABLE=1 ;;
    h)
        usage
        exit 0
        ;;
    :) die "option -$OPTARG needs a value (see -h)" ;;
    *) die "unknown option -$OPTARG (see -h)" ;;
    esac
done
shift $((OPTIND - 1))

SCENARIO=${1:-${SCENARIO:-}}
[[ $# -eq 0 ]] || shift
if [[ $# -gt 0 ]]; then
    [[ $1 == -- ]] || die "unexpected argument '$1': options go before SCENARIO, sbatch options after --"
    shift
fi
extra=("$@")

[[ -n $SCENARIO ]] || {
    usage >&2
    exit 2
}
[[ -r $SCENARIO ]] || die "scenario '$SCENARIO' not found"
[[ $SHARDS =~ ^[1-9][0-9]*$ ]] || die "-s SHARDS must be a positive integer, got '$SHARDS'"
[[ -z $TRIALS || $TRIALS =~ ^[1-9][0-9]*$ ]] || die "-n TRIALS must be a positive integer, got '$TRIALS'"
[[ -z $SEED || $SEED =~ ^[0-9]+$ ]] || die "-S SEED must be a non-negative integer, got '$SEED'"
[[ -z $CPUS || $CPUS =~ ^[1-9][0-9]*$ ]] || die "-c CPUS must be a positive integer, got '$CPUS'"
[[ $THROTTLE =~ ^[1-9][0-9]*$ ]] || die "-T MAX must be a positive integer, got '$THROTTLE'"
if [[ -n $TRIALS ]] && ((TRIALS < SHARDS)); then
    die "$TRIALS trials cannot fill $SHARDS shards"
fi
command -v sbatch >/dev/null || die "sbatch not found: run this on a Slurm login node"

# Paths as every node sees them: absolute.
SCENARIO=$(realpath "$SCENARIO")
RESULTS=${RESULTS:-results/$(basename "${SCENARIO%.*}")}
mkdir -p "$RESULTS/shards" "$RESULTS/logs"
RESULTS=$(realpath "$RESULTS")
if [[ $CAPSIM == */* ]]; then
    CAPSIM=$(realpath "$CAPSIM")
    [[ -x $CAPSIM ]] || die "CAPSIM=$CAPSIM is not executable"
elif ! command -v "$CAPSIM" >/dev/null; then
    echo "$PROG: warning: '$CAPSIM' is not on PATH here; the compute nodes must have it" >&2
fi
for v in "$CAPSIM" "$SCENARIO" "$RESULTS"; do
    [[ $v != *,* ]] || die "'$v' contains a comma, which sbatch --export cannot pass"
done

if [[ -z $INDICES ]]; then
    INDICES=0-$((SHARDS - 1))
    if [[ -n $(find "$RESULTS/shards" -maxdepth 1 -name '*.capsim' -print -quit) ]]; then
        die "$RESULTS/shards already holds partial results: pick a new -r DIR, delete them, or re-run only some shards with -a LIST"
    fi
fi
[[ $INDICES =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]] ||
    die "-a LIST must be indices and ranges like 17,503 or 0-99, got '$INDICES'"
IFS=, read -ra parts <<<"$INDICES"
for part in "${parts[@]}"; do
    ((10#${part##*-} < SHARDS)) || die "-a $INDICES: shard indices run from 0 to $((SHARDS - 1))"
done

vars=ALL,CAPSIM=$CAPSIM,SCENARIO=$SCENARIO,SHARDS=$SHARDS,TRIALS=$TRIALS,SEED=$SEED,RESULTS=$RESULTS,TRIALS_CSV=$TRIALS_CSV

array_opts=(--parsable --array="$INDICES%$THROTTLE" --export="$vars"
    --output="$RESULTS/logs/shard-%A_%a.out")
[[ -z $CPUS ]] || array_opts+=(--cpus-per-task="$CPUS")
[[ -z $TIME ]] || array_opts+=(--time="$TIME")
array_job=$(sbatch "${array_opts[@]}" "${extra[@]}" "$HERE/capsim-shards.sbatch")
array_job=${array_job%%;*}

merge_job=$(sbatch --parsable --dependency="afterok:$array_job" --kill-on-invalid-dep=yes \
    --export="$vars" --output="$RESULTS/logs/merge-%j.out" "${extra[@]}" \
    "$HERE/capsim-merge.sbatch")
merge_job=${merge_job%%;*}

if ((PARSABLE)); then
    echo "$array_job $merge_job"
    exit 0
fi
cat <<EOF
Shard array job  $array_job  (tasks $INDICES of $SHARDS shards, at most $THROTTLE at once)
Merge job        $merge_job  (starts when every task succeeded; cancelled if one fails)
Scenario         $SCENARIO  (trials: ${TRIALS:-as in the scenario}, seed: ${SEED:-as in the scenario})
Partial results  $RESULTS/shards/shard-KKKK-of-$(printf '%04d' "$SHARDS").capsim
Logs             $RESULTS/logs/
Merged outputs   $RESULTS/merged/  (summary.json, daily.csv, scenario.resolved.toml, charts/)
Watch            squeue -j $array_job,$merge_job    sacct -j $array_job,$merge_job -X
EOF
