//! Sharded runs: `run --shard K/N` partials merged by `capsim merge` give byte-identical outputs
//! to the unsharded run, for any N (unequal shards, N above the batch size, N = trials); bad sets
//! of partials are refused with a message naming the files, and nothing is written.

use std::fs;
use std::path::{Path, PathBuf};

use capsim::engine::EngineConfig;
use capsim::model::Model;
use capsim::shard::{self, PartialBody, PartialHeader, PartialRun, Shard};
use predicates::prelude::*;

use crate::util::{capsim, config, load, merge_cli, report, run_lib};

const TINY: &str = "tests/fixtures/valid/tiny.toml";

/// Runs every shard of `count` through the CLI into `dir`.
fn run_shards(dir: &Path, trials: u64, seed: u64, count: u64, extra: &[&str]) {
    for k in 0..count {
        capsim()
            .args(["run", TINY, "--quiet", "-n", &trials.to_string()])
            .args([
                "--seed",
                &seed.to_string(),
                "--shard",
                &format!("{k}/{count}"),
            ])
            .arg("--out")
            .arg(dir)
            .args(extra)
            .assert()
            .success();
    }
}

/// `capsim merge INPUTS --out OUT --quiet`.
fn merge(inputs: &[&Path], out: &Path) -> assert_cmd::assert::Assert {
    merge_cli(inputs, out, &[])
}

