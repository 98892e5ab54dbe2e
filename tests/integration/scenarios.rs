//! Scenario files: every shipped scenario validates and runs a few trials; every broken fixture in
//! `tests/fixtures/invalid/` is rejected with exit code 2 and the errors it announces.
//!
//! A broken fixture starts with one or more lines `# expect-error: <text>`; stderr must contain
//! every `<text>`. Most name the file and line (`invalid/pue_below_one.toml:22:`), the field path
//! (`` `sites[0].pue` ``) and the gist of the message, so a change that loses the location or the
//! suggestion fails here.

use std::path::{Path, PathBuf};

use crate::util::{capsim, fixture, root};

/// `*.toml` files directly in `dir` (relative to the crate root), sorted, as relative paths.
fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| Path::new(dir).join(p.file_name().unwrap()))
        .collect();
    files.sort();
    files
}

/// The `# expect-error:` texts of a fixture; the first line must be one.
fn expected_errors(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    assert!(
        text.starts_with("# expect-error:"),
        "{} must start with a `# expect-error:` line",
        path.display()
    );
    let expected: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# expect-error:"))
        .map(|e| e.trim().to_string())
        .collect();
    assert!(
        expected.iter().all(|e| !e.is_empty()),
        "{}: empty `# expect-error:`",
        path.display()
    );
    expected
}

#[test]
fn every_shipped_scenario_validates() {
    let files = toml_files("scenarios");
    assert!(!files.is_empty(), "no scenarios/*.toml found");
    for file in files {
        capsim()
            .arg("validate")
            .arg(&file)
            .assert()
            .success()
            .stdout(predicates::str::contains("Derived figures"));
    }
}

#[test]
fn every_shipped_scenario_runs_a_few_trials() {
    for file in toml_files("scenarios") {
        let out = crate::util::run_cli(&file, &["--trials", "40"]);
        assert_eq!(out.summary["trials"], 40, "{}", file.display());
        let rows = out.daily().rows.len();
        assert!(rows > 0, "{}: empty daily.csv", file.display());
    }
}

#[test]
fn every_valid_fixture_validates() {
    for file in toml_files("tests/fixtures/valid") {
        capsim().arg("validate").arg(&file).assert().success();
    }
}

