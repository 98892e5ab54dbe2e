//! `capsim sensitivity`: Spearman ranks the one uncertain input first with ρ ≈ +1, a swing moves
//! P(target) the right way, Sobol attributes all variance to a lone input, the files are
//! written, and bad input exits 2; the library gives the same answers and files without the
//! binary.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use capsim::analysis::AnalysisError;
use capsim::analysis::sensitivity::{self, Method, Ranking, SensitivityRequest};
use capsim::engine::EngineError;
use capsim::model::Model;
use capsim::results::{self, ChartOptions};
use serde_json::Value;

use crate::util::{capsim, fixture, json_at, json_f64, load};

const TINY: &str = "valid/tiny.toml";
const ONE_DELAY: &str = "valid/one_phase_delay.toml";

/// Runs `capsim sensitivity SCENARIO --out <temp> --quiet ARGS`, asserts success, returns the
/// directory and the parsed `sensitivity.json`.
fn sensitivity(scenario: &Path, args: &[&str]) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("sensitivity")
        .arg(scenario)
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .args(args)
        .assert()
        .success();
    let bytes = std::fs::read(dir.path().join("sensitivity.json")).expect("sensitivity.json");
    (dir, serde_json::from_slice(&bytes).expect("JSON"))
}

fn rows(json: &Value) -> &Vec<Value> {
    json_at(json, "/inputs").as_array().expect("inputs array")
}

/// The one-phase-delay fixture with a second, harmless uncertain input: an install rate that
/// never binds (crews take 900–1,000 racks a day; 50 racks are needed).
const HARMLESS_INSTALL: &str =
    "sites.only.install_racks_per_day={ kind = \"uniform\", min = 900, max = 1000 }";

#[test]
fn the_only_real_driver_has_rho_near_one_and_tops_the_tornado() {
    let (dir, json) = sensitivity(
        &fixture(ONE_DELAY),
        &["--trials", "400", "--set", HARMLESS_INSTALL],
    );
    assert_eq!(json_at(&json, "/method"), "spearman");
    let r = rows(&json);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(json_at(&r[0], "/input"), "delay_days.only.phase0");
    // Full-capacity day = 12 + delay: identical ranks, so ρ is 1 up to rounding.
    let rho = json_f64(&r[0], "/rho_full_capacity_day");
    assert!(rho > 0.999, "{rho}");
    // With 400 trials an unrelated input's |ρ| is below 4/√400 = 0.2 (4 standard errors).
    assert_eq!(json_at(&r[1], "/input"), "install_racks_per_day.only");
    assert!(json_f64(&r[1], "/rho_full_capacity_day").abs() < 0.2);
    // A later energization means fewer GPUs at the deadline.
    assert!(json_f64(&r[0], "/rho_available_gpus") < -0.5);
    let csv = std::fs::read_to_string(dir.path().join("sensitivity.csv")).unwrap();
    let first = csv.lines().nth(1).unwrap();
    assert!(first.starts_with("delay_days.only.phase0,"), "{csv}");
    for f in ["tornado.png", "tornado.svg"] {
        assert!(dir.path().join("charts").join(f).is_file(), "{f}");
    }
    // Constant inputs are listed, not ranked.
    assert_eq!(json_at(&json, "/constant_inputs/0"), "slip_days.flood");
}

#[test]
fn holding_a_delay_at_its_p90_lowers_p_target() {
    let (_dir, json) = sensitivity(&fixture(ONE_DELAY), &["--method", "swing", "-n", "200"]);
    let r = rows(&json);
    assert_eq!(r.len(), 1);
    // Triangular(0, 5, 30): P10 ≈ 3.9 → 4 days, P90 ≈ 21.3 → 21 days (whole-day law). The
    // deadline is day 30 and full capacity is day 12 + delay: met at P10, missed at P90.
    assert_eq!(json_f64(&r[0], "/value_at_p10"), 4.0);
    assert_eq!(json_f64(&r[0], "/value_at_p90"), 21.0);
    assert_eq!(json_f64(&r[0], "/p_target_at_p10"), 1.0);
    assert_eq!(json_f64(&r[0], "/p_target_at_p90"), 0.0);
    assert_eq!(json_f64(&r[0], "/median_full_capacity_swing_days"), 17.0);

    let (_dir, json) = sensitivity(&fixture(TINY), &["--method", "swing", "-n", "200"]);
    for row in rows(&json) {
        if json_at(row, "/input") == "delay_days.beta.phase0"
            || json_at(row, "/input") == "slip_days.main"
        {
            assert!(
                json_f64(row, "/p_target_at_p90") < json_f64(row, "/p_target_at_p10"),
                "{row}"
            );
            assert!(
                json_f64(row, "/median_full_capacity_swing_days") > 0.0,
                "{row}"
            );
        }
    }
    // Sorted by the size of the swing.
    let swings: Vec<f64> = rows(&json)
        .iter()
        .map(|r| json_f64(r, "/p_target_swing").abs())
        .collect();
    assert!(swings.windows(2).all(|w| w[0] >= w[1]), "{swings:?}");
}

