//! `capsim backtest`: known ranks on a deterministic backtest (`valid/bt_known.toml`: an
//! observation equal to the simulated value ranks 50% inside P10–P90, one above everything
//! 100% above P90, one below 0% below P10), per-site and fleet-wide probes against the
//! hand-worked timeline, the shape of `backtest.json` and `backtest.csv`, folder expansion, and
//! bad input (exit 2 naming the file and field). Calibration on real backtests is reported by
//! the command, never asserted here.

use std::path::Path;

use capsim::analysis::backtest::{Position, backtest};
use capsim::engine::EngineConfig;
use predicates::str::contains;
use serde_json::Value;

use crate::util::{Table, capsim, fixture, json_at, json_f64, load, root};

const KNOWN: &str = "valid/bt_known.toml";
const TINY: &str = "valid/bt_tiny.toml";

/// Runs `capsim backtest PATHS --out <temp> --quiet ARGS`, asserts success, returns the
/// directory and the parsed `backtest.json`.
fn run(paths: &[&Path], args: &[&str]) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("backtest")
        .args(paths)
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .args(args)
        .assert()
        .success();
    let bytes = std::fs::read(dir.path().join("backtest.json")).expect("backtest.json");
    (
        dir,
        serde_json::from_slice(&bytes).expect("backtest.json is JSON"),
    )
}

#[test]
fn known_observations_rank_where_the_hand_worked_timeline_puts_them() {
    let s = load(KNOWN);
    let b = backtest(&s, &EngineConfig::new(20, 53, 1), None).unwrap();
    let got: Vec<(f64, Position)> = b
        .observations
        .iter()
        .map(|o| (o.ranked.rank_pct, o.ranked.position))
        .collect();
    let mut want = vec![(50.0, Position::Inside); 7];
    want.push((100.0, Position::Above));
    want.push((0.0, Position::Below));
    assert_eq!(got, want);
    // The simulated values themselves (P10 = P50 = P90 in a deterministic scenario).
    let p50: Vec<f64> = b.observations.iter().map(|o| o.ranked.p50).collect();
    assert_eq!(p50, [0.0, 50.0, 100.0, 5.0, 0.0, 1.0, 1.0, 150.0, 150.0]);
    let c = &b.calibration;
    assert_eq!((c.observations, c.inside, c.below, c.above), (9, 7, 1, 1));
    assert!((c.mean_rank_pct - 50.0).abs() < 1e-9);
    assert_eq!(c.rank_histogram, [1, 0, 0, 0, 0, 7, 0, 0, 0, 1]);
    // One band per distinct (metric, site), in order of first observation.
    let bands: Vec<(&str, Option<&str>)> = b
        .bands
        .iter()
        .map(|x| (x.metric.name(), x.site.as_deref()))
        .collect();
    assert_eq!(
        bands,
        [
            ("delivered_racks", None),
            ("online_gpus", None),
            ("delivered_gpus", Some("a")),
            ("delivered_racks", Some("b")),
            ("installed_gpus", Some("a")),
            ("energized_mw", None),
            ("energized_mw", Some("a")),
            ("installed_gpus", None),
        ]
    );
    // Site a's energized MW over time: 0 before day 10, 1 MW from then on.
    let a_mw = &b.bands[6];
    for (day, v) in a_mw.days.iter().zip(&a_mw.p50) {
        assert_eq!(*v, if *day >= 10 { 1.0 } else { 0.0 }, "day {day}");
    }
    // Fleet online GPUs: 0, then 50 from day 3, 150 from day 10.
    let online = &b.bands[1];
    for (day, v) in online.days.iter().zip(&online.p50) {
        let want = match day {
            0..=2 => 0.0,
            3..=9 => 50.0,
            _ => 150.0,
        };
        assert_eq!(*v, want, "day {day}");
    }
}

#[test]
fn probes_do_not_change_the_run() {
    // A scenario with observations gives the same summary as without them.
    let with = load(KNOWN);
    let text = std::fs::read_to_string(root().join(fixture(KNOWN))).unwrap();
    let cut = text.find("[[observations]]").unwrap();
    let without =
        capsim::scenario::parse(&text[..cut], Path::new("bt_known_without.toml")).unwrap();
    assert!(without.observations.is_empty());
    let summary = |s: &capsim::scenario::Scenario| {
        let model = capsim::model::Model::compile(s).unwrap();
        let acc = crate::util::run_lib(&model, &crate::util::config(20, 53));
        crate::util::report(s, &acc, 53)
    };
    let (a, rows_a) = summary(&with);
    let (b, rows_b) = summary(&without);
    assert_eq!(a.p_target_by_deadline, b.p_target_by_deadline);
    assert_eq!(rows_a, rows_b);
}

