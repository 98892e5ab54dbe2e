//! The command line: flags, exit codes (0 ok, 1 a run failed, 2 bad input), help and error text.

use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

use crate::util::{capsim, fixture, json_at, json_f64, run_cli};

const TINY: &str = "valid/tiny.toml";

#[test]
fn help_lists_the_commands() {
    capsim()
        .arg("--help")
        .assert()
        .success()
        .stdout(contains("Usage"))
        .stdout(contains("run"))
        .stdout(contains("validate"))
        .stdout(contains("bench"));
}

#[test]
fn run_help_documents_its_flags() {
    let out = capsim().args(["run", "--help"]).assert().success();
    let help = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    for flag in [
        "--trials",
        "--seed",
        "--threads",
        "--out",
        "--set",
        "--trials-csv",
        "--json",
        "--quiet",
    ] {
        assert!(
            help.contains(flag),
            "`run --help` does not mention {flag}:\n{help}"
        );
    }
}

#[test]
fn version_prints_the_package_version() {
    capsim()
        .arg("--version")
        .assert()
        .success()
        .stdout(contains(concat!("capsim ", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn run_writes_the_three_output_files() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .args(["run", "--trials", "50", "--quiet", "--out"])
        .arg(dir.path())
        .arg(fixture(TINY))
        .assert()
        .success();
    for file in ["summary.json", "daily.csv", "scenario.resolved.toml"] {
        let path = dir.path().join(file);
        assert!(path.is_file(), "{file} was not written");
        assert!(
            std::fs::metadata(&path).unwrap().len() > 0,
            "{file} is empty"
        );
    }
    assert!(
        !dir.path().join("trials.csv").exists(),
        "trials.csv is written only with --trials-csv"
    );
    // The report's typical miss and hit: examples.csv and a trace of each kind that occurred.
    let examples = std::fs::read_to_string(dir.path().join("examples/examples.csv")).unwrap();
    let traces = std::fs::read_dir(dir.path().join("examples"))
        .unwrap()
        .filter(|e| {
            let name = e.as_ref().unwrap().file_name();
            name.to_string_lossy().starts_with("trace-")
        })
        .count();
    let with_trial = examples
        .lines()
        .skip(1)
        .filter(|l| l.split(',').nth(1).is_some_and(|t| !t.is_empty()))
        .count();
    assert!(with_trial >= 1);
    assert_eq!(traces, with_trial);
    // Writes are atomic through temporary files in the same directory: none may be left behind
    // (`.capsim-results` marks the folder as capsim's).
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".capsim-results")
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn run_prints_a_table_and_says_where_it_wrote() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .args(["run", "--trials", "40", "--out"])
        .arg(dir.path())
        .arg(fixture(TINY))
        .assert()
        .success()
        .stdout(contains("P(target by deadline)"))
        .stdout(contains("Full-capacity date"))
        .stdout(contains("alpha"))
        .stdout(contains("beta"))
        .stdout(contains(
            "Wrote summary.json, daily.csv, sites.csv, scenario.resolved.toml, examples/, \
             report.html, ",
        ));
}

#[test]
fn quiet_run_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .args(["run", "--trials", "40", "--quiet", "--out"])
        .arg(dir.path())
        .arg(fixture(TINY))
        .assert()
        .success()
        .stdout(predicate::str::is_empty());
}

#[test]
fn json_flag_prints_the_summary_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let out = capsim()
        .args(["run", "--trials", "60", "--seed", "5", "--json", "--out"])
        .arg(dir.path())
        .arg(fixture(TINY))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&out).expect("stdout is one JSON document");
    for pointer in [
        "/p_target_by_deadline/estimate",
        "/p_target_by_deadline/ci95_low",
        "/p_target_by_deadline/ci95_high",
        "/full_capacity_date/never_fraction",
        "/available_gpus_at_deadline/mean",
        "/available_gpus_at_deadline/p10",
        "/available_gpus_at_deadline/p50",
        "/available_gpus_at_deadline/p90",
        "/bottleneck_share/supply",
        "/bottleneck_share/power",
        "/bottleneck_share/install",
        "/bottleneck_share/space",
    ] {
        json_f64(&json, pointer);
    }
    for pointer in [
        "/full_capacity_date/p10",
        "/full_capacity_date/p50",
        "/full_capacity_date/p90",
    ] {
        let v = json_at(&json, pointer);
        assert!(v.is_string() || v.is_null(), "{pointer} = {v}");
    }
    assert!(json_at(&json, "/sites").is_array());
    assert_eq!(json["capsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["seed"], 5);
    assert_eq!(json["trials"], 60);
    // The JSON on stdout is the file's content.
    let file: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap()).unwrap();
    assert_eq!(json, file);
}

