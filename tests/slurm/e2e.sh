#!/usr/bin/env bash
# End-to-end test of the Slurm recipe in deploy/slurm/ on a real single-node Slurm cluster.
#
# Starts munged, slurmctld and slurmd by hand (no systemd), submits a sharded run of the base
# scenario with deploy/slurm/submit.sh (a job array plus a dependent merge job), waits for both,
# checks that the merge job COMPLETED and that its summary.json, daily.csv and
# scenario.resolved.toml are byte-identical to an unsharded run with the same trials and seed.
# Then deletes one partial result, re-runs only that shard with `submit.sh -a`, and checks the
# second merge matches too (the README's recipe for failed shards).
#
# Needs root and Debian's packages (installed here if missing). Stops every daemon it started on
# exit; safe to run again, also after a run that was killed.
#
# Environment:
#   CAPSIM_BIN        capsim binary to test [default: build with `cargo build --locked` and use
#                     target/debug/capsim, under $CARGO_TARGET_DIR if set]
#   E2E_DIR           scratch directory, wiped at start [default: /tmp/capsim-slurm-e2e]
#   E2E_TIMEOUT       seconds to wait for the jobs [default: 600]
#   E2E_SLURM_PORT    slurmctld port; slurmd uses the next one [default: 6917]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_DIR=${E2E_DIR:-/tmp/capsim-slurm-e2e}
E2E_TIMEOUT=${E2E_TIMEOUT:-600}
E2E_SLURM_PORT=${E2E_SLURM_PORT:-6917}
SCENARIO=$REPO/scenarios/aws-openai-2026.toml
TRIALS=1003 # over 4 shards: unequal shard sizes
SEED=7
SHARDS=4

step() { printf '\n== %s\n' "$*"; }
die() {
    printf 'e2e: FAIL: %s\n' "$*" >&2
    exit 1
}

if [[ $(id -u) -ne 0 ]]; then
    die "must run as root (installs packages and starts munged, slurmctld and slurmd)"
fi

# ---------------------------------------------------------------------------------------------
# Daemons started by this run: their pids go to $E2E_DIR/pids so that cleanup, and the next run
# after a killed one, stop exactly those processes.
PIDS_FILE=$E2E_DIR/pids
started=()

stop_pid() { # pid expected-command-name
    local pid=$1 name=$2 i
    [[ -r /proc/$pid/comm && $(cat "/proc/$pid/comm" 2>/dev/null) == "$name" ]] || return 0
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        [[ -e /proc/$pid ]] || return 0
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
}

stop_recorded() {
    [[ -f $PIDS_FILE ]] || return 0
    local pid name
    # Stop in reverse start order: slurmd, slurmctld, then munged.
    while read -r pid name; do
        stop_pid "$pid" "$name"
    done < <(tac "$PIDS_FILE")
    rm -f "$PIDS_FILE"
}