#[test]
fn every_invalid_fixture_fails_as_it_states() {
    let files = toml_files("tests/fixtures/invalid");
    assert!(
        files.len() >= 20,
        "expected the full set of broken fixtures"
    );
    let mut failures = Vec::new();
    for file in &files {
        let expected = expected_errors(file);
        for command in ["validate", "run"] {
            let out_dir = tempfile::tempdir().unwrap();
            let output = capsim()
                .arg(command)
                .arg(file)
                .args(if command == "run" {
                    vec![
                        "--trials".into(),
                        "5".into(),
                        "--out".into(),
                        out_dir.path().join("out"),
                    ]
                } else {
                    vec![]
                })
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            if output.status.code() != Some(2) {
                failures.push(format!(
                    "{} ({command}): exit code {:?}, expected 2; stderr:\n{stderr}",
                    file.display(),
                    output.status.code()
                ));
            }
            for e in &expected {
                if !stderr.contains(e.as_str()) {
                    failures.push(format!(
                        "{} ({command}): stderr lacks `{e}`; stderr:\n{stderr}",
                        file.display()
                    ));
                }
            }
            // A scenario that cannot be used is rejected before anything is written.
            if command == "run" {
                assert!(
                    !out_dir.path().join("out").exists(),
                    "{}: a rejected scenario created its output directory",
                    file.display()
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn scenario_errors_are_one_line_each() {
    // docs/scenario-format.md, "Errors": each problem is one line `FILE:LINE:COLUMN: `path`: message`.
    let output = capsim()
        .arg("validate")
        .arg(fixture("invalid/several_problems_reported_together.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "two problems, two lines:\n{stderr}");
    for line in lines {
        let line = line.strip_prefix("error: ").unwrap_or(line);
        assert!(
            line.starts_with("tests/fixtures/invalid/several_problems_reported_together.toml:"),
            "{line}"
        );
    }
}

#[test]
fn serde_errors_are_one_line_each() {
    // Same promise for errors found while typing the document (unknown kind, bad type, bad date):
    // one line, `FILE:LINE:COLUMN: `path`: message`, nothing after it.
    let mut failures = Vec::new();
    for name in [
        "unknown_distribution_kind",
        "time_of_day_in_date",
        "missing_required_key",
        "string_where_number_belongs",
        "triangular_min_above_mode",
    ] {
        let output = capsim()
            .arg("validate")
            .arg(fixture(&format!("invalid/{name}.toml")))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.trim_end().lines().count() != 1 {
            failures.push(format!("{name}:\n{stderr}"));
        }
    }
    assert!(
        failures.is_empty(),
        "multi-line errors:\n{}",
        failures.join("\n")
    );
}

#[test]
fn unknown_field_lists_only_the_valid_fields() {
    // The list after "valid fields are" must be the fields of a site, nothing else.
    let output = capsim()
        .arg("validate")
        .arg(fixture("invalid/unknown_field_did_you_mean.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let list = stderr
        .split("valid fields are ")
        .nth(1)
        .unwrap_or_else(|| panic!("no field list:\n{stderr}"));
    let fields: Vec<&str> = list.split('`').skip(1).step_by(2).collect();
    assert_eq!(
        fields,
        [
            "id",
            "name",
            "region",
            "provider",
            "pue",
            "accepts",
            "max_racks",
            "install_racks_per_day",
            "power_scale",
            "phases",
            "crews_per_phase",
            "mobilization_days",
            "mobilization_start",
            "max_install_racks_per_day",
            "install_lead_days",
            "pod_racks",
            "pod_acceptance_days"
        ],
        "{stderr}"
    );
}

#[test]
fn io_errors_name_their_cause_once() {
    let output = capsim()
        .arg("validate")
        .arg(fixture("invalid/extends_missing_file.toml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "the OS error is repeated:\n{stderr}"
    );
}

/// The shipped variants move the answer the way a planner expects: slower supply and a tighter
/// grid lower the chance of meeting the target and the GPUs available at the deadline; the fast
/// track raises both; the forecast from 30 Nov 2026 with the second buildings at Salem Township
/// and North Carolina not yet energized (their racks cannot be online by the deadline) lowers
/// both. Same seed and trials for all five, so the comparison is paired (common random
/// numbers). The gaps are large (base ≈ 50%, slow, power-constrained and late buildings < 5%,
/// fast track ≈ 100% at 10,000 trials), so 300 trials decide them with room to spare: the standard
/// error of a proportion near 0.5 at n = 300 is 0.03.
#[test]
fn variants_move_the_answer_in_the_expected_direction() {
    use capsim::model::Model;
    let outcome = |rel: &str| {
        let s = capsim::scenario::load(&root().join(rel), &[]).unwrap();
        let model = Model::compile(&s).unwrap();
        let acc = crate::util::run_lib(&model, &crate::util::config(300, 11));
        let (summary, _) = crate::util::report(&s, &acc, 11);
        (
            summary.p_target_by_deadline.estimate,
            summary.available_gpus_at_deadline.mean,
        )
    };
    let (base_p, base_gpus) = outcome("scenarios/aws-openai-2026.toml");
    assert!(
        (0.2..0.8).contains(&base_p),
        "base case should be uncertain: {base_p}"
    );
    for (variant, lower) in [
        ("scenarios/aws-openai-2026-slow-supply.toml", true),
        ("scenarios/aws-openai-2026-power-constrained.toml", true),
        ("scenarios/aws-openai-2026-fast-track.toml", false),
        (
            "scenarios/aws-openai-2026-as-of-2026-11-late-buildings.toml",
            true,
        ),
    ] {
        let (p, gpus) = outcome(variant);
        if lower {
            assert!(
                p < base_p - 0.2 && gpus < base_gpus,
                "{variant}: p {p}, gpus {gpus}"
            );
        } else {
            assert!(
                p > base_p + 0.2 && gpus > base_gpus,
                "{variant}: p {p}, gpus {gpus}"
            );
        }
    }
}

/// The as-of variants start from their `[status]`: on the status date every trial has exactly
/// the stated racks (3,346 delivered; on plan 3,189 on a floor of which 3,123 online; with the
/// two late buildings 3,086 and 3,056; 72 GPUs each) and the MW of their energized phases (all
/// 820 MW on plan, 680 MW with the two 70 MW buildings dark).
#[test]
fn the_as_of_variants_hold_their_status_on_their_date() {
    for (file, installed_racks, online_racks, energized_mw) in [
        (
            "scenarios/aws-openai-2026-as-of-2026-11.toml",
            3189.0,
            3123.0,
            820.0,
        ),
        (
            "scenarios/aws-openai-2026-as-of-2026-11-late-buildings.toml",
            3086.0,
            3056.0,
            680.0,
        ),
    ] {
        let out = crate::util::run_cli(Path::new(file), &["--trials", "40"]);
        let daily = out.daily();
        let row = daily
            .column("date")
            .iter()
            .position(|d| *d == "2026-11-30")
            .expect("a daily.csv row for the status date");
        for (metric, value) in [
            ("delivered_gpus", 3346.0 * 72.0),
            ("installed_gpus", installed_racks * 72.0),
            ("online_gpus", online_racks * 72.0),
            ("energized_mw", energized_mw),
        ] {
            for stat in ["p5", "p95"] {
                let column = format!("{metric}_{stat}");
                assert_eq!(daily.number(row, &column), value, "{file}: {column}");
            }
        }
    }
}