#[test]
fn scenario_seed_and_trials_apply_when_flags_are_absent() {
    // tiny.toml sets seed = 11 and trials = 300.
    let out = run_cli(&fixture(TINY), &[]);
    assert_eq!(out.summary["seed"], 11);
    assert_eq!(out.summary["trials"], 300);
    let out = run_cli(&fixture(TINY), &["--seed", "12", "--trials", "30"]);
    assert_eq!(out.summary["seed"], 12);
    assert_eq!(out.summary["trials"], 30);
}

#[test]
fn missing_scenario_file_exits_2_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["run", "validate"] {
        capsim()
            .args([command, "tests/fixtures/no-such-scenario.toml"])
            .current_dir(dir.path())
            .assert()
            .code(2)
            .stderr(contains("tests/fixtures/no-such-scenario.toml"));
    }
}

#[test]
fn set_with_an_unknown_id_exits_2_naming_the_override() {
    capsim()
        .args(["validate", "--set", "supply.gb400.rate_scale=1"])
        .arg(fixture(TINY))
        .assert()
        .code(2)
        .stderr(contains("--set supply.gb400.rate_scale=1"))
        .stderr(contains("known ids are `main`"));
}

#[test]
fn set_without_a_value_exits_2_naming_the_override() {
    capsim()
        .args(["run", "--trials", "5", "--set", "scenario.target_gpus"])
        .arg(fixture(TINY))
        .assert()
        .code(2)
        .stderr(contains("--set scenario.target_gpus"))
        .stderr(contains("PATH=VALUE"));
}

#[test]
fn set_with_an_invalid_value_exits_2_pointing_at_the_override() {
    // The value passes through the same checks as the file, and the error points at the flag.
    capsim()
        .args(["validate", "--set", "sites.alpha.pue=0.5"])
        .arg(fixture(TINY))
        .assert()
        .code(2)
        .stderr(contains("--set sites.alpha.pue=0.5"))
        .stderr(contains("`sites[0].pue`"));
}

#[test]
fn set_changes_the_scenario_that_runs() {
    // Unreachable target: no trial can reach it, whatever the seed.
    let out = run_cli(
        &fixture(TINY),
        &["--trials", "20", "--set", "scenario.target_gpus=1000000"],
    );
    assert_eq!(out.summary["target_gpus"], 1_000_000);
    assert_eq!(
        json_f64(&out.summary, "/full_capacity_date/never_fraction"),
        1.0
    );
}

#[test]
fn validate_prints_the_resolved_scenario_and_derived_figures() {
    capsim()
        .arg("validate")
        .arg(fixture(TINY))
        .assert()
        .success()
        .stdout(contains("is valid"))
        .stdout(contains("name = \"tiny\""))
        .stdout(contains("Derived figures"))
        .stdout(contains("simulated days"))
        .stdout(contains("116 (2026-01-05 to 2026-04-30)"))
        .stdout(contains("planned racks by deadline"))
        .stdout(contains("racks for the target"))
        .stdout(contains("150 (1500 GPUs)"))
        .stdout(contains("facility MW planned"))
        .stdout(contains("most GPUs power and floor can host"))
        .stdout(contains("1900"));
}

