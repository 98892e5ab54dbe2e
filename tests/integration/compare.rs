//! `capsim compare`: common random numbers make a scenario's difference from itself exactly zero,
//! pairing narrows the interval of a difference, the files have their documented fields, and bad
//! input exits 2 naming the file.

use std::path::Path;

use predicates::str::contains;
use serde_json::Value;

use crate::util::{Table, capsim, fixture, json_at, json_f64, run_cli};

const TINY: &str = "valid/tiny.toml";

/// Runs `capsim compare SCENARIOS --out <temp> --quiet ARGS`, asserts success, returns the
/// directory and the parsed `compare.json`.
fn compare(scenarios: &[&Path], args: &[&str]) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("compare")
        .args(scenarios)
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .args(args)
        .assert()
        .success();
    let bytes = std::fs::read(dir.path().join("compare.json")).expect("compare.json");
    let json = serde_json::from_slice(&bytes).expect("compare.json is JSON");
    (dir, json)
}

/// A copy of the tiny fixture whose only stream delivers at 90% of the planned rate.
fn tiny_slower(dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(crate::util::root().join(fixture(TINY))).unwrap();
    let slower = text.replacen("id = \"main\"\n", "id = \"main\"\nrate_scale = 0.9\n", 1);
    assert_ne!(text, slower, "the fixture's stream id moved");
    let path = dir.join("tiny-slower.toml");
    std::fs::write(&path, slower).unwrap();
    path
}

fn width(v: &Value, prefix: &str) -> f64 {
    json_f64(v, &format!("{prefix}_ci95_high")) - json_f64(v, &format!("{prefix}_ci95_low"))
}

#[test]
fn a_scenario_compared_with_itself_differs_by_exactly_zero() {
    let tiny = fixture(TINY);
    let (dir, json) = compare(&[&tiny, &tiny], &["--trials", "200"]);
    let c = json_at(&json, "/comparisons/0");
    assert_eq!(json_at(c, "/scenario"), "tiny-2");
    assert_eq!(json_at(c, "/baseline"), "tiny");
    for field in [
        "/p_target_by_deadline/estimate",
        "/p_target_by_deadline/paired_ci95_low",
        "/p_target_by_deadline/paired_ci95_high",
        "/p_target_by_deadline/only_scenario_fraction",
        "/p_target_by_deadline/only_baseline_fraction",
        "/full_capacity_days/median_days",
        "/available_gpus_at_deadline/estimate",
        "/available_gpus_at_deadline/paired_ci95_low",
        "/available_gpus_at_deadline/paired_ci95_high",
    ] {
        assert_eq!(json_f64(c, field), 0.0, "{field}: {c:#}");
    }
    // The unpaired interval of the same data is not degenerate: pairing is what makes it zero.
    assert!(width(json_at(c, "/p_target_by_deadline"), "/unpaired") > 0.05);
    // Both copies' own results are byte-identical.
    let a = std::fs::read(dir.path().join("tiny/summary.json")).unwrap();
    let b = std::fs::read(dir.path().join("tiny-2/summary.json")).unwrap();
    assert_eq!(a, b);
}

#[test]
fn pairing_narrows_the_interval_of_a_small_change() {
    let tmp = tempfile::tempdir().unwrap();
    let slower = tiny_slower(tmp.path());
    let tiny = fixture(TINY);
    let (_dir, json) = compare(&[&tiny, &slower], &["--trials", "300", "--no-charts"]);
    let p = json_at(&json, "/comparisons/0/p_target_by_deadline");
    assert!(
        json_f64(p, "/estimate") < 0.0,
        "slower supply should lower P: {p:#}"
    );
    assert!(
        width(p, "/paired") < width(p, "/unpaired"),
        "paired interval not narrower: {p:#}"
    );
    let g = json_at(&json, "/comparisons/0/available_gpus_at_deadline");
    assert!(
        width(g, "/paired") < 0.5 * width(g, "/unpaired"),
        "paired GPU interval not much narrower: {g:#}"
    );
}

#[test]
fn pairing_narrows_the_gpu_difference_on_the_shipped_slow_supply_variant() {
    let base = Path::new("scenarios/aws-openai-2026.toml");
    let slow = Path::new("scenarios/aws-openai-2026-slow-supply.toml");
    let (_dir, json) = compare(&[base, slow], &["--trials", "150", "--no-charts"]);
    let g = json_at(&json, "/comparisons/0/available_gpus_at_deadline");
    assert!(json_f64(g, "/estimate") < 0.0, "{g:#}");
    assert!(
        width(g, "/paired") < width(g, "/unpaired"),
        "paired interval not narrower: {g:#}"
    );
    let d = json_at(&json, "/comparisons/0/full_capacity_days/median_days");
    assert!(
        d.as_f64().unwrap() > 0.0,
        "slow supply should be later: {d}"
    );
}