cleanup() {
    local rc=$?
    set +e
    if ((${#started[@]} > 0)); then
        step "cleanup: stopping the daemons this run started (${started[*]})"
        if [[ -n ${SLURM_CONF:-} ]] && command -v scancel >/dev/null; then
            timeout 10 scancel --user=root >/dev/null 2>&1
        fi
        stop_recorded
    fi
    if ((rc != 0)); then
        printf '\ne2e: FAILED (exit %d); scratch files kept in %s\n' "$rc" "$E2E_DIR" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_daemon() { # name log command...
    local name=$1 log=$2
    shift 2
    "$@" >"$log" 2>&1 &
    local pid=$!
    echo "$pid $name" >>"$PIDS_FILE"
    started+=("$name")
}

retry() { # attempts command...
    local attempts=$1 n=1 delay=5
    shift
    until "$@"; do
        if ((n >= attempts)); then
            return 1
        fi
        echo "e2e: attempt $n of $attempts failed: $*; retrying in ${delay}s" >&2
        sleep "$delay"
        n=$((n + 1))
        delay=$((delay * 2))
    done
}

dump_logs() {
    local f
    for f in "$E2E_DIR"/results/logs/* "$E2E_DIR"/slurm/*.log; do
        [[ -f $f ]] || continue
        printf '\n----- %s -----\n' "$f" >&2
        tail -n 60 "$f" >&2
    done
}

# ---------------------------------------------------------------------------------------------
step "scratch directory $E2E_DIR (stopping daemons left by an earlier run, if any)"
stop_recorded
rm -rf "$E2E_DIR"
mkdir -p "$E2E_DIR/slurm/state" "$E2E_DIR/slurm/spool"

step "Debian packages: slurmctld slurmd slurm-client munge"
if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null &&
    command -v munged >/dev/null; then
    echo "already installed"
else
    export DEBIAN_FRONTEND=noninteractive
    retry 4 apt-get update -q || die "apt-get update failed 4 times"
    retry 4 apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge ||
        die "apt-get install of slurmctld slurmd slurm-client munge failed 4 times"
fi
slurmctld -V

step "munge: key and daemon"
if [[ ! -s /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then
        mungekey --create --keyfile=/etc/munge/munge.key --force
    else
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
fi
if id munge >/dev/null 2>&1; then
    chown munge:munge /etc/munge /etc/munge/munge.key
fi
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
mkdir -p /run/munge /var/lib/munge /var/log/munge
if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    echo "a munged is already running; using it"
else
    start_daemon munged "$E2E_DIR/slurm/munged.log" munged --force --foreground
    for ((i = 0; i < 50; i++)); do
        munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break
        sleep 0.2
    done
    munge -n | unmunge >/dev/null || {
        cat "$E2E_DIR/slurm/munged.log" >&2
        die "munged did not start"
    }
    echo "munged started"
fi

step "slurm.conf for a one-node cluster"
HOST=$(hostname -s)
# The node line as slurmd detects this machine (CPUs, sockets, cores, RealMemory), so that the
# node registers; `slurmd -C` prints e.g. "NodeName=vm CPUs=2 Boards=1 ... RealMemory=24105".
NODE_LINE=$(slurmd -C | head -n 1)
[[ $NODE_LINE == NodeName=* ]] || die "unexpected 'slurmd -C' output: $NODE_LINE"
export SLURM_CONF=$E2E_DIR/slurm/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=capsim-e2e
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$E2E_SLURM_PORT
SlurmdPort=$((E2E_SLURM_PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$E2E_DIR/slurm/state
SlurmdSpoolDir=$E2E_DIR/slurm/spool
SlurmctldPidFile=$E2E_DIR/slurm/slurmctld.pid
SlurmdPidFile=$E2E_DIR/slurm/slurmd.pid
SlurmctldLogFile=$E2E_DIR/slurm/slurmctld.log
SlurmdLogFile=$E2E_DIR/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# Keep finished jobs visible to scontrol for an hour: the test reads their final state there.
MinJobAge=3600
$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=e2e Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
cat "$SLURM_CONF"

step "start slurmctld and slurmd; wait for the node to be idle"
start_daemon slurmctld "$E2E_DIR/slurm/slurmctld.out" slurmctld -D -i -f "$SLURM_CONF"
start_daemon slurmd "$E2E_DIR/slurm/slurmd.out" slurmd -D -f "$SLURM_CONF"
state=
for ((i = 0; i < 120; i++)); do
    state=$(sinfo -h -n "$HOST" -o '%T' 2>/dev/null || true)
    [[ $state == idle ]] && break
    sleep 0.5
done
if [[ $state != idle ]]; then
    sinfo -N -l >&2 || true
    dump_logs
    tail -n 40 "$E2E_DIR"/slurm/*.out >&2 || true
    die "node $HOST is not idle after 60 s (state: '${state:-none}')"
fi
sinfo

# wait_jobs JOBID...: wait until none of the jobs is pending or running.
wait_jobs() {
    local deadline=$((SECONDS + E2E_TIMEOUT)) left
    while :; do
        left=$(squeue -h -j "$(
            IFS=,
            echo "$*"
        )" -o '%i %T %r' 2>/dev/null || true)
        [[ -z $left ]] && return 0
        if ((SECONDS >= deadline)); then
            echo "$left" >&2
            return 1
        fi
        sleep 1
    done
}

# job_states JOBID: the JobState of every job (every array task) of JOBID, one per line.
job_states() {
    scontrol -o show job "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2
}

# expect_completed JOBID what: every task of JOBID COMPLETED, else print the logs and fail.
expect_completed() {
    local states
    states=$(job_states "$1" | sort | uniq -c)
    echo "$2 (job $1):$(echo "$states" | tr -s ' \n' ' ')"
    if [[ $(job_states "$1" | grep -vc '^COMPLETED$') -ne 0 ]]; then
        scontrol show job "$1" >&2 || true
        dump_logs
        die "$2 (job $1) did not complete"
    fi
}

step "cluster smoke test: sbatch --array=0-3 and a dependent job"
# shellcheck disable=SC2016 # expanded by the job, not here
smoke=$(sbatch --parsable --array=0-3 -o "$E2E_DIR/slurm/smoke-%A_%a.log" \
    --wrap 'echo "task $SLURM_ARRAY_TASK_ID on $(hostname)"')
smoke_after=$(sbatch --parsable --dependency="afterok:$smoke" -o "$E2E_DIR/slurm/smoke-after-%j.log" \
    --wrap 'echo after')
wait_jobs "$smoke" "$smoke_after" || die "smoke jobs did not finish in ${E2E_TIMEOUT}s"
expect_completed "$smoke" "smoke array"
expect_completed "$smoke_after" "smoke dependent job"

# ---------------------------------------------------------------------------------------------
step "capsim binary"
if [[ -n ${CAPSIM_BIN:-} ]]; then
    CAPSIM=$(realpath "$CAPSIM_BIN")
else
    (cd "$REPO" && cargo build --locked)
    CAPSIM=${CARGO_TARGET_DIR:-$REPO/target}/debug/capsim
fi
[[ -x $CAPSIM ]] || die "no capsim binary at $CAPSIM"
echo "$CAPSIM"
"$CAPSIM" run --help | grep -q -- '--shards' || die "$CAPSIM run has no --shards option"

RESULTS=$E2E_DIR/results

step "submit with deploy/slurm/submit.sh: $SHARDS shards, $TRIALS trials, seed $SEED"
submitted=$(CAPSIM=$CAPSIM "$REPO/deploy/slurm/submit.sh" -P -s "$SHARDS" -n "$TRIALS" -S "$SEED" \
    -c 1 -t 0:10:00 -r "$RESULTS" "$SCENARIO" -- --mem=1G)
read -r array_job merge_job <<<"$submitted"
[[ $array_job =~ ^[0-9]+$ && $merge_job =~ ^[0-9]+$ ]] ||
    die "submit.sh -P printed '$submitted', expected 'ARRAY_JOB_ID MERGE_JOB_ID'"
echo "array job $array_job, merge job $merge_job"
squeue

step "wait for the array job and the merge job (timeout ${E2E_TIMEOUT}s)"
if ! wait_jobs "$array_job" "$merge_job"; then
    dump_logs
    die "jobs still queued or running after ${E2E_TIMEOUT}s"
fi
expect_completed "$array_job" "shard array"
expect_completed "$merge_job" "merge"

step "partial results and merged outputs"
for ((k = 0; k < SHARDS; k++)); do
    f=$(printf '%s/shards/shard-%04d-of-%04d.capsim' "$RESULTS" "$k" "$SHARDS")
    [[ -s $f ]] || die "missing partial result $f"
done
ls -l "$RESULTS/shards" "$RESULTS/merged"
[[ -n $(ls -A "$RESULTS/merged/charts" 2>/dev/null) ]] || die "no charts in $RESULTS/merged/charts"

step "unsharded run with the same trials and seed"
"$CAPSIM" run "$SCENARIO" -n "$TRIALS" --seed "$SEED" --out "$E2E_DIR/unsharded" --quiet

compare() { # dir
    local f
    for f in summary.json daily.csv scenario.resolved.toml; do
        cmp "$E2E_DIR/unsharded/$f" "$1/$f" || die "$1/$f differs from the unsharded run"
        echo "identical: $f"
    done
}
compare "$RESULTS/merged"

step "merge refuses an incomplete set of shards (exit 2, names the missing shard)"
mkdir -p "$E2E_DIR/incomplete"
cp "$RESULTS"/shards/shard-000[013]-of-0004.capsim "$E2E_DIR/incomplete/"
set +e
msg=$("$CAPSIM" merge "$E2E_DIR/incomplete" --out "$E2E_DIR/incomplete-merged" --quiet 2>&1)
rc=$?
set -e
echo "exit $rc: $msg"
[[ $rc -eq 2 ]] || die "merge of an incomplete set exited $rc, expected 2"
[[ $msg == *missing* ]] || die "merge of an incomplete set did not say which shard is missing"

step "re-run one lost shard with submit.sh -a 2, then merge again"
mv "$RESULTS/shards/shard-0002-of-0004.capsim" "$E2E_DIR/shard-0002-first-run.capsim"
rm -rf "$RESULTS/merged"
submitted=$(CAPSIM=$CAPSIM "$REPO/deploy/slurm/submit.sh" -P -a 2 -s "$SHARDS" -n "$TRIALS" \
    -S "$SEED" -c 1 -t 0:10:00 -r "$RESULTS" "$SCENARIO" -- --mem=1G)
read -r array_job merge_job <<<"$submitted"
echo "array job $array_job, merge job $merge_job"
if ! wait_jobs "$array_job" "$merge_job"; then
    dump_logs
    die "re-run jobs still queued or running after ${E2E_TIMEOUT}s"
fi
expect_completed "$array_job" "re-run of shard 2"
expect_completed "$merge_job" "second merge"
cmp "$E2E_DIR/shard-0002-first-run.capsim" "$RESULTS/shards/shard-0002-of-0004.capsim" ||
    die "the re-run of shard 2 wrote a different partial result"
echo "identical: shard-0002-of-0004.capsim (re-run)"
compare "$RESULTS/merged"

step "a failing shard cancels the merge job (afterok, --kill-on-invalid-dep=yes)"
printf 'this is = [not a scenario\n' >"$E2E_DIR/broken.toml"
submitted=$(CAPSIM=$CAPSIM "$REPO/deploy/slurm/submit.sh" -P -s 2 -n 10 -c 1 -t 0:10:00 \
    -r "$E2E_DIR/results-broken" "$E2E_DIR/broken.toml" -- --mem=1G)
read -r array_job merge_job <<<"$submitted"
echo "array job $array_job, merge job $merge_job"
wait_jobs "$array_job" "$merge_job" || die "jobs of the broken run still queued after ${E2E_TIMEOUT}s"
echo "shard tasks: $(job_states "$array_job" | sort | uniq -c | tr -s ' \n' ' ')"
echo "merge: $(job_states "$merge_job")"
[[ $(job_states "$array_job" | grep -c '^FAILED$') -eq 2 ]] || die "the broken shards did not fail"
[[ $(job_states "$merge_job") == CANCELLED ]] || die "the merge after failed shards was not cancelled"
[[ ! -e $E2E_DIR/results-broken/merged ]] || die "a merge ran after failed shards"

step "PASS: sharded Slurm run merged byte-identical to the unsharded run"
