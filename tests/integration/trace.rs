//! `run --trace TRIAL`, the per-site `trials.csv` columns and `sites.csv`: a traced trial is
//! exactly that trial of the run (same seed, any thread count); a deterministic scenario's
//! `held_by` sequence is the one worked out by hand; `sites.csv` agrees with `summary.json`.

use std::path::Path;

use capsim::analysis;
use capsim::chart::{ChartFormat, TraceChart, render_trace};
use capsim::model::Model;
use capsim::stats::Bottleneck;

use crate::util::{Table, capsim, run_cli};

const BASE: &str = "scenarios/aws-openai-2026.toml";

/// Deterministic, worked by hand. Day 0 = 2026-01-05. Racks of 10 GPUs and 100 kW IT, PUE 1;
/// one site whose one phase (10 MW: 100 racks) is planned on day 20 (2026-01-25) with no delay
/// and opens for racks that day. Supply: 70 racks a week, one batch on day 7k + 6. Crews: 2.5
/// racks a day at a constant pace, floor(2.5(d+1)) − floor(2.5d) on day d; no burn-in, so racks
/// are online the day they are installed. Target 1,000 GPUs = 100 racks.
///
/// - days 0–5: nothing delivered, no open hall, a phase still to open: held by power;
/// - days 6–19: 70, then 140 racks wait without hall room: held by power;
/// - days 20–: racks wait with hall room for the crews: held by install; through day d,
///   floor(2.5(d+1)) − floor(2.5 · 20) = floor(2.5(d+1)) − 50 racks are online;
/// - day 59: 100 racks online (2.5 · 60 = 150), the target: held by nothing from then on.
///
/// Deadline day 54 (2026-02-28): floor(137.5) − 50 = 87 racks online, 870 GPUs.
const HAND: &str = r#"
[scenario]
name = "trace-by-hand"
start = 2026-01-05
deadline = 2026-02-28
horizon = 2026-03-31
target_gpus = 1000

[[accelerators]]
id = "test-rack"
gpus_per_rack = 10
rack_it_kw = 100
fp8_pflops_per_gpu = 2.0
bf16_pflops_per_gpu = 1.0

[[supply]]
id = "steady"
accelerator = "test-rack"
schedule = [
  { date = 2026-01-05, racks_per_week = 70 },
  { date = 2026-04-06, racks_per_week = 70 },
]

[[sites]]
id = "only"
pue = 1.0
accepts = ["test-rack"]
install_racks_per_day = 2.5

[[sites.phases]]
mw = 10
planned = 2026-01-25

[bring_up]
burn_in_days = 0
"#;

/// The hand scenario, written into `dir`.
fn hand_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("trace-by-hand.toml");
    std::fs::write(&path, HAND).unwrap();
    path
}

#[test]
fn a_traced_trial_is_that_trial_of_the_run_on_any_thread_count() {
    let traced = [0u64, 5, 17, 39];
    let list = traced.map(|t| t.to_string()).join(",");
    let scenario = capsim::scenario::load(&crate::util::root().join(BASE), &[]).unwrap();
    let model = Model::compile(&scenario).unwrap();
    let sites: Vec<String> = model.sites().iter().map(|s| s.id().to_string()).collect();
    for threads in ["1", "2"] {
        let out = run_cli(
            Path::new(BASE),
            &[
                "-n",
                "40",
                "--seed",
                "11",
                "-j",
                threads,
                "--cost-trials",
                "0",
                "--trials-csv",
                "--no-charts",
                "--trace",
                &list,
            ],
        );
        let trials = out.trials();
        let deadline = out.summary["deadline"].as_str().unwrap().to_string();
        for t in traced {
            let row = t as usize;
            assert_eq!(trials.number(row, "trial"), t as f64);
            // The library's trace: the same outcome as the run's row.
            let trace = analysis::trace(&model, 11, t);
            assert_eq!(
                trace.outcome.online_gpus_at_deadline as f64,
                trials.number(row, "online_gpus_at_deadline"),
                "trial {t}, {threads} threads"
            );
            assert_eq!(
                trace.outcome.available_gpus_at_deadline as f64,
                trials.number(row, "available_gpus_at_deadline"),
                "trial {t}, {threads} threads"
            );
            // The CLI's trace file: each site's racks online on the deadline day are the row's
            // per-site columns, and they add up to the row's online GPUs (72 GPUs a rack).
            let file = Table::read(&out.path(&format!("trace-{t}.csv")));
            let dates = file.column("date");
            let at_deadline: Vec<usize> = (0..file.rows.len())
                .filter(|&r| dates[r] == deadline)
                .collect();
            assert_eq!(at_deadline.len(), sites.len());
            let mut gpus = 0.0;
            for (&r, id) in at_deadline.iter().zip(&sites) {
                assert_eq!(file.rows[r][file.col("site")], *id);
                let racks = file.number(r, "racks_online");
                assert_eq!(
                    racks,
                    trials.number(row, &format!("racks_online_at_deadline.{id}")),
                    "trial {t}, site {id}"
                );
                gpus += racks * 72.0;
            }
            assert_eq!(gpus, trials.number(row, "online_gpus_at_deadline"));
        }
    }
}