fn same_files(a: &Path, b: &Path, names: &[&str]) {
    for name in names {
        let (x, y) = (fs::read(a.join(name)), fs::read(b.join(name)));
        let (x, y) = (
            x.unwrap_or_else(|e| panic!("{}: {e}", a.join(name).display())),
            y.unwrap_or_else(|e| panic!("{}: {e}", b.join(name).display())),
        );
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn merged_shards_are_byte_identical_to_the_unsharded_run() {
    let tmp = tempfile::tempdir().unwrap();
    let whole = tmp.path().join("whole");
    capsim()
        .args([
            "run",
            TINY,
            "--quiet",
            "-n",
            "301",
            "--seed",
            "5",
            "--trials-csv",
        ])
        .arg("--out")
        .arg(&whole)
        .assert()
        .success();
    // 301 = 100 + 100 + 101: unequal shards; 7 shards of 43; one shard.
    for count in [1, 3, 7] {
        let shards = tmp.path().join(format!("shards-{count}"));
        let merged = tmp.path().join(format!("merged-{count}"));
        run_shards(&shards, 301, 5, count, &["--trials-csv"]);
        merge(&[&shards], &merged).success();
        same_files(
            &whole,
            &merged,
            &[
                "summary.json",
                "daily.csv",
                "sites.csv",
                "scenario.resolved.toml",
                "trials.csv",
                "charts/fan.png",
                "charts/fan.svg",
            ],
        );
    }
}

/// Runs shard `index` of `count` through the library and round-trips its partial file format.
fn lib_shard(model: &Model, run: &PartialRun, total: u64, seed: u64, shard: Shard) -> Vec<u8> {
    let range = shard.trials(total);
    let cfg = EngineConfig {
        trials: range.end - range.start,
        first_trial: range.start,
        batch_size: 16,
        ..config(total, seed)
    };
    let acc = run_lib(model, &cfg);
    let header = PartialHeader::new("run", "tiny", vec![run.clone()], seed, total, shard);
    let mut bytes = Vec::new();
    let body = PartialBody {
        accumulator: acc,
        records: None,
    };
    shard::write_partial(&mut bytes, header, &[body]).unwrap();
    bytes
}

#[test]
fn any_shard_count_merges_exactly_even_above_the_batch_size_and_up_to_one_trial_each() {
    let s = load("valid/tiny.toml");
    let model = Model::compile(&s).unwrap();
    let (total, seed) = (300, 9);
    let whole = report(&s, &run_lib(&model, &config(total, seed)), seed);
    let run = PartialRun {
        label: "tiny".into(),
        scenario_toml: s.resolved_toml(seed, total),
    };
    // Batches of 16 trials: 17 and 299 shards end mid-batch; 300 shards hold one trial each.
    for count in [2, 17, 299, 300] {
        let mut parts = Vec::new();
        let mut bodies = Vec::new();
        for index in (0..count).rev() {
            let bytes = lib_shard(&model, &run, total, seed, Shard { index, count });
            let path = PathBuf::from(format!("mem/{index}"));
            let mut r = bytes.as_slice();
            let header = shard::read_header(&mut r, &path).unwrap();
            let acc = shard::read_body(&mut r, &header, &path)
                .unwrap()
                .remove(0)
                .accumulator;
            parts.push((path, header));
            bodies.push(acc);
        }
        shard::check_set(parts).unwrap();
        let mut merged = bodies.pop().unwrap();
        for acc in bodies.iter().rev() {
            merged.merge(acc);
        }
        let got = report(&s, &merged, seed);
        assert_eq!(
            serde_json::to_string(&got.0).unwrap(),
            serde_json::to_string(&whole.0).unwrap(),
            "{count} shards"
        );
        assert!(got.1 == whole.1, "daily rows differ with {count} shards");
    }
}

#[test]
fn a_partial_does_not_grow_with_its_trial_count() {
    // Exact histograms grow only as new values appear and counts need more digits: 10x the
    // trials costs far less than 10x the bytes, and the size stays bounded by the value range.
    let s = load("valid/tiny.toml");
    let model = Model::compile(&s).unwrap();
    let size = |trials: u64| {
        let run = PartialRun {
            label: "tiny".into(),
            scenario_toml: s.resolved_toml(3, trials),
        };
        lib_shard(&model, &run, trials, 3, Shard { index: 0, count: 1 }).len() as f64
    };
    let (small, large) = (size(400), size(4_000));
    assert!(
        large < 2.0 * small,
        "400 trials: {small} bytes; 4,000: {large} bytes"
    );
}

#[test]
fn the_shard_index_can_come_from_an_array_job() {
    let tmp = tempfile::tempdir().unwrap();
    for (var, k) in [
        ("SLURM_ARRAY_TASK_ID", "0"),
        ("JOB_COMPLETION_INDEX", "1"),
        ("AWS_BATCH_JOB_ARRAY_INDEX", "2"),
    ] {
        capsim()
            .args(["run", TINY, "-n", "30", "--shards", "3", "--no-charts"])
            .arg("--out")
            .arg(tmp.path())
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("AWS_BATCH_JOB_ARRAY_INDEX")
            .env(var, k)
            .assert()
            .success()
            .stderr(predicate::str::contains(format!(
                "shard {k} of 3 (index from {var})"
            )));
    }
    let merged = tmp.path().join("merged");
    merge(&[tmp.path()], &merged).success();
    let whole = tmp.path().join("whole");
    capsim()
        .args(["run", TINY, "--quiet", "-n", "30"])
        .arg("--out")
        .arg(&whole)
        .assert()
        .success();
    same_files(&whole, &merged, &["summary.json", "daily.csv"]);
}

#[test]
fn shard_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let mut cmd = capsim();
        cmd.args(["run", TINY, "-n", "20", "--out"])
            .arg(tmp.path())
            .args(args)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .env_remove("JOB_COMPLETION_INDEX")
            .env_remove("AWS_BATCH_JOB_ARRAY_INDEX");
        cmd
    };
    run(&["--shard", "3/3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("expected K/N with 0 <= K < N"));
    run(&["--shards", "4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("none of SLURM_ARRAY_TASK_ID"));
    run(&["--shards", "4"])
        .env("SLURM_ARRAY_TASK_ID", "4")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--array=0-3"));
    run(&["--shard", "0/21"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("21 shards for 20 trials"));
    run(&["--shard", "0/2", "--precision", "0.01"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot be combined with sharding"));
    assert_eq!(
        fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing written"
    );
}

/// Runs `merge` expecting exit code 2 with `message`, and checks it wrote nothing.
fn refused(inputs: &[&Path], message: &str) {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("merged");
    merge(inputs, &target)
        .code(2)
        .stderr(predicate::str::contains(message));
    assert!(
        !target.join("summary.json").exists(),
        "a refused merge wrote output"
    );
}

#[test]
fn bad_sets_of_partials_are_refused_naming_the_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shards");
    run_shards(&dir, 40, 1, 4, &[]);
    let file = |k: u64| dir.join(Shard { index: k, count: 4 }.file_name());

    // A missing shard, named.
    let (s0, s1, s3) = (file(0), file(1), file(3));
    refused(
        &[&s0, &s1, &s3],
        "1 of 4 shards are missing: 2 (run each with `--shard K/4`",
    );
    // A duplicated shard, both files named.
    let copy = tmp.path().join("copy-of-1.capsim");
    fs::copy(file(1), &copy).unwrap();
    refused(&[&dir, &copy], "shard 1 appears twice");
    // A shard of another seed, another scenario, another layout.
    let other = tmp.path().join("other");
    capsim()
        .args([
            "run", TINY, "--quiet", "-n", "40", "--seed", "2", "--shard", "2/4",
        ])
        .arg("--out")
        .arg(&other)
        .assert()
        .success();
    let other_seed = other.join(Shard { index: 2, count: 4 }.file_name());
    refused(
        &[&s0, &s1, &other_seed, &s3],
        "partials of different seeds cannot be merged",
    );
    capsim()
        .args([
            "run", TINY, "--quiet", "-n", "40", "--seed", "1", "--shard", "2/4",
        ])
        .args(["--set", "scenario.target_gpus=1400", "--out"])
        .arg(&other)
        .assert()
        .success();
    refused(
        &[&s0, &s1, &other_seed, &s3],
        "partials of different scenarios",
    );
    capsim()
        .args([
            "run", TINY, "--quiet", "-n", "40", "--seed", "1", "--shard", "2/5",
        ])
        .arg("--out")
        .arg(&other)
        .assert()
        .success();
    let other_layout = other.join(Shard { index: 2, count: 5 }.file_name());
    refused(&[&s0, &s1, &other_layout, &s3], "different shard layouts");

    // Another capsim version (same length, so the body stays intact).
    let bytes = fs::read(file(2)).unwrap();
    let version = format!("\"capsim_version\":\"{}\"", env!("CARGO_PKG_VERSION"));
    let at = bytes
        .windows(version.len())
        .position(|w| w == version.as_bytes())
        .unwrap();
    let mut older = bytes.clone();
    older[at + version.len() - 2] ^= 1;
    let older_path = tmp.path().join("older.capsim");
    fs::write(&older_path, &older).unwrap();
    refused(
        &[&s0, &s1, &older_path, &s3],
        "partials of different versions",
    );

    // Damaged files: truncated, flipped byte in the body, not a partial at all.
    let cut = tmp.path().join("cut.capsim");
    fs::write(&cut, &bytes[..bytes.len() - 100]).unwrap();
    refused(
        &[&s0, &s1, &cut, &s3],
        "cut.capsim: the partial result is damaged",
    );
    let mut flipped = bytes.clone();
    let last = flipped.len() - 10;
    flipped[last] ^= 0xff;
    let flipped_path = tmp.path().join("flipped.capsim");
    fs::write(&flipped_path, &flipped).unwrap();
    refused(&[&s0, &s1, &flipped_path, &s3], "checksum does not match");
    let notes = tmp.path().join("notes.capsim");
    fs::write(&notes, "not a partial\n").unwrap();
    refused(&[&notes], "notes.capsim: not a capsim partial result");
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    refused(&[&empty], "holds no partial results");

    // The complete set still merges.
    let merged = tmp.path().join("merged");
    merge(&[&dir], &merged).success();
    assert!(merged.join("summary.json").exists());
}

#[test]
fn merge_names_missing_trial_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("shards");
    run_shards(&dir, 30, 1, 2, &["--trials-csv"]);
    let csv = dir.join(format!(
        "{}.trials.csv",
        Shard { index: 1, count: 2 }.stem()
    ));
    let text = fs::read_to_string(&csv).unwrap();
    fs::write(&csv, &text[..text.trim_end().rfind('\n').unwrap() + 1]).unwrap();
    refused(&[&dir], "has 14 rows, but its shard ran 15 trials");
    fs::remove_file(&csv).unwrap();
    refused(&[&dir], "shard-0001-of-0002.trials.csv");
}

/// Runs `capsim ARGS --out DIR --quiet`, expecting success.
fn ok(args: &[&str], out: &Path) {
    capsim()
        .args(args)
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .assert()
        .success();
}

/// Runs `command` whole and as `count` shards merged, in `tmp`, and checks that `files` match
/// byte for byte; returns the shards' folder.
fn sharded_matches_whole(tmp: &Path, command: &[&str], count: u64, files: &[&str]) -> PathBuf {
    ok(command, &tmp.join("whole"));
    let shards = tmp.join("shards");
    for k in 0..count {
        let shard = format!("{k}/{count}");
        let mut args = command.to_vec();
        args.extend(["--shard", &shard]);
        ok(&args, &shards);
    }
    merge(&[&shards], &tmp.join("merged")).success();
    same_files(&tmp.join("whole"), &tmp.join("merged"), files);
    shards
}

#[test]
fn sharded_sweeps_merge_to_the_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let vary = "supply.main.rate_scale=0.8,1.0,1.25";
    let sweep = ["sweep", TINY, "-n", "61", "--seed", "3", "--vary", vary];
    let files = [
        "sweep.json",
        "sweep.csv",
        "charts/sweep.png",
        "charts/sweep.svg",
    ];
    sharded_matches_whole(tmp.path(), &sweep, 3, &files);
}

#[test]
fn sharded_comparisons_merge_to_the_unsharded_comparison() {
    let tmp = tempfile::tempdir().unwrap();
    let slow = tmp.path().join("slow.toml");
    fs::write(
        &slow,
        fs::read_to_string(crate::util::root().join(TINY))
            .unwrap()
            .replace("racks_per_week = 20", "racks_per_week = 16"),
    )
    .unwrap();
    let slow = slow.to_str().unwrap();
    let compare = ["compare", TINY, slow, "-n", "50", "--seed", "8"];
    let files = [
        "compare.json",
        "compare.csv",
        "tiny/summary.json",
        "slow/daily.csv",
        "slow/scenario.resolved.toml",
        "charts/overlay.png",
        "charts/differences.png",
    ];
    let shards = sharded_matches_whole(tmp.path(), &compare, 4, &files);
    // A run's shard does not stand in for a comparison's.
    let runs = tmp.path().join("runs");
    run_shards(&runs, 50, 8, 4, &[]);
    let file = |dir: &Path, k| dir.join(Shard { index: k, count: 4 }.file_name());
    let (c0, c1, c2, r3) = (
        file(&shards, 0),
        file(&shards, 1),
        file(&shards, 2),
        file(&runs, 3),
    );
    refused(
        &[&c0, &c1, &c2, &r3],
        "partials of different commands cannot be merged",
    );
}

/// Runs `request` through the library, streaming its `trials.csv` to `csv` when given.
fn lib_simulate(
    model: &Model,
    request: &capsim::analysis::RunRequest,
    csv: Option<&Path>,
    start: jiff::civil::Date,
) -> capsim::analysis::Simulated {
    let mut file =
        csv.map(|path| capsim::results::TrialsCsvFile::create(path, model, start).unwrap());
    let mut sink = |t: u64, o: &capsim::stats::TrialOutcome| file.as_mut().unwrap().write(t, o);
    let hooks = capsim::engine::RunHooks {
        cancel: None,
        progress: None,
        trial_sink: csv.is_some().then_some(&mut sink as _),
    };
    let simulated = capsim::analysis::simulate(model, request, hooks).unwrap();
    if let Some(file) = file {
        file.finish().unwrap();
    }
    simulated
}

#[test]
fn the_library_merges_run_shards_into_exactly_the_unsharded_result() {
    use capsim::analysis::{RunRequest, RunResult, run::partial};
    let s = load("valid/tiny.toml");
    let model = Model::compile(&s).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let request = RunRequest {
        trials: 101,
        seed: 3,
        cost_trials: 40,
        ..RunRequest::for_scenario(&s)
    };
    let whole_csv = tmp.path().join("whole.trials.csv");
    let simulated = lib_simulate(&model, &request, Some(&whole_csv), s.start);
    let costs = request
        .constraint_costs(&model, simulated.accumulator.trials(), &|_| {})
        .unwrap();
    let whole = RunResult::new(&s, request.seed, simulated, costs);

    // Three unequal shards (33, 34, 34 trials), written in reverse order.
    let shards = tmp.path().join("shards");
    fs::create_dir(&shards).unwrap();
    for index in (0..3).rev() {
        let shard = Shard { index, count: 3 };
        let sharded = RunRequest {
            shard: Some(shard),
            ..request.clone()
        };
        let csv_name = format!("{}.trials.csv", shard.stem());
        let simulated = lib_simulate(&model, &sharded, Some(&shards.join(&csv_name)), s.start);
        assert_eq!(
            simulated.accumulator.trials(),
            shard.trials(101).count() as u64
        );
        let (header, body) = partial(&s, &sharded, simulated, Some(csv_name)).unwrap();
        let path = capsim::results::write_partial(&shards, header, &[body]).unwrap();
        assert_eq!(path, shards.join(shard.file_name()));
    }
    let counted = std::sync::atomic::AtomicU64::new(0);
    let merged = shard::merge(std::slice::from_ref(&shards), &|n| {
        counted.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(counted.into_inner(), 101);
    assert_eq!((merged.shards, merged.notes.len()), (3, 0));
    let result = RunResult::from_merged(&merged.runs(), 1, &|_| {}).unwrap();
    assert_eq!(result.resolved_toml, whole.resolved_toml);
    assert_eq!(
        serde_json::to_string(&result.summary()).unwrap(),
        serde_json::to_string(&whole.summary()).unwrap()
    );
    assert!(result.constraint_costs.is_some());
    capsim::results::write_merged_trials_csv(tmp.path(), merged.trials_csv.as_ref().unwrap())
        .unwrap();
    assert_eq!(
        fs::read(tmp.path().join("trials.csv")).unwrap(),
        fs::read(&whole_csv).unwrap()
    );

    // One shard short: refused as bad input, naming the shard.
    fs::remove_file(shards.join(Shard { index: 1, count: 3 }.file_name())).unwrap();
    let err = shard::merge(&[shards], &|_| {}).unwrap_err();
    assert!(err.is_input_error(), "{err}");
    assert!(
        err.to_string().contains("1 of 3 shards are missing: 1"),
        "{err}"
    );
    // An unsharded request has no partial.
    let whole_again = lib_simulate(&model, &request, None, s.start);
    assert!(partial(&s, &request, whole_again, None).is_err());
}
