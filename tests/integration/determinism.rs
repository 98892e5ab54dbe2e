//! Determinism: the same scenario, seed and trial count give the same bytes whatever the thread
//! count, batch size or split into shards; a different seed gives different numbers; and each
//! input's draws depend only on (seed, trial, input), so editing one part of a scenario leaves the
//! draws of the rest alone (common random numbers).

use capsim::engine::EngineConfig;
use capsim::model::Model;
use proptest::prelude::*;

use crate::util::{config, fixture, load, report, run_cli, run_lib};

const TINY: &str = "valid/tiny.toml";

#[test]
fn same_seed_same_bytes_across_thread_counts() {
    let args = ["--trials", "300", "--seed", "3", "--trials-csv"];
    let one = run_cli(&fixture(TINY), &[&args[..], &["--threads", "1"]].concat());
    let two = run_cli(&fixture(TINY), &[&args[..], &["--threads", "2"]].concat());
    assert_eq!(one.summary_bytes, two.summary_bytes, "summary.json differs");
    assert_eq!(one.daily_bytes, two.daily_bytes, "daily.csv differs");
    assert_eq!(
        std::fs::read(one.path("trials.csv")).unwrap(),
        std::fs::read(two.path("trials.csv")).unwrap(),
        "trials.csv differs"
    );
    assert_eq!(
        std::fs::read(one.path("scenario.resolved.toml")).unwrap(),
        std::fs::read(two.path("scenario.resolved.toml")).unwrap(),
        "scenario.resolved.toml differs"
    );
}

#[test]
fn same_seed_same_summary_across_threads_and_batch_sizes() {
    let s = load(TINY);
    let model = Model::compile(&s).unwrap();
    let base = EngineConfig {
        threads: 1,
        batch_size: 256,
        ..config(500, 8)
    };
    let reference = report(&s, &run_lib(&model, &base), 8);
    for (threads, batch_size) in [(3, 256), (1, 7), (3, 7), (2, 1)] {
        let cfg = EngineConfig {
            threads,
            batch_size,
            ..base
        };
        let got = report(&s, &run_lib(&model, &cfg), 8);
        assert!(
            got.0 == reference.0,
            "Summary differs with threads = {threads}, batch_size = {batch_size}"
        );
        assert!(
            got.1 == reference.1,
            "daily rows differ with threads = {threads}, batch_size = {batch_size}"
        );
    }
}

#[test]
fn split_trials_merge_to_one_run() {
    let s = load(TINY);
    let model = Model::compile(&s).unwrap();
    let whole = run_lib(&model, &config(1000, 21));
    let mut first = run_lib(
        &model,
        &EngineConfig {
            trials: 600,
            ..config(0, 21)
        },
    );
    let second = run_lib(
        &model,
        &EngineConfig {
            trials: 400,
            first_trial: 600,
            ..config(0, 21)
        },
    );
    first.merge(&second);
    assert_eq!(first.trials(), 1000);
    let (whole_summary, whole_rows) = report(&s, &whole, 21);
    let (split_summary, split_rows) = report(&s, &first, 21);
    assert_eq!(split_summary, whole_summary);
    assert!(split_rows == whole_rows, "daily rows differ");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Any split point, batch size and thread count: the shards merge to the single run.
    #[test]
    fn any_split_merges_to_one_run(split in 1u64..200, batch in 1u64..64, threads in 1usize..4) {
        let s = load(TINY);
        let model = Model::compile(&s).unwrap();
        let whole = run_lib(&model, &config(200, 4));
        let cfg = |first_trial, trials| EngineConfig { trials, first_trial, seed: 4, threads, batch_size: batch };
        let mut a = run_lib(&model, &cfg(0, split));
        a.merge(&run_lib(&model, &cfg(split, 200 - split)));
        let (ws, wr) = report(&s, &whole, 4);
        let (ss, sr) = report(&s, &a, 4);
        prop_assert_eq!(ss, ws);
        prop_assert!(sr == wr, "daily rows differ");
    }
}

#[test]
fn a_different_seed_gives_different_results() {
    let a = run_cli(&fixture(TINY), &["--trials", "200", "--seed", "1"]);
    let b = run_cli(&fixture(TINY), &["--trials", "200", "--seed", "2"]);
    assert_ne!(
        a.daily_bytes, b.daily_bytes,
        "daily.csv is the same for seeds 1 and 2"
    );
    let strip = |v: &serde_json::Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("seed");
        v
    };
    assert_ne!(
        strip(&a.summary),
        strip(&b.summary),
        "summary.json differs only in its seed"
    );
}

#[test]
fn appending_a_site_keeps_the_other_inputs_draws() {
    // Common random numbers: each input draws from its own generator keyed by (seed, trial,
    // input name), so a site appended at the end changes no other input's draws.
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(crate::util::root().join(fixture(TINY))).unwrap();
    let extended = dir.path().join("tiny-plus-site.toml");
    std::fs::write(
        &extended,
        format!(
            "{base}\n\
             [[sites]]\n\
             id = \"gamma\"\n\
             region = \"east\"\n\
             pue = 1.3\n\
             accepts = [\"test-rack\"]\n\
             install_racks_per_day = {{ kind = \"uniform\", min = 1, max = 4 }}\n\
             \n\
             [[sites.phases]]\n\
             mw = 5\n\
             planned = 2026-01-20\n\
             delay_days = {{ kind = \"triangular\", min = 0, mode = 10, max = 40 }}\n"
        ),
    )
    .unwrap();
    let args = ["--trials", "200", "--seed", "9", "--trials-csv"];
    let without = run_cli(&fixture(TINY), &args).trials();
    let with = run_cli(&extended, &args).trials();
    assert_eq!(without.rows.len(), 200);
    assert_eq!(with.rows.len(), 200);
    for column in [
        "slip_days.main",
        "install_racks_per_day.alpha",
        "delay_days.alpha.phase0",
        "install_racks_per_day.beta",
        "delay_days.beta.phase0",
    ] {
        assert_eq!(
            without.column(column),
            with.column(column),
            "`{column}` changed when a site was appended"
        );
    }
    // The new site's inputs are really random (otherwise the check above proves little).
    let gamma = with.numbers("install_racks_per_day.gamma");
    assert!(gamma.iter().any(|&r| r != gamma[0]));
    let alpha = with.numbers("install_racks_per_day.alpha");
    assert!(alpha.iter().any(|&r| r != alpha[0]));
}