#[test]
fn the_held_by_sequence_of_a_deterministic_scenario_is_the_one_worked_by_hand() {
    let tmp = tempfile::tempdir().unwrap();
    let path = hand_file(tmp.path());
    let scenario = capsim::scenario::load(&path, &[]).unwrap();
    let model = Model::compile(&scenario).unwrap();
    let trace = analysis::trace(&model, 1, 0);
    assert_eq!(trace.days(), 86);
    for day in 0..trace.days() {
        let expected = match day {
            0..=19 => Some(Bottleneck::Power),
            20..=58 => Some(Bottleneck::Install),
            _ => None,
        };
        let site = trace.site_day(day, 0);
        assert_eq!(site.held_by, expected, "day {day}: {site:?}");
        let online = if day < 20 {
            0
        } else {
            ((2.5 * (day + 1) as f64).floor() as u64 - 50).min(day as u64 * 1000)
        };
        assert_eq!(site.racks_online.min(100), online.min(100), "day {day}");
        assert_eq!(trace.phases_energized(day, 0), usize::from(day >= 20));
    }
    assert_eq!(trace.site_day(54, 0).racks_online, 87);
    assert_eq!(trace.outcome.online_gpus_at_deadline, 870);
    assert_eq!(trace.outcome.full_capacity_day, Some(59));
    assert_eq!(trace.site_day(13, 0).racks_staged, 140);
    // Power held the site for 20 days and crews for the remaining 35 up to the deadline.
    assert_eq!(trace.held_days_to_deadline(0), [0, 20, 35, 0, 0, 0]);

    // The CLI writes the same sequence, with the words of summary.json, and its chart.
    let out = tmp.path().join("out");
    capsim()
        .arg("run")
        .arg(&path)
        .args(["-n", "3", "--cost-trials", "0", "--quiet", "--trace", "2"])
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let file = Table::read(&out.join("trace-2.csv"));
    let held = file.column("held_by");
    assert_eq!(held.len(), 86);
    assert!(held[..20].iter().all(|h| *h == "power"), "{held:?}");
    assert!(held[20..59].iter().all(|h| *h == "install"), "{held:?}");
    assert!(held[59..].iter().all(|h| *h == "none"), "{held:?}");
    assert_eq!(file.rows[54][file.col("date")], "2026-02-28");
    assert_eq!(file.number(54, "racks_online"), 87.0);
    assert_eq!(file.number(54, "racks_installed"), 87.0);
    assert_eq!(file.number(19, "energized_mw"), 0.0);
    assert_eq!(file.number(20, "energized_mw"), 10.0);
    for ext in ["png", "svg"] {
        assert!(out.join(format!("charts/trace-2.{ext}")).is_file());
    }
}

#[test]
fn the_trace_chart_draws_a_strip_run_per_constraint_in_its_colour() {
    let tmp = tempfile::tempdir().unwrap();
    let scenario = capsim::scenario::load(&hand_file(tmp.path()), &[]).unwrap();
    let model = Model::compile(&scenario).unwrap();
    let csv = tmp.path().join("trace-0.csv");
    let file = std::fs::File::create(&csv).unwrap();
    capsim::output::write_trace_csv(&analysis::trace(&model, 1, 0), scenario.start, file).unwrap();
    let chart = TraceChart::read(&csv, scenario.deadline).unwrap();
    assert_eq!(chart.trial, 0);
    assert_eq!(chart.sites.len(), 1);
    let svg =
        String::from_utf8(render_trace(&chart, ChartFormat::Svg, (900, 500)).unwrap()).unwrap();
    // One rectangle per run of equal days: power (vermillion), then install (orange); none
    // once the target is met, none for supply. Each cause also has one legend swatch at full
    // opacity (the stacked layers are lighter).
    let strips = |colour: &str| {
        svg.matches(&format!("opacity=\"1\" fill=\"{colour}\" stroke=\"none\""))
            .count()
            - 1
    };
    assert_eq!(strips("#D55E00"), 1, "power");
    assert_eq!(strips("#E69F00"), 1, "install");
    assert_eq!(strips("#56B4E9"), 0, "supply");
    assert_eq!(strips("#009E73"), 0, "bring-up");
}

