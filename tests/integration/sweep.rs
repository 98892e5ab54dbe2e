//! `capsim sweep`: every grid point equals a plain `capsim run` with the same `--set`s (common
//! random numbers), P(target) rises with the delivery rate, the files and chart have their
//! documented shape, and bad input exits 2 with a message naming the problem.

use std::path::Path;

use predicates::str::contains;
use serde_json::Value;

use crate::util::{Table, capsim, fixture, json_at, run_cli};

const TINY: &str = "valid/tiny.toml";

/// Runs `capsim sweep tiny.toml --out <temp> --quiet ARGS`, asserts success, returns the
/// directory and the parsed `sweep.json`.
fn sweep(args: &[&str]) -> (tempfile::TempDir, Value) {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("sweep")
        .arg(fixture(TINY))
        .arg("--out")
        .arg(dir.path())
        .arg("--quiet")
        .args(args)
        .assert()
        .success();
    let bytes = std::fs::read(dir.path().join("sweep.json")).expect("sweep.json");
    let json = serde_json::from_slice(&bytes).expect("sweep.json is JSON");
    (dir, json)
}

/// Width and height of a PNG file, from its decoded header.
fn png_size(path: &Path) -> (u32, u32) {
    let file = std::fs::File::open(path).unwrap();
    let reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{} is not a PNG: {e}", path.display()));
    let info = reader.info();
    (info.width, info.height)
}

/// The headline fields a grid point shares with `summary.json`.
const FIELDS: [&str; 4] = [
    "/p_target_by_deadline",
    "/full_capacity_date",
    "/available_gpus_at_deadline",
    "/bottleneck_share",
];

/// Asserts that grid point `point` of `json` equals `capsim run` with the point's `--set`s.
fn assert_point_equals_run(json: &Value, point: usize) {
    let p = json_at(json, &format!("/points/{point}"));
    let sets: Vec<String> = p["set"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| ["--set".to_owned(), s.as_str().unwrap().to_owned()])
        .collect();
    let mut args: Vec<&str> = sets.iter().map(String::as_str).collect();
    args.extend(["--trials", "200", "--no-charts"]);
    let run = run_cli(&fixture(TINY), &args);
    for field in FIELDS {
        // Compared as serialized text: the same f64 bits print the same digits.
        assert_eq!(
            json_at(p, field).to_string(),
            json_at(&run.summary, field).to_string(),
            "point {point} {field} differs from `capsim run {}`",
            args.join(" ")
        );
    }
}

#[test]
fn p_target_rises_with_the_delivery_rate_and_each_point_equals_a_plain_run() {
    let (dir, json) = sweep(&[
        "--vary",
        "supply.main.rate_scale=0.7:1.3:4",
        "--trials",
        "200",
        "--no-charts",
    ]);
    let table = Table::read(&dir.path().join("sweep.csv"));
    assert_eq!(
        table.column("supply.main.rate_scale"),
        ["0.7", "0.9", "1.1", "1.3"]
    );
    let p = table.numbers("p_target_by_deadline");
    // Common random numbers give every point the same draws, and faster deliveries only bring
    // racks earlier, so each trial that meets the target keeps meeting it at a higher rate. The
    // one exception is allocation: earlier racks can go to a different site and, in a rare
    // trial, end up behind a later power phase. We allow that to flip at most 2 of 200 trials
    // (1 point of P) between neighbours, far below the sampling error of an unpaired estimate
    // (±6.9 points at P = 0.5) that the check would otherwise need.
    for w in p.windows(2) {
        assert!(w[1] >= w[0] - 2.0 / 200.0, "P(target) not rising: {p:?}");
    }
    assert!(
        p[3] - p[0] > 0.3,
        "the sweep should span a real change: {p:?}"
    );
    assert!(
        !dir.path().join("charts").exists(),
        "--no-charts draws nothing"
    );
    for point in [0, 2] {
        assert_point_equals_run(&json, point);
    }
}

