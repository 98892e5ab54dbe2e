//! `capsim sweep`: every grid point equals a plain `capsim run` with the same `--set`s (common
//! random numbers), also for dates, policies and whole distributions (a number that fixes a
//! distribution is noted), P(target) rises with the delivery rate, the files and chart have their
//! documented shape, and bad input exits 2 with a message naming the problem. The library's
//! sweep ([`capsim::analysis::sweep`]) gives the same points, writes the same files as the
//! binary, and its shards merge to the whole sweep.

use std::path::Path;

use capsim::analysis::sweep::{
    Headline, ParamValue, SweepPlan, SweepRequest, SweepResult, Swept, Vary, sweep as sweep_lib,
};
use capsim::chart::ChartFormat;
use capsim::model::Model;
use capsim::results::{ChartOptions, write_sweep};
use capsim::shard::{self, MergedRuns, PartialBody, Shard};
use capsim::stats::Summary;
use predicates::str::contains;
use serde_json::Value;

use crate::util::{Table, capsim, config, fixture, json_at, report, root, run_cli, run_lib};

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

#[test]
fn dates_strings_and_distributions_sweep_as_text_and_each_point_equals_a_plain_run() {
    let (dir, json) = sweep(&[
        "--vary",
        "power_limits.east-cap.region=east,west",
        "--vary",
        "scenario.deadline=2026-03-10,2026-04-20",
        "--trials",
        "200",
        "--no-charts",
    ]);
    assert_eq!(
        json_at(&json, "/parameters/1/values"),
        &serde_json::json!(["2026-03-10", "2026-04-20"])
    );
    assert_eq!(
        json_at(&json, "/points/3/values"),
        &serde_json::json!(["west", "2026-04-20"])
    );
    let table = Table::read(&dir.path().join("sweep.csv"));
    assert_eq!(
        table.column("power_limits.east-cap.region")[..2],
        ["east", "east"]
    );
    let p = table.numbers("p_target_by_deadline");
    // The later deadline can only help a trial: its P is at least the earlier one's.
    assert!(p[1] >= p[0] && p[3] >= p[2], "{p:?}");
    assert!(json.get("notes").is_none(), "nothing fixed, no notes");
    for point in [1, 2] {
        assert_point_equals_run(&json, point);
    }

    // Whole distributions, and a number that fixes one: the note says so.
    let (_dir, json) = sweep(&[
        "--vary",
        r#"sites.alpha.phases.0.delay_days=0,{ kind = "uniform", min = 0, max = 30 },{kind="pert",min=0,mode=7,max=30}"#,
        "--trials",
        "200",
        "--no-charts",
    ]);
    assert_eq!(
        json_at(&json, "/parameters/0/values/1"),
        &serde_json::json!(r#"{ kind = "uniform", min = 0, max = 30 }"#)
    );
    assert_eq!(
        json_at(&json, "/notes"),
        &serde_json::json!([
            "sites.alpha.phases.0.delay_days: a distribution in the scenario, fixed at each swept value"
        ])
    );
    // The scenario's own distribution, swept back in, gives the plain run.
    assert_point_equals_run(&json, 2);
}

#[test]
fn a_sweep_that_is_not_numeric_prints_its_table_and_draws_its_values_as_categories() {
    let dir = tempfile::tempdir().unwrap();
    capsim()
        .args(["sweep"])
        .arg(fixture(TINY))
        .args([
            "--vary",
            "sites.*.install_racks_per_day=3,5",
            "--vary",
            "power_limits.east-cap.region=east,west",
            "--trials",
            "50",
            "--out",
        ])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(contains(
            "Note: sites.*.install_racks_per_day: a distribution in the scenario at 1 of its 2 \
             paths, fixed at each swept value",
        ))
        .stdout(contains("  3                             east"));
    // The heatmap's second axis is the two regions, named in its ticks.
    let svg = std::fs::read_to_string(dir.path().join("charts/heatmap.svg")).unwrap();
    let texts: Vec<&str> = svg
        .split("</text>")
        .filter_map(|chunk| chunk.rsplit_once('>').map(|(_, text)| text.trim()))
        .collect();
    for region in ["east", "west"] {
        assert!(texts.contains(&region), "no tick {region} in {texts:?}");
    }
}

#[test]
fn a_swept_deadline_says_the_target_line_is_the_scenarios() {
    let table = |vary: &str| {
        let out = capsim()
            .args(["sweep"])
            .arg(fixture(TINY))
            .args(["--vary", vary, "--trials", "20", "--no-charts", "--out"])
            .arg(tempfile::tempdir().unwrap().path())
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone()).unwrap()
    };
    let dated = table("scenario.deadline=2026-03-10,2026-04-20");
    assert!(
        dated.contains(
            "Target: 1,500 GPUs online by 2026-03-10 (the scenario's; scenario.deadline varies \
             by row)"
        ),
        "{dated}"
    );
    let plain = table("supply.main.rate_scale=0.9,1.1");
    assert!(
        plain.contains("Target: 1,500 GPUs online by 2026-03-10\n"),
        "{plain}"
    );
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
    // A list item that is not a number is a value like any other: the field rejects it.
    assert_bad(
        &["--vary", "supply.main.rate_scale=0.8,fast"],
        "grid point supply.main.rate_scale=fast",
    );
    assert_bad(
        &["--vary", "sites.alpha.delay_days={ kind = \"fixed\",1"],
        "a `}` is missing",
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

/// A library request sweeping tiny.toml's delivery rate over `values`, `trials` per point.
fn lib_request(values: &str, trials: u64) -> SweepRequest {
    let vary = Vary::parse(&format!("supply.main.rate_scale={values}")).unwrap();
    SweepRequest {
        trials: Some(trials),
        ..SweepRequest::new(root().join(fixture(TINY)), vec![vary])
    }
}

/// The whole result of `request`, run on one thread.
fn lib_sweep(request: &SweepRequest) -> SweepResult {
    let request = SweepRequest {
        threads: 1,
        ..request.clone()
    };
    match sweep_lib(&request, None, &|_| {}) {
        Ok(Swept::Whole(result)) => result,
        other => panic!("expected a whole sweep, got {other:?}"),
    }
}

#[test]
fn the_library_sweep_gives_each_point_the_plain_run_of_its_sets() {
    let result = lib_sweep(&lib_request("0.7,1.3", 120));
    // The scenario's seed; the request's trials.
    assert_eq!((result.seed, result.trials), (11, 120));
    assert_eq!(
        result.parameters[0].values,
        [ParamValue::Number(0.7), ParamValue::Number(1.3)]
    );
    assert_eq!(result.parameters[0].expands_to, ["supply.main.rate_scale"]);
    for (point, text) in result.points.iter().zip(["0.7", "1.3"]) {
        assert_eq!(point.texts, [text]);
        assert_eq!(point.set, [format!("supply.main.rate_scale={text}")]);
        let scenario = capsim::scenario::load(&root().join(fixture(TINY)), &point.set).unwrap();
        let acc = run_lib(&Model::compile(&scenario).unwrap(), &config(120, 11));
        let (summary, _): (Summary, _) = report(&scenario, &acc, 11);
        assert_eq!(point.headline, Headline::from(summary), "point {text}");
    }
    let p: Vec<f64> = result
        .points
        .iter()
        .map(|p| p.headline.p_target_by_deadline.estimate)
        .collect();
    assert!(
        p[1] - p[0] > 0.3,
        "a faster delivery rate meets the target: {p:?}"
    );
}

#[test]
fn the_library_writes_the_files_the_binary_writes() {
    let request = lib_request("0.8,1.2", 60);
    let lib_dir = tempfile::tempdir().unwrap();
    let written = write_sweep(lib_dir.path(), &lib_sweep(&request), None).unwrap();
    assert_eq!(written.files, ["sweep.csv", "sweep.json"]);
    assert!(written.charts.is_empty(), "no chart options, no charts");
    let cli_dir = tempfile::tempdir().unwrap();
    capsim()
        .arg("sweep")
        .arg(&request.scenario)
        .args([
            "--vary",
            "supply.main.rate_scale=0.8,1.2",
            "-n",
            "60",
            "--quiet",
        ])
        .args(["--no-charts", "--out"])
        .arg(cli_dir.path())
        .assert()
        .success();
    for file in ["sweep.csv", "sweep.json"] {
        let read = |dir: &Path| std::fs::read(dir.join(file)).unwrap();
        assert!(
            read(lib_dir.path()) == read(cli_dir.path()),
            "{file} differs between the library and the binary"
        );
    }
}

#[test]
fn library_charts_follow_the_chart_options() {
    let result = lib_sweep(&lib_request("0.8,1.2", 20));
    let dir = tempfile::tempdir().unwrap();
    let options = ChartOptions {
        formats: vec![ChartFormat::Svg],
        size: (600, 400),
        command: None,
    };
    let written = write_sweep(dir.path(), &result, Some(&options)).unwrap();
    assert_eq!(written.charts, [dir.path().join("charts/sweep.svg")]);
    assert!(!dir.path().join("charts/sweep.png").exists(), "SVG only");
    let svg = std::fs::read_to_string(dir.path().join("charts/sweep.svg")).unwrap();
    assert!(svg.contains(r#"width="600""#), "drawn at the asked size");
}

#[test]
fn library_shards_merge_to_the_whole_sweep() {
    let request = lib_request("0.8,1.0,1.25", 61);
    let whole = lib_sweep(&request);
    let mut header = None;
    let mut bodies: Vec<PartialBody> = Vec::new();
    for index in 0..3 {
        let shard = Shard::new(index, 3);
        let plan = SweepPlan::new(&request).unwrap();
        assert_eq!(plan.grid_points(), 3);
        assert_eq!(
            plan.trials_to_run(shard),
            3 * (61 * (index + 1) / 3 - 61 * index / 3)
        );
        let Swept::Shard(partial) = plan.run(1, shard, None, &|_| {}).unwrap() else {
            panic!("a shard's sweep is a partial");
        };
        if bodies.is_empty() {
            bodies = partial.bodies;
        } else {
            for (total, body) in bodies.iter_mut().zip(&partial.bodies) {
                total.accumulator.merge(&body.accumulator);
            }
        }
        header.get_or_insert(partial.header);
    }
    let header = header.unwrap();
    let scenarios: Vec<_> = shard::stored_runs(&header, Path::new("shard-0"))
        .unwrap()
        .into_iter()
        .map(|run| run.scenario)
        .collect();
    let merged = MergedRuns {
        header: &header,
        scenarios: &scenarios,
        bodies: &bodies,
    };
    assert_eq!(SweepResult::from_merged(&merged).unwrap(), whole);
}

#[test]
fn library_requests_are_checked_before_anything_runs() {
    let refused = |request: &SweepRequest| {
        let e = SweepPlan::new(request).unwrap_err();
        assert!(e.is_input_error(), "{e}");
        e.to_string()
    };
    let e = refused(&SweepRequest {
        threshold: 1.5,
        ..lib_request("1,2", 10)
    });
    assert!(e.contains("--threshold must be a probability"), "{e}");
    let e = refused(&SweepRequest {
        trials: Some(0),
        ..lib_request("1,2", 10)
    });
    assert!(e.contains("--trials must be between 1 and"), "{e}");
    let mut twice = lib_request("1,2", 10);
    twice.vary.push(twice.vary[0].clone());
    assert!(refused(&twice).contains("names `supply.main.rate_scale` twice"));
    let e = refused(&SweepRequest::new(root().join(fixture(TINY)), Vec::new()));
    assert!(e.contains("one or two --vary (found 0)"), "{e}");
    let e = refused(&SweepRequest {
        vary: vec![Vary::parse("sites.alpha.pue=1.2,0.5").unwrap()],
        ..lib_request("1,2", 10)
    });
    assert!(e.starts_with("grid point sites.alpha.pue=0.5: "), "{e}");
    // A shard needs at least one trial.
    let plan = SweepPlan::new(&lib_request("1,2", 2)).unwrap();
    let e = plan.run(1, Shard::new(0, 3), None, &|_| {}).unwrap_err();
    assert!(e.to_string().contains("3 shards for 2 trials"), "{e}");
}