#[test]
fn the_command_writes_json_csv_and_charts() {
    let (dir, json) = run(&[&fixture(KNOWN), &fixture(TINY)], &["--trials", "200"]);
    let backtests = json_at(&json, "/backtests").as_array().unwrap();
    assert_eq!(backtests.len(), 2);
    assert_eq!(json_at(&json, "/backtests/0/name"), "bt_known");
    assert_eq!(json_at(&json, "/backtests/1/name"), "bt_tiny");
    assert_eq!(json_f64(&json, "/backtests/0/trials"), 200.0);
    let o = json_at(&json, "/backtests/0/observations/7");
    assert_eq!(json_at(o, "/metric"), "online_gpus");
    assert_eq!(json_at(o, "/site"), &Value::Null);
    assert_eq!(json_at(o, "/position"), "above");
    assert_eq!(json_f64(o, "/rank_pct"), 100.0);
    assert_eq!(json_at(&json, "/backtests/0/observations/2/site"), "a");
    for key in [
        "observations",
        "inside",
        "below",
        "above",
        "inside_share",
        "below_share",
        "above_share",
        "mean_rank_pct",
    ] {
        assert!(json_at(&json, "/calibration").get(key).is_some(), "{key}");
    }
    assert_eq!(json_f64(&json, "/calibration/observations"), 13.0);
    assert_eq!(
        json_at(&json, "/calibration/rank_histogram")
            .as_array()
            .unwrap()
            .len(),
        10
    );

    let csv = Table::read(&dir.path().join("backtest.csv"));
    assert_eq!(
        csv.headers,
        [
            "backtest", "file", "scenario", "trials", "seed", "date", "metric", "site", "value",
            "p10", "p50", "p90", "rank_pct", "position", "source"
        ]
    );
    assert_eq!(csv.rows.len(), 13, "one row per observation");
    assert_eq!(csv.rows[8][csv.col("position")], "below");
    assert_eq!(csv.number(8, "rank_pct"), 0.0);
    assert_eq!(csv.rows[2][csv.col("site")], "a");
    assert_eq!(csv.rows[1][csv.col("site")], "", "fleet-wide: empty site");
    assert!(
        csv.column("position")
            .iter()
            .all(|p| ["inside", "below", "above"].contains(p))
    );
    for name in ["bt_known-fan", "bt_tiny-fan", "calibration"] {
        for ext in ["png", "svg"] {
            let p = dir.path().join("charts").join(format!("{name}.{ext}"));
            assert!(p.metadata().unwrap().len() > 1000, "{}", p.display());
        }
    }
}

#[test]
fn the_table_names_the_side_of_the_misses() {
    capsim()
        .arg("backtest")
        .arg(fixture(KNOWN))
        .arg("--out")
        .arg(tempfile::tempdir().unwrap().path())
        .arg("--no-charts")
        .assert()
        .success()
        .stdout(contains("ABOVE P90"))
        .stdout(contains("BELOW P10"))
        .stdout(contains("Calibration over 1 backtest (9 observations)"))
        .stdout(contains("misses balanced (1 below, 1 above)"));
}

#[test]
fn a_folder_means_every_toml_in_it_sorted() {
    let tmp = tempfile::tempdir().unwrap();
    for (name, from) in [("b.toml", KNOWN), ("a.toml", TINY)] {
        std::fs::copy(root().join(fixture(from)), tmp.path().join(name)).unwrap();
    }
    std::fs::write(tmp.path().join("notes.txt"), "not a scenario").unwrap();
    let (dir, json) = run(&[tmp.path()], &["--trials", "50", "--no-charts"]);
    let names: Vec<&str> = json_at(&json, "/backtests")
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert!(!dir.path().join("charts").exists(), "--no-charts");
}

#[test]
fn results_do_not_depend_on_threads() {
    let (_d1, one) = run(
        &[&fixture(TINY)],
        &["--trials", "300", "-j", "1", "--no-charts"],
    );
    let (_d2, two) = run(
        &[&fixture(TINY)],
        &["--trials", "300", "-j", "2", "--no-charts"],
    );
    assert_eq!(one, two);
}

/// A copy of `bt_known.toml` with its last observation's `field = old` replaced by `new`.
fn broken(dir: &Path, name: &str, old: &str, new: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(root().join(fixture(KNOWN))).unwrap();
    let at = text
        .rfind(old)
        .unwrap_or_else(|| panic!("{old} not in the fixture"));
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!("{}{new}{}", &text[..at], &text[at + old.len()..]),
    )
    .unwrap();
    path
}