#[test]
fn a_two_by_two_sweep_with_a_wildcard_writes_four_rows_and_a_heatmap() {
    let (dir, json) = sweep(&[
        "--vary",
        "supply.main.rate_scale=0.9,1.1",
        "--vary",
        "sites.*.power_scale=0.8:1.2:2",
        "--trials",
        "200",
    ]);
    assert_eq!(
        json_at(&json, "/parameters/1/expands_to"),
        &serde_json::json!(["sites.alpha.power_scale", "sites.beta.power_scale"])
    );
    let table = Table::read(&dir.path().join("sweep.csv"));
    assert_eq!(table.rows.len(), 4);
    assert_eq!(
        table.headers[..3],
        [
            "supply.main.rate_scale",
            "sites.*.power_scale",
            "p_target_by_deadline"
        ]
    );
    assert_eq!(
        table.column("supply.main.rate_scale"),
        ["0.9", "0.9", "1.1", "1.1"]
    );
    assert_eq!(
        table.column("sites.*.power_scale"),
        ["0.8", "1.2", "0.8", "1.2"]
    );
    assert_eq!(
        json_at(&json, "/points/3/set"),
        &serde_json::json!([
            "supply.main.rate_scale=1.1",
            "sites.alpha.power_scale=1.2",
            "sites.beta.power_scale=1.2"
        ])
    );
    let charts = dir.path().join("charts");
    assert_eq!(png_size(&charts.join("heatmap.png")), (1200, 700));
    let svg = std::fs::read_to_string(charts.join("heatmap.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "heatmap.svg is SVG");
    // The wildcard sets every site, exactly like naming each one.
    assert_point_equals_run(&json, 3);
}

#[test]
fn a_one_parameter_sweep_draws_the_line_chart_and_prints_a_table() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .args(["sweep"])
        .arg(fixture(TINY))
        .args([
            "--vary",
            "supply.main.rate_scale=0.8,1.2",
            "--trials",
            "100",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(contains("supply.main.rate_scale"))
        .stdout(contains("P(target)"))
        .stdout(contains("sweep.csv, sweep.json, charts/sweep.png"));
    assert_eq!(png_size(&dir.path().join("charts/sweep.png")), (1200, 700));
}

fn assert_bad(args: &[&str], message: &str) {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("sweep")
        .arg(fixture(TINY))
        .arg("--out")
        .arg(dir.path())
        .args(["--quiet", "--trials", "20"])
        .args(args)
        .assert()
        .code(2)
        .stderr(contains(message));
    assert!(
        !dir.path().join("sweep.csv").exists(),
        "bad input writes nothing"
    );
}

#[test]
fn bad_input_exits_2_naming_the_problem() {
    // A path the scenario does not have: named with its grid point and the field.
    assert_bad(
        &["--vary", "supply.nope.rate_scale=0.8,1.2"],
        "grid point supply.nope.rate_scale=0.8",
    );
    assert_bad(&["--vary", "supply.nope.rate_scale=0.8,1.2"], "`nope`");
    // A value the field rejects, at one grid point only.
    assert_bad(
        &["--vary", "sites.alpha.pue=1.2,0.5"],
        "grid point sites.alpha.pue=0.5",
    );
    assert_bad(
        &["--vary", "supply.main.rate_scale=0.8:1.2:1"],
        "at least 2",
    );
    assert_bad(
        &["--vary", "supply.main.rate_scale=0.8,fast"],
        "`fast` is not a number",
    );
    assert_bad(
        &["--vary", "supply.main.rate_scale"],
        "expected PATH=VALUES",
    );
    assert_bad(&["--vary", "scenario.*.x=1,2"], "is not an array");
    assert_bad(
        &["--vary", "a=1,2", "--vary", "b=1,2", "--vary", "c=1,2"],
        "one or two --vary",
    );
    assert_bad(
        &["--vary", "supply.main.rate_scale=1,2", "--threshold", "1.5"],
        "--threshold",
    );
}

#[test]
fn a_grid_beyond_a_million_points_exits_2_naming_the_cap() {
    // Each axis is within its 10,000 values; the product is refused before anything runs.
    assert_bad(
        &[
            "--vary",
            "supply.main.rate_scale=0.5:1.5:1001",
            "--vary",
            "sites.*.power_scale=0.5:1.5:1000",
        ],
        "the grid has 1,001,000 points (1001 × 1000); a sweep runs at most 1,000,000 grid points",
    );
}