#[test]
fn sobol_gives_a_lone_input_all_the_variance() {
    let (_dir, json) = sensitivity(&fixture(ONE_DELAY), &["--method", "sobol", "-n", "400"]);
    let r = rows(&json);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(json_at(&r[0], "/input"), "site/only/phase/0");
    // With one input, A_B = B: S and T estimate 1 (their sampling error is a few percent).
    for p in ["/met_by_deadline/first_order", "/met_by_deadline/total"] {
        let v = json_at(&r[0], p);
        let est = json_f64(v, "/estimate");
        assert!((est - 1.0).abs() < 0.15, "{p}: {est}");
        assert!(json_f64(v, "/ci95_low") <= est && est <= json_f64(v, "/ci95_high"));
    }
    assert_eq!(json_at(&json, "/runs"), 3);
}

#[test]
fn results_do_not_depend_on_threads() {
    let (_a, one) = sensitivity(
        &fixture(TINY),
        &["-n", "150", "--method", "sobol", "-j", "1"],
    );
    let (_b, four) = sensitivity(
        &fixture(TINY),
        &["-n", "150", "--method", "sobol", "-j", "4"],
    );
    assert_eq!(one, four);
}

#[test]
fn no_charts_and_json_on_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let out = capsim()
        .args(["sensitivity", "--json", "--no-charts", "-n", "100", "--out"])
        .arg(dir.path())
        .arg(fixture(TINY))
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).expect("JSON on stdout");
    assert_eq!(json_at(&json, "/method"), "spearman");
    assert!(!dir.path().join("charts").exists());
    assert!(dir.path().join("sensitivity.csv").is_file());
}

#[test]
fn bad_input_exits_2_and_a_failed_write_exits_1() {
    capsim()
        .args(["sensitivity", "tests/fixtures/valid/nope.toml"])
        .assert()
        .code(2);
    capsim()
        .arg("sensitivity")
        .arg(fixture(TINY))
        .args(["--method", "pearson"])
        .assert()
        .code(2);
    capsim()
        .arg("sensitivity")
        .arg(fixture(TINY))
        .args(["--trials", "1"])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    capsim()
        .arg("sensitivity")
        .arg(fixture(TINY))
        .args(["-n", "20", "--quiet", "--out"])
        .arg(file.join("sub"))
        .assert()
        .code(1);
}