#[test]
fn validate_prints_warnings_for_an_unreachable_target() {
    capsim()
        .args(["validate", "--set", "scenario.target_gpus=5000"])
        .arg(fixture(TINY))
        .assert()
        .success()
        .stdout(contains("# warning:"))
        .stdout(contains("5000"));
}

#[test]
fn zero_trials_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .args(["run", "--trials", "0", "--out"])
        .arg(dir.path())
        .arg(fixture(TINY))
        .assert()
        .code(2)
        .stderr(contains("--trials"));
}

#[test]
fn malformed_flags_exit_2() {
    capsim()
        .args(["run", "--threads", "many"])
        .arg(fixture(TINY))
        .assert()
        .code(2)
        .stderr(contains("--threads"));
    capsim()
        .args(["run", "--no-such-flag"])
        .arg(fixture(TINY))
        .assert()
        .code(2);
    capsim().arg("frobnicate").assert().code(2);
}

#[test]
fn unwritable_output_directory_exits_1() {
    // A run that fails for a reason other than its input (here: --out names a file) is exit 1.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    capsim()
        .args(["run", "--trials", "5", "--quiet", "--out"])
        .arg(&file)
        .arg(fixture(TINY))
        .assert()
        .code(1)
        .stderr(contains("not-a-directory"));
}

#[test]
fn bench_reports_json_rows_per_thread_count() {
    // Shape only: timing belongs to the benchmarks, never to a test.
    let out = capsim()
        .args(["bench"])
        .arg(fixture(TINY))
        .args([
            "--trials",
            "20",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--threads",
            "1,2",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: Value = serde_json::from_slice(&out).expect("bench --json prints JSON");
    assert_eq!(json["trials"], serde_json::json!([20]));
    assert_eq!(json["capsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["schema_version"], 1);
    // tiny.toml: two sites, 2026-01-05 through its horizon 2026-04-30.
    assert_eq!(json["sites"], 2);
    assert_eq!(json["days"], 116);
    let rows = json["rows"].as_array().expect("rows");
    let threads: Vec<u64> = rows
        .iter()
        .map(|r| r["threads"].as_u64().unwrap())
        .collect();
    assert_eq!(threads, [1, 2]);
    for r in rows {
        assert_eq!(r["runs_s"].as_array().unwrap().len(), 1);
        assert!(r["trials_per_s"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn seeds_beyond_a_toml_integer_are_refused() {
    // The resolved scenario must be able to carry the seed, and TOML integers are signed 64-bit.
    capsim()
        .args([
            "run",
            "tests/fixtures/valid/tiny.toml",
            "--seed",
            "9223372036854775808",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--seed"));
}

#[test]
fn precision_runs_add_trials_and_match_a_fixed_run_of_their_count() {
    // tiny.toml is uncertain enough that 100 trials give a wide interval; ±0.05 needs more.
    let precise = run_cli(
        &fixture("valid/tiny.toml"),
        &["--trials", "100", "--precision", "0.05", "--no-charts"],
    );
    let report = json_at(&precise.summary, "/precision");
    assert_eq!(report["met"], true);
    let trials = precise.summary["trials"].as_u64().unwrap();
    assert!(
        trials > 100,
        "100 trials give about ±0.094 here: more were needed, got {trials}"
    );
    assert!(json_f64(&precise.summary, "/precision/p_target_half_width") <= 0.05);
    // The same count as a plain run gives the same daily.csv, byte for byte.
    let fixed = run_cli(
        &fixture("valid/tiny.toml"),
        &["--trials", &trials.to_string(), "--no-charts"],
    );
    assert_eq!(precise.daily_bytes, fixed.daily_bytes);
    assert_eq!(
        precise.summary["p_target_by_deadline"],
        fixed.summary["p_target_by_deadline"]
    );
}

#[test]
fn precision_must_be_a_sensible_half_width() {
    for bad in ["0", "-0.1", "0.7"] {
        capsim()
            .args([
                "run",
                "tests/fixtures/valid/tiny.toml",
                &format!("--precision={bad}"),
            ])
            .assert()
            .code(2)
            .stderr(contains("--precision"));
    }
}