#[test]
fn a_trace_outside_the_run_is_refused_with_exit_code_2() {
    let tmp = tempfile::tempdir().unwrap();
    let path = hand_file(tmp.path());
    for (args, message) in [
        (
            vec!["-n", "3", "--trace", "3"],
            "--trace 3: trials are numbered from 0 to 2",
        ),
        (vec!["-n", "3", "--trace", "1,x"], "--trace"),
        (
            vec!["-n", "4", "--shard", "0/2", "--trace", "1"],
            "--trace cannot be combined with sharding",
        ),
    ] {
        capsim()
            .arg("run")
            .arg(&path)
            .args(&args)
            .arg("--out")
            .arg(tmp.path().join("out"))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(message));
    }
}

#[test]
fn sites_csv_agrees_with_summary_json_and_merged_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_cli(
        Path::new(BASE),
        &[
            "-n",
            "60",
            "--seed",
            "3",
            "--cost-trials",
            "0",
            "--no-charts",
        ],
    );
    let sites = Table::read(&out.path("sites.csv"));
    let summary_sites = out.summary["sites"].as_array().unwrap();
    let phases: usize = summary_sites
        .iter()
        .map(|s| s["phases"].as_array().unwrap().len())
        .sum();
    assert_eq!(sites.rows.len(), phases, "one row per phase");
    let mut row = 0;
    for site in summary_sites {
        for (k, phase) in site["phases"].as_array().unwrap().iter().enumerate() {
            let cell = |name: &str| sites.rows[row][sites.col(name)].clone();
            assert_eq!(cell("site"), site["id"].as_str().unwrap());
            assert_eq!(cell("region"), site["region"].as_str().unwrap());
            assert_eq!(cell("phase"), (k + 1).to_string());
            assert_eq!(cell("planned_date"), phase["planned"].as_str().unwrap());
            assert_eq!(
                cell("energized_p50"),
                phase["median_energized"].as_str().unwrap()
            );
            assert!(cell("energized_p10") <= cell("energized_p50"));
            assert!(cell("energized_p50") <= cell("energized_p90"));
            assert_eq!(sites.number(row, "phase_mw"), phase["mw"].as_f64().unwrap());
            assert_eq!(
                sites.number(row, "racks_online_at_deadline_p50"),
                site["median_racks_online_at_deadline"].as_f64().unwrap()
            );
            row += 1;
        }
    }
    // Sharded and merged: the same bytes.
    let shards = tmp.path().join("shards");
    for k in 0..3 {
        capsim()
            .args([
                "run",
                BASE,
                "--quiet",
                "-n",
                "60",
                "--seed",
                "3",
                "--cost-trials",
                "0",
            ])
            .args(["--no-charts", "--shard", &format!("{k}/3"), "--out"])
            .arg(&shards)
            .assert()
            .success();
    }
    let merged = tmp.path().join("merged");
    crate::util::merge_cli(&[&shards], &merged, &["--no-charts"]).success();
    assert_eq!(
        std::fs::read(merged.join("sites.csv")).unwrap(),
        std::fs::read(out.path("sites.csv")).unwrap()
    );
}

/// The lower median of `(gpus, trial)` pairs, lowest trial among ties: the definition of
/// [`analysis::typical_examples`], worked from `trials.csv`.
fn median_trial(mut pairs: Vec<(u64, u64)>) -> Option<u64> {
    pairs.sort();
    let gpus = pairs.get(pairs.len().checked_sub(1)? / 2)?.0;
    pairs.iter().find(|p| p.0 == gpus).map(|p| p.1)
}