/// Average ranks (ties share their mean rank), for Spearman's ρ by hand.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && x[order[j + 1]] == x[order[i]] {
            j += 1;
        }
        for &k in &order[i..=j] {
            r[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
    cov / (vx * vy).sqrt()
}

#[test]
fn spearman_reads_each_input_from_its_own_trials_csv_column() {
    // A scenario whose inputs include disruption and failure probabilities between the slips,
    // rates and delays: every reported ρ must be the rank correlation of that input's own
    // trials.csv column with the available GPUs at the deadline.
    let scenario = crate::util::root().join("scenarios/aws-openai-2026.toml");
    let set = [
        "--set",
        "bring_up.failure_probability={ kind = \"uniform\", min = 0.1, max = 0.3 }",
        "--set",
        "supply.gb200.disruption.weekly_probability={ kind = \"uniform\", min = 0, max = 0.1 }",
    ];
    let mut args = vec!["--trials", "120", "--seed", "5", "--method", "spearman"];
    args.extend(set);
    let (_dir, json) = sensitivity(&scenario, &args);
    let mut run_args = vec![
        "--trials",
        "120",
        "--seed",
        "5",
        "--trials-csv",
        "--no-charts",
    ];
    run_args.extend(["--cost-trials", "0"]);
    run_args.extend(set);
    let run = crate::util::run_cli(&scenario, &run_args);
    let trials = run.trials();
    let available = ranks(&trials.numbers("available_gpus_at_deadline"));
    let inputs: Vec<&str> = rows(&json)
        .iter()
        .map(|r| r["input"].as_str().unwrap())
        .collect();
    for name in ["failure_probability", "disruption_probability.gb200"] {
        assert!(inputs.contains(&name), "{name} missing from {inputs:?}");
    }
    for row in rows(&json) {
        let name = row["input"].as_str().unwrap();
        let want = pearson(&ranks(&trials.numbers(name)), &available);
        let got = json_f64(row, "/rho_available_gpus");
        assert!((got - want).abs() < 1e-9, "{name}: {got} vs {want}");
    }
}

#[test]
fn the_library_swing_gives_the_known_answer_without_the_binary() {
    // As `holding_a_delay_at_its_p90_lowers_p_target`, through the library: full capacity is
    // day 12 + delay, day 0 = 2026-01-05, the deadline day 30.
    let scenario = load(ONE_DELAY);
    let model = Model::compile(&scenario).unwrap();
    let mut request =
        SensitivityRequest::for_scenario(&scenario, fixture(ONE_DELAY), Method::Swing);
    request.trials = 200;
    assert_eq!(request.seed, 20260105, "the scenario's seed");
    assert_eq!(request.runs(&scenario, &model), 3, "baseline + P10 + P90");
    let counted = AtomicU64::new(0);
    let result = sensitivity::sensitivity(&scenario, &model, &request, None, &|n| {
        counted.fetch_add(n, Ordering::Relaxed);
    })
    .unwrap();
    assert_eq!(
        counted.into_inner(),
        3 * 200,
        "progress counts every run's trials"
    );
    assert_eq!(
        (result.method, result.runs, result.seed_b),
        (Method::Swing, 3, None)
    );
    assert_eq!(
        result.constant_inputs,
        [
            "slip_days.flood",
            "install_racks_per_day.only",
            "failure_probability"
        ]
    );
    let Ranking::Swing(rows) = &result.inputs else {
        panic!("swing rows: {:?}", result.inputs)
    };
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.input, "delay_days.only.phase0");
    assert_eq!((row.value_at_p10, row.value_at_p90), (4.0, 21.0));
    assert_eq!((row.p_target_at_p10, row.p_target_at_p90), (1.0, 0.0));
    assert_eq!(row.p_target_swing, -1.0);
    // Day 16 and day 33.
    assert_eq!(
        row.median_full_capacity_date_at_p10.as_deref(),
        Some("2026-01-21")
    );
    assert_eq!(
        row.median_full_capacity_date_at_p90.as_deref(),
        Some("2026-02-07")
    );
    assert_eq!(row.median_full_capacity_swing_days, Some(17.0));
    let table = capsim::output::render_sensitivity_table(&result);
    assert!(
        table.starts_with(
            "sensitivity (swing) · one-phase-delay · 200 trials × 3 runs · seed 20260105\n"
        ),
        "{table}"
    );
    assert!(
        table.ends_with(
            "Constant (not ranked): slip_days.flood, install_racks_per_day.only, failure_probability\n"
        ),
        "{table}"
    );
}

#[test]
fn the_library_writes_the_files_the_cli_writes() {
    for method in [Method::Spearman, Method::Sobol] {
        let cli = tempfile::tempdir().unwrap();
        capsim()
            .arg("sensitivity")
            .arg(fixture(TINY))
            .args([
                "-n",
                "60",
                "--seed",
                "9",
                "--quiet",
                "--method",
                method.name(),
                "--out",
            ])
            .arg(cli.path())
            .assert()
            .success();

        let scenario = load(TINY);
        let model = Model::compile(&scenario).unwrap();
        let request = SensitivityRequest {
            method,
            trials: 60,
            seed: 9,
            threads: 2,
            file: fixture(TINY),
        };
        let result = sensitivity::sensitivity(&scenario, &model, &request, None, &|_| {}).unwrap();
        let lib = tempfile::tempdir().unwrap();
        let charts = ChartOptions::default();
        let written = results::write_sensitivity(lib.path(), &result, Some(&charts)).unwrap();
        assert_eq!(written.files, ["sensitivity.json", "sensitivity.csv"]);
        for name in ["sensitivity.json", "sensitivity.csv", "charts/tornado.svg"] {
            let read = |dir: &Path| std::fs::read(dir.join(name)).unwrap();
            assert!(
                read(lib.path()) == read(cli.path()),
                "{method:?}: {name} differs"
            );
        }
        assert_eq!(written.charts.len(), 2, "PNG and SVG");
    }
}

#[test]
fn the_library_refuses_too_few_trials_and_stops_when_cancelled() {
    let scenario = load(TINY);
    let model = Model::compile(&scenario).unwrap();
    let mut request = SensitivityRequest::for_scenario(&scenario, fixture(TINY), Method::Sobol);
    request.trials = 1;
    let err = sensitivity::sensitivity(&scenario, &model, &request, None, &|_| {}).unwrap_err();
    assert!(err.is_input_error(), "{err}");
    assert_eq!(
        err.to_string(),
        "--trials must be between 2 and 4294967295 (found 1)"
    );

    request.trials = 50;
    let cancel = AtomicBool::new(true);
    let err =
        sensitivity::sensitivity(&scenario, &model, &request, Some(&cancel), &|_| {}).unwrap_err();
    assert!(
        matches!(err, AnalysisError::Engine(EngineError::Cancelled)),
        "{err:?}"
    );
}