#[test]
fn compare_writes_the_documented_files_and_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let slower = tiny_slower(tmp.path());
    let tiny = fixture(TINY);
    let (dir, json) = compare(&[&tiny, &slower], &["--trials", "100", "--seed", "7"]);
    for top in [
        "/capsim_version",
        "/seed",
        "/trials",
        "/baseline",
        "/methods/paired",
        "/methods/p_target_unpaired",
        "/methods/gpus_unpaired",
        "/methods/difference",
    ] {
        json_at(&json, top);
    }
    assert_eq!(json_f64(&json, "/seed"), 7.0);
    assert_eq!(json_f64(&json, "/trials"), 100.0);
    for i in 0..2 {
        for field in [
            "label",
            "file",
            "scenario",
            "results_dir",
            "target_gpus",
            "deadline",
            "p_target_by_deadline/estimate",
            "p_target_by_deadline/ci95_low",
            "p_target_by_deadline/ci95_high",
            "full_capacity_date/p10",
            "full_capacity_date/p50",
            "full_capacity_date/p90",
            "full_capacity_date/never_fraction",
            "available_gpus_at_deadline/mean",
            "available_gpus_at_deadline/p50",
            "bottleneck_share/supply",
            "bottleneck_share/power",
            "bottleneck_share/install",
            "bottleneck_share/space",
        ] {
            json_at(&json, &format!("/scenarios/{i}/{field}"));
        }
    }
    for field in [
        "scenario",
        "baseline",
        "trials",
        "p_target_by_deadline/estimate",
        "p_target_by_deadline/paired_ci95_low",
        "p_target_by_deadline/paired_ci95_high",
        "p_target_by_deadline/unpaired_ci95_low",
        "p_target_by_deadline/unpaired_ci95_high",
        "p_target_by_deadline/only_scenario_fraction",
        "p_target_by_deadline/only_baseline_fraction",
        "full_capacity_days/median_days",
        "full_capacity_days/both_fraction",
        "full_capacity_days/only_scenario_fraction",
        "full_capacity_days/only_baseline_fraction",
        "full_capacity_days/neither_fraction",
        "available_gpus_at_deadline/estimate",
        "available_gpus_at_deadline/paired_ci95_low",
        "available_gpus_at_deadline/paired_ci95_high",
        "available_gpus_at_deadline/unpaired_ci95_low",
        "available_gpus_at_deadline/unpaired_ci95_high",
    ] {
        json_at(&json, &format!("/comparisons/0/{field}"));
    }
    assert!(json.pointer("/comparisons/1").is_none());

    // compare.csv: one row per scenario, the baseline's difference cells empty.
    let csv = Table::read(&dir.path().join("compare.csv"));
    assert_eq!(csv.column("label"), ["tiny", "tiny-slower"]);
    assert_eq!(csv.column("is_baseline"), ["true", "false"]);
    assert_eq!(csv.column("p_target_diff")[0], "");
    let diff = csv.number(1, "p_target_diff");
    assert_eq!(
        diff,
        json_f64(&json, "/comparisons/0/p_target_by_deadline/estimate")
    );
    assert!(
        (csv.number(1, "p_target") - csv.number(0, "p_target") - diff).abs() < 1e-12,
        "the paired mean difference is the difference of the two proportions"
    );

    // Each scenario's usual results, the overlay and the paired-differences charts.
    for sub in ["tiny", "tiny-slower"] {
        for file in ["summary.json", "daily.csv", "scenario.resolved.toml"] {
            assert!(dir.path().join(sub).join(file).is_file(), "{sub}/{file}");
        }
    }
    for file in [
        "overlay.png",
        "overlay.svg",
        "differences.png",
        "differences.svg",
    ] {
        let p = dir.path().join("charts").join(file);
        assert!(
            std::fs::metadata(&p)
                .map(|m| m.len() > 1000)
                .unwrap_or(false),
            "{}",
            p.display()
        );
    }
}

#[test]
fn each_scenario_matches_a_plain_run_with_the_same_seed() {
    let tiny = fixture(TINY);
    let tmp = tempfile::tempdir().unwrap();
    let slower = tiny_slower(tmp.path());
    let (dir, _) = compare(&[&tiny, &slower], &["--trials", "120", "--no-charts"]);
    // The seed and trials come from the first scenario (tiny: seed 11) for both.
    // compare reports no constraint costs; the plain run skips them to match.
    let run = run_cli(
        &slower,
        &[
            "--trials",
            "120",
            "--seed",
            "11",
            "--no-charts",
            "--cost-trials",
            "0",
        ],
    );
    let ours = std::fs::read(dir.path().join("tiny-slower/summary.json")).unwrap();
    assert_eq!(ours, run.summary_bytes);
    let daily = std::fs::read(dir.path().join("tiny-slower/daily.csv")).unwrap();
    assert_eq!(daily, run.daily_bytes);
}

#[test]
fn json_flag_prints_compare_json_on_stdout() {
    let tiny = fixture(TINY);
    let dir = tempfile::tempdir().unwrap();
    let out = capsim()
        .arg("compare")
        .arg(&tiny)
        .arg(&tiny)
        .args(["--trials", "50", "--no-charts", "--json", "--out"])
        .arg(dir.path())
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&out.get_output().stdout).expect("stdout is JSON");
    assert_eq!(json_at(&v, "/baseline"), "tiny");
    let file: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("compare.json")).unwrap()).unwrap();
    assert_eq!(v, file);
}

#[test]
fn a_bad_scenario_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("compare")
        .arg(fixture(TINY))
        .arg(fixture("invalid/duplicate_site_id.toml"))
        .args(["--trials", "10", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("invalid/duplicate_site_id.toml"));
    capsim()
        .arg("compare")
        .arg(fixture(TINY))
        .arg(fixture("no-such-scenario.toml"))
        .args(["--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("no-such-scenario.toml"));
}

#[test]
fn bad_flags_exit_2() {
    // One scenario is not a comparison.
    capsim().arg("compare").arg(fixture(TINY)).assert().code(2);
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("compare")
        .arg(fixture(TINY))
        .arg(fixture(TINY))
        .args(["--trials", "0", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains("--trials"));
    capsim()
        .arg("compare")
        .arg(fixture(TINY))
        .arg(fixture(TINY))
        .args(["--set", "supply.nope.rate_scale=1", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .code(2);
}