#[test]
fn bad_observations_exit_2_naming_file_and_field() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            broken(
                tmp.path(),
                "metric.toml",
                "metric = \"installed_gpus\"",
                "metric = \"online_gpu\"",
            ),
            vec![
                "metric.toml:",
                "`observations[8].metric`",
                "did you mean `online_gpus`?",
                "`energized_mw`",
            ],
        ),
        (
            broken(
                tmp.path(),
                "site.toml",
                "site = \"a\"\nvalue = 1.0",
                "site = \"c\"\nvalue = 1.0",
            ),
            vec![
                "site.toml:",
                "`observations[6].site`",
                "unknown site `c`",
                "`a`, `b`",
            ],
        ),
        (
            broken(
                tmp.path(),
                "date.toml",
                "date = 2026-01-20",
                "date = 2026-02-05",
            ),
            vec![
                "date.toml:",
                "`observations[8].date`",
                "2026-01-05 (start) to 2026-02-04 (horizon)",
            ],
        ),
        (
            broken(tmp.path(), "value.toml", "value = 10", "value = -10"),
            vec!["value.toml:", "`observations[8].value`", ">= 0"],
        ),
        (
            broken(
                tmp.path(),
                "source.toml",
                "source = \"below the 150 every trial has installed\"",
                "source = \" \"",
            ),
            vec![
                "source.toml:",
                "`observations[8].source`",
                "must not be empty",
            ],
        ),
    ];
    for (path, expected) in cases {
        let out = tmp.path().join(format!(
            "out-{}",
            path.file_stem().unwrap().to_string_lossy()
        ));
        let assert = capsim()
            .arg("backtest")
            .arg(&path)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        for e in expected {
            assert!(
                stderr.contains(e),
                "{}: stderr lacks `{e}`:\n{stderr}",
                path.display()
            );
        }
        assert!(
            !out.exists(),
            "a rejected backtest created its output directory"
        );
    }
}

#[test]
fn a_scenario_without_observations_is_an_input_error_naming_the_file() {
    capsim()
        .arg("backtest")
        .arg(fixture(KNOWN))
        .arg(fixture("valid/tiny.toml"))
        .arg("--out")
        .arg(tempfile::tempdir().unwrap().path().join("out"))
        .assert()
        .code(2)
        .stderr(contains("tests/fixtures/valid/tiny.toml"))
        .stderr(contains("no [[observations]]"));
    let empty = tempfile::tempdir().unwrap();
    capsim()
        .arg("backtest")
        .arg(empty.path())
        .assert()
        .code(2)
        .stderr(contains("no *.toml"));
}

#[test]
fn every_shipped_backtest_runs_and_its_report_adds_up() {
    // The shipped backtests at 60 trials each (with charts off): every observation's position
    // agrees with its band, ranks are percentages, and each calibration summary counts what its
    // rows say. The calibration itself is reported, never asserted.
    let dir = root().join("scenarios/backtests");
    let (_out, json) = run(&[&dir], &["--trials", "60", "--no-charts"]);
    let backtests = json_at(&json, "/backtests").as_array().unwrap();
    assert!(backtests.len() >= 4, "{} backtests", backtests.len());
    let (mut all, mut inside_all, mut rank_sum) = (0usize, 0usize, 0.0);
    for b in backtests {
        let rows = b["observations"].as_array().unwrap();
        assert!(!rows.is_empty(), "{}", b["file"]);
        let mut counts = [0usize; 3];
        let mut ranks = 0.0;
        for r in rows {
            let (v, p10, p90) = (
                json_f64(r, "/value"),
                json_f64(r, "/p10"),
                json_f64(r, "/p90"),
            );
            let rank = json_f64(r, "/rank_pct");
            assert!((0.0..=100.0).contains(&rank), "{r}");
            let position = r["position"].as_str().unwrap();
            let want = if v < p10 {
                "below"
            } else if v > p90 {
                "above"
            } else {
                "inside"
            };
            assert_eq!(position, want, "{r}");
            counts[["inside", "below", "above"]
                .iter()
                .position(|p| *p == position)
                .unwrap()] += 1;
            ranks += rank;
        }
        let c = &b["calibration"];
        let n = rows.len();
        assert_eq!(json_f64(c, "/observations") as usize, n);
        assert_eq!(json_f64(c, "/inside") as usize, counts[0]);
        assert_eq!(json_f64(c, "/below") as usize, counts[1]);
        assert_eq!(json_f64(c, "/above") as usize, counts[2]);
        assert!((json_f64(c, "/inside_share") - counts[0] as f64 / n as f64).abs() < 1e-12);
        assert!((json_f64(c, "/mean_rank_pct") - ranks / n as f64).abs() < 1e-9);
        let histogram: f64 = c["rank_histogram"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .sum();
        assert_eq!(histogram as usize, n);
        all += n;
        inside_all += counts[0];
        rank_sum += ranks;
    }
    let c = &json["calibration"];
    assert_eq!(json_f64(c, "/observations") as usize, all);
    assert_eq!(json_f64(c, "/inside") as usize, inside_all);
    assert!((json_f64(c, "/mean_rank_pct") - rank_sum / all as f64).abs() < 1e-9);
}