#[test]
fn the_typical_examples_are_the_median_missed_and_met_trials_of_trials_csv() {
    let args = [
        "-n",
        "80",
        "--seed",
        "3",
        "--cost-trials",
        "0",
        "--trials-csv",
    ];
    let out = run_cli(Path::new(BASE), &[&args[..], &["--threads", "2"]].concat());
    let trials = out.trials();
    let (mut missed, mut met) = (Vec::new(), Vec::new());
    for row in &trials.rows[..64] {
        let cell = |name: &str| row[trials.col(name)].parse::<u64>().unwrap();
        let pair = (cell("online_gpus_at_deadline"), cell("trial"));
        if cell("met_target_by_deadline") == 1 {
            met.push(pair);
        } else {
            missed.push(pair);
        }
    }
    assert!(
        missed.len() >= 2 && met.len() >= 2,
        "the base case has trials of both kinds"
    );
    let examples = Table::read(&out.path("examples/examples.csv"));
    assert_eq!(examples.column("example"), ["missed", "met"]);
    assert_eq!(examples.column("traced_trials"), ["64", "64"]);
    for (row, kind) in [missed, met].into_iter().enumerate() {
        let count = kind.len().to_string();
        let trial = median_trial(kind).unwrap();
        assert_eq!(examples.column("trial")[row], trial.to_string());
        assert_eq!(examples.column("traced_trials_with_outcome")[row], count);
        // Its figures are its trials.csv row, and its trace is in examples/.
        let of_trial = |name: &str| trials.rows[trial as usize][trials.col(name)].clone();
        for column in ["full_capacity_date", "online_gpus_at_deadline"] {
            assert_eq!(examples.column(column)[row], of_trial(column));
        }
        let trace = Table::read(&out.path(&format!("examples/trace-{trial}.csv")));
        let deadline_gpus: f64 = trace
            .rows
            .iter()
            .filter(|r| r[0] == "2026-12-31")
            .map(|r| r[trace.col("racks_online")].parse::<f64>().unwrap() * 72.0)
            .sum();
        assert_eq!(
            deadline_gpus.to_string(),
            of_trial("online_gpus_at_deadline")
        );
    }
    // The same examples on one thread.
    let one = run_cli(Path::new(BASE), &[&args[..], &["--threads", "1"]].concat());
    for file in std::fs::read_dir(out.path("examples")).unwrap() {
        let name = file.unwrap().file_name();
        assert_eq!(
            std::fs::read(out.path("examples").join(&name)).unwrap(),
            std::fs::read(one.path("examples").join(&name)).unwrap(),
            "{name:?}"
        );
    }
}

#[test]
fn typical_examples_trace_at_most_64_trials_and_may_lack_a_kind() {
    let model = Model::compile(&crate::util::load("valid/tiny.toml")).unwrap();
    let few = analysis::typical_examples(&model, 5, 20);
    assert_eq!(few.traced, 20);
    let many = analysis::typical_examples(&model, 5, 1000);
    assert_eq!(many.traced, analysis::EXAMPLE_TRIALS);
    for examples in [&few, &many] {
        let met = examples
            .met
            .as_ref()
            .expect("tiny has runs that meet the target");
        assert!(met.met_target());
        assert!(
            !examples
                .missed
                .as_ref()
                .expect("and runs that miss")
                .met_target()
        );
    }
    // A deterministic scenario that always misses: no example that met the target.
    let hand = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(hand_file(hand.path())).unwrap();
    let scenario = capsim::scenario::parse(&text, Path::new("hand.toml")).unwrap();
    let always = analysis::typical_examples(&Model::compile(&scenario).unwrap(), 1, 5);
    assert_eq!((always.traced, always.missed_count), (5, 5));
    assert_eq!(
        always.missed.map(|t| t.trial),
        Some(0),
        "all tie: the lowest index"
    );
    assert!(always.met.is_none());
}

#[test]
fn traces_on_a_shared_scale_have_the_same_site_axes() {
    use capsim::chart::{TraceSite, render_trace_on_scale, shared_site_scale};
    let start: jiff::civil::Date = "2026-01-05".parse().unwrap();
    // Two sites over three days; layers are online, bring-up, awaiting power, staged.
    let site = |id: &str, online: [f64; 3], staged: [f64; 3]| TraceSite {
        id: id.into(),
        layers: [online.to_vec(), vec![0.0; 3], vec![0.0; 3], staged.to_vec()],
        held_by: vec![None; 3],
    };
    let chart = |a: TraceSite, b: TraceSite| TraceChart {
        trial: 0,
        start,
        deadline: "2026-01-06".parse().unwrap(),
        sites: vec![a, b],
    };
    let low = chart(
        site("a", [10.0, 20.0, 30.0], [5.0, 0.0, 0.0]),
        site("b", [0.0, 100.0, 400.0], [0.0; 3]),
    );
    let high = chart(
        site("a", [100.0, 200.0, 250.0], [0.0, 0.0, 50.0]),
        site("b", [0.0, 10.0, 40.0], [0.0; 3]),
    );
    assert_eq!(low.site_peaks(), [30.0, 400.0]);
    assert_eq!(high.site_peaks(), [300.0, 40.0]);
    let tops = shared_site_scale(&[&low, &high]);
    assert_eq!(tops, [300.0, 400.0]);
    // The charts' text: titles, dates and y ticks. On the shared scale the two charts have the
    // same, each on its own they do not.
    let texts = |c: &TraceChart, tops: Option<&[f64]>| {
        let svg = render_trace_on_scale(c, tops, ChartFormat::Svg, (700, 700)).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        svg.split("<text")
            .skip(1)
            .map(|t| {
                t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()]
                    .trim()
                    .to_owned()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(texts(&low, Some(&tops)), texts(&high, Some(&tops)));
    assert_ne!(texts(&low, None), texts(&high, None));
}
