//! `report.html`: every results folder gets one, self-contained (no script, nothing loaded from
//! elsewhere), its figures equal to the folder's JSON, scenario text escaped, none with
//! `--no-charts`, and the same bytes when written twice. Rendering is checked in a real browser by
//! `tests/report/run.sh`.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::{capsim, fixture};

/// Runs `capsim ARGS -o OUT -n 40 --seed 5 --quiet` and returns OUT's `report.html`.
fn report_of(args: &[&str], out: &Path) -> String {
    capsim()
        .args(args)
        .arg("-o")
        .arg(out)
        .args(["-n", "40", "--seed", "5", "--quiet"])
        .assert()
        .success();
    fs::read_to_string(out.join("report.html")).expect("report.html is written")
}

/// Every `(path, format, printed text)` of the page's `data-figure` elements.
fn figures(html: &str) -> Vec<(String, String, String)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("data-figure=\"") {
        rest = &rest[i + 13..];
        let path = &rest[..rest.find('"').unwrap()];
        let format_at = rest.find("data-format=\"").unwrap() + 13;
        let format = &rest[format_at..format_at + rest[format_at..].find('"').unwrap()];
        let text_at = rest.find('>').unwrap() + 1;
        let text = &rest[text_at..text_at + rest[text_at..].find('<').unwrap()];
        found.push((path.to_owned(), format.to_owned(), unescape(text)));
    }
    found
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The value at a dotted path (`sites.0.phases.1.planned`).
fn at<'a>(json: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(json, |v, key| match key.parse::<usize>() {
            Ok(i) if v.is_array() => &v[i],
            _ => &v[key],
        })
}

fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `value` printed as the report's `data-format` says (see `capsim::results::report`).
fn printed(value: &Value, format: &str) -> String {
    let v = || value.as_f64().unwrap();
    match format {
        "percent" => format!("{:.1}%", (v() * 1000.0).round() / 10.0),
        "points" => format!("{:+.1} pts", (v() * 1000.0).round() / 10.0),
        "count" => thousands(v()),
        "fixed3" => format!("{:+.3}", (v() * 1000.0).round() / 1000.0),
        "number" => format!("{}", v()),
        "text" => match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        },
        other => panic!("unknown data-format {other}"),
    }
}

/// Checks every figure of `html` against `json`; returns how many there were.
fn check_figures(html: &str, json: &Value) -> usize {
    let found = figures(html);
    for (path, format, text) in &found {
        let value = at(json, path);
        assert!(!value.is_null(), "data-figure {path} is not in the JSON");
        assert_eq!(
            text,
            &printed(value, format),
            "data-figure {path} ({format}) prints {text}, the JSON holds {value}"
        );
    }
    found.len()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn assert_self_contained(html: &str, what: &str) {
    for banned in ["http://", "https://", "<script", "src=\"//", "url("] {
        // The SVG namespace and the charts' embedded fonts (`url(data:...)`) load nothing.
        let allowed_namespace = html
            .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
            .replace("url(data:", "");
        assert!(
            !allowed_namespace.contains(banned),
            "{what}: report.html contains {banned}"
        );
    }
    assert!(html.starts_with("<!DOCTYPE html>"), "{what}");
    // One style block for the page; the charts' own blocks only declare their embedded fonts.
    let head = html.split("<body").next().unwrap();
    assert_eq!(
        head.matches("<style>").count(),
        1,
        "{what}: one style block"
    );
    let body = html.split("<body").nth(1).unwrap();
    for block in body.split("<style>").skip(1) {
        let css = block.split("</style>").next().unwrap();
        assert!(
            css.trim_start().starts_with("@font-face"),
            "{what}: a style block in the body does more than embed a font"
        );
    }
}

#[test]
fn a_run_report_states_the_answer_with_the_summarys_figures() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let tiny = fixture("valid/tiny.toml");
    let html = report_of(&["run", tiny.to_str().unwrap()], &out);
    assert_self_contained(&html, "run");
    assert!(html.contains("Will tiny reach 1,500 GPUs by"), "{html}");
    let summary = json(&out.join("summary.json"));
    let n = check_figures(&html, &summary);
    assert!(n >= 30, "only {n} figures checked");
    for path in [
        "p_target_by_deadline.estimate",
        "p_target_by_deadline.ci95_low",
        "full_capacity_date.never_fraction",
        "available_gpus_at_deadline.p50",
        "bottleneck_share.supply",
        "constraint_costs.costs.0.p_target_lifted",
        "sites.1.phases.0.median_energized",
        "sites.1.median_racks_online_at_deadline",
        "seed",
    ] {
        assert!(html.contains(&format!("data-figure=\"{path}\"")), "{path}");
    }
    // The six charts, then the typical miss and hit: both on one axis, then each by site.
    assert_eq!(html.matches("<figure>").count(), 9, "one figure per chart");
    assert_eq!(html.matches("<svg ").count(), 9);
    assert_eq!(html.matches("viewBox=").count(), 9, "every chart scales");
    let resolved = fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
    let first_line = resolved.lines().find(|l| l.contains('"')).unwrap();
    assert!(
        html.contains(&first_line.replace('&', "&amp;").replace('"', "&quot;")),
        "the resolved scenario is in the page, escaped: {first_line}"
    );
    assert!(
        html.contains("<dt>Command</dt>"),
        "the CLI passes its command line"
    );
}

#[test]
fn compare_sweep_and_sensitivity_reports_quote_their_json() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("valid/tiny.toml");
    let tiny = tiny.to_str().unwrap();
    let cases: [(&str, Vec<&str>, &str); 3] = [
        ("compare", vec!["compare", tiny, tiny], "compare.json"),
        (
            "sweep",
            vec!["sweep", tiny, "--vary", "supply.main.rate_scale=0.8,1.2"],
            "sweep.json",
        ),
        ("sensitivity", vec!["sensitivity", tiny], "sensitivity.json"),
    ];
    for (kind, args, file) in cases {
        let out = dir.path().join(kind);
        let html = report_of(&args, &out);
        assert_self_contained(&html, kind);
        let n = check_figures(&html, &json(&out.join(file)));
        assert!(n >= 5, "{kind}: only {n} figures checked");
        assert!(html.contains("<figure>"), "{kind}: its chart is inline");
        assert!(html.contains("<table>"), "{kind}: its table");
        assert!(html.contains("<dt>Command</dt>"), "{kind}");
    }
}

#[test]
fn scenario_text_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let source = fs::read_to_string(crate::util::root().join(fixture("valid/tiny.toml"))).unwrap();
    let hostile = source.replacen("name = \"tiny\"", "name = \"<b>&amp\"", 1);
    assert_ne!(hostile, source);
    let scenario = dir.path().join("hostile.toml");
    fs::write(&scenario, hostile).unwrap();
    let html = report_of(
        &["run", scenario.to_str().unwrap()],
        &dir.path().join("out"),
    );
    assert!(
        !html.contains("<b>"),
        "a tag from the scenario reached the page"
    );
    assert!(
        html.contains("Will &lt;b&gt;&amp;amp reach"),
        "escaped in the question"
    );
}

#[test]
fn no_charts_writes_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    capsim()
        .args([
            "run",
            fixture("valid/tiny.toml").to_str().unwrap(),
            "--no-charts",
        ])
        .arg("-o")
        .arg(&out)
        .args(["-n", "20", "--quiet"])
        .assert()
        .success();
    assert!(out.join("summary.json").is_file());
    assert!(!out.join("report.html").exists());
}

#[test]
fn a_report_written_twice_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let first = report_of(&["run", fixture("valid/tiny.toml").to_str().unwrap()], &out);
    capsim::results::write_run_report(&out, Some(&command_of(&first))).unwrap();
    let again = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(first == again, "the report redrawn from the folder differs");
    capsim().arg("plot").arg(&out).assert().success();
    let plotted = fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        first == plotted,
        "`capsim plot` redraws the same report, command kept"
    );
}

/// The command line quoted in a report's provenance, unescaped.
fn command_of(html: &str) -> String {
    let start = html.find("<dt>Command</dt><dd><code>").unwrap() + 26;
    unescape(&html[start..start + html[start..].find("</code>").unwrap()])
}

#[test]
fn validation_warnings_stand_out_and_a_clean_run_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("valid/tiny.toml");
    let tiny = tiny.to_str().unwrap();
    let out = dir.path().join("unreachable");
    let html = report_of(
        &["run", tiny, "--set", "scenario.target_gpus=1000000"],
        &out,
    );
    let warnings = json(&out.join("summary.json"))["warnings"].clone();
    let first = warnings[0]
        .as_str()
        .expect("an unreachable target is warned about");
    assert!(html.contains("<section class=\"warnings\">"), "{html}");
    assert!(html.contains(&format!("<li>{first}</li>")), "{first}");
    let clean = report_of(&["run", tiny], &dir.path().join("clean"));
    assert!(!clean.contains("class=\"warnings\""));
}

/// A trace CSV's rows on `date`: (site, racks staged, awaiting power, in bring-up, online,
/// held_by).
fn trace_day(path: &Path, date: &str) -> Vec<(String, [f64; 4], String)> {
    let table = crate::util::Table::read(path);
    let n = |r: &Vec<String>, c: &str| r[table.col(c)].parse::<f64>().unwrap();
    table
        .rows
        .iter()
        .filter(|r| r[0] == date)
        .map(|r| {
            (
                r[1].clone(),
                [
                    n(r, "racks_staged"),
                    n(r, "racks_awaiting_power"),
                    n(r, "racks_in_bring_up"),
                    n(r, "racks_online"),
                ],
                r[table.col("held_by")].clone(),
            )
        })
        .collect()
}

#[test]
fn the_run_report_shows_a_typical_miss_and_hit_read_from_their_traces() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let html = report_of(
        &["run", "scenarios/aws-openai-2026.toml", "--trace", "7"],
        &out,
    );
    let examples = crate::util::Table::read(&out.join("examples/examples.csv"));
    let trial = |row: usize| examples.rows[row][examples.col("trial")].clone();
    let (missed, met) = (trial(0), trial(1));
    assert!(
        !missed.is_empty() && !met.is_empty(),
        "seed 5 has both kinds"
    );
    let section = &html[html
        .find("<h2>A run that missed and a run that met the target</h2>")
        .expect("the section")..];
    let section = &section[..section.find("</section>").unwrap()];
    assert_eq!(section.matches("<figure>").count(), 3, "{section}");
    // The miss: its GPUs on the deadline and the site with the most racks not yet online, as
    // its trace file has them (racks of 72 GPUs).
    let deadline = trace_day(
        &out.join(format!("examples/trace-{missed}.csv")),
        "2026-12-31",
    );
    let gpus: f64 = deadline.iter().map(|(_, r, _)| r[3] * 72.0).sum();
    assert!(gpus < 250_000.0);
    let waiting = |r: &[f64; 4]| r[0] + r[1] + r[2];
    let (site, racks, held) = deadline
        .iter()
        .rev()
        .max_by(|a, b| waiting(&a.1).total_cmp(&waiting(&b.1)))
        .unwrap();
    let [staged, awaiting_power, bring_up, _] = *racks;
    let hold = match held.as_str() {
        "power" => format!(
            "{} racks at {site} were waiting for power",
            thousands(staged + awaiting_power)
        ),
        "install" => format!(
            "{} racks at {site} were waiting to be installed",
            thousands(staged)
        ),
        "space" => format!(
            "{} racks at {site} were waiting for floor space",
            thousands(staged)
        ),
        "bring_up" => format!("{} racks at {site} were in bring-up", thousands(bring_up)),
        other => panic!("a typical miss of the base case held by {other}"),
    };
    let expected = format!(
        "Trial {missed} missed by {} GPUs ({} of 250,000 online on 2026-12-31): on the \
         deadline {hold}",
        thousands(250_000.0 - gpus),
        thousands(gpus),
    );
    assert!(section.contains(&expected), "{expected}\n{section}");
    // The hit: the first day its fleet reaches the target, which trials.csv would call its
    // full-capacity date (examples.csv quotes it).
    let met_date = examples.rows[1][examples.col("full_capacity_date")].clone();
    let trace = crate::util::Table::read(&out.join(format!("examples/trace-{met}.csv")));
    let mut by_day = std::collections::BTreeMap::<String, f64>::new();
    for r in &trace.rows {
        *by_day.entry(r[0].clone()).or_default() +=
            r[trace.col("racks_online")].parse::<f64>().unwrap() * 72.0;
    }
    let first = by_day.iter().find(|(_, g)| **g >= 250_000.0).unwrap().0;
    assert_eq!(first, &met_date);
    assert!(
        section.contains(&format!("Trial {met} met the target on {met_date}, ")),
        "{section}"
    );
    assert!(section.contains(&format!("Trial {met} (met)")));
    assert!(section.contains(&format!("Trial {missed} (missed)")));
    // The user's --trace has a figure of its own.
    assert!(html.contains("<strong>Trial 7 day by day (trace-7.csv).</strong> Trial 7 "));
}

#[test]
fn a_report_says_when_no_trial_missed_or_none_met_the_target() {
    let dir = tempfile::tempdir().unwrap();
    for (fixture_name, absent, shown) in [
        ("valid/status_done.toml", "missed", "met"),
        ("valid/ka_supply_only.toml", "met", "missed"),
    ] {
        let out = dir.path().join(absent);
        let html = report_of(&["run", fixture(fixture_name).to_str().unwrap()], &out);
        let other = if absent == "met" { "missed" } else { "met" };
        assert!(
            html.contains(&format!(
                "No run that {absent} the target to show: all 40 traced trials {other} it."
            )),
            "{fixture_name}: {html}"
        );
        assert!(
            html.contains(&format!("Trial 0 ({shown})")),
            "{fixture_name}"
        );
        let examples = fs::read_to_string(out.join("examples/examples.csv")).unwrap();
        assert!(
            examples.contains(&format!("\n{absent},,40,0,,\n")),
            "{examples}"
        );
    }
}

#[test]
fn a_solve_report_asks_the_question_and_answers_with_solve_jsons_figures() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("valid/tiny.toml");
    // A date input, and a number whose answer's interval reaches the range's end.
    let cases = [
        (
            "scenario.deadline=2026-02-15:2026-04-30",
            "p_target>=0.8",
            "<h1>What value of deadline gives P(target by deadline) ≥ 80%?</h1>",
        ),
        (
            "supply.main.rate_scale=0.5:2.0",
            "p_target>=50%",
            "<h1>What value of supply rate scale, stream main gives P(target by deadline) ≥ \
             50%?</h1>",
        ),
    ];
    for (k, (vary, goal, question)) in cases.into_iter().enumerate() {
        let out = dir.path().join(format!("solve{k}"));
        let html = report_of(
            &[
                "solve",
                tiny.to_str().unwrap(),
                "--vary",
                vary,
                "--for",
                goal,
            ],
            &out,
        );
        assert_self_contained(&html, vary);
        let solve = json(&out.join("solve.json"));
        assert_eq!(
            solve["outcome"], "found",
            "{vary}: the range brackets the goal"
        );
        assert!(
            html.contains(question),
            "{vary}: the question leads: {html}"
        );
        let n = check_figures(&html, &solve);
        let steps = solve["steps"].as_array().unwrap().len();
        assert!(n >= 5 * steps, "{vary}: only {n} figures for {steps} steps");
        for path in [
            "answer",
            "interval.0.value",
            "interval.1.value",
            "seed",
            "trials",
            "capsim_version",
        ] {
            assert!(html.contains(&format!("data-figure=\"{path}\"")), "{path}");
        }
        let range_end = solve["interval"][1]["at_range_end"].as_bool().unwrap();
        assert_eq!(html.contains("</span> (range end)"), range_end, "{vary}");
        // The answer comes before the chart, the chart before the steps table.
        let answer_at = html.find("data-figure=\"answer\"").unwrap();
        let chart_at = html.find("<figure>").unwrap();
        let table_at = html.find("<table>").unwrap();
        assert!(answer_at < chart_at && chart_at < table_at, "{vary}");
        assert_eq!(html.matches("<figure>").count(), 1);
        assert_eq!(
            html.matches("<tr><td class=\"num\">").count(),
            steps,
            "{vary}: a row per step"
        );
        assert!(html.contains("<h2>Method</h2>") && html.contains("<dt>Command</dt>"));
        for chart in ["solve.png", "solve.svg"] {
            assert!(out.join("charts").join(chart).is_file(), "{chart}");
        }
    }
}

#[test]
fn a_backtest_report_shows_the_calibration_and_each_backtest_with_its_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("backtest");
    let known = fixture("valid/bt_known.toml");
    let tiny = fixture("valid/bt_tiny.toml");
    let html = report_of(
        &["backtest", known.to_str().unwrap(), tiny.to_str().unwrap()],
        &out,
    );
    assert_self_contained(&html, "backtest");
    let backtest = json(&out.join("backtest.json"));
    let n = check_figures(&html, &backtest);
    let observations = backtest["calibration"]["observations"].as_u64().unwrap() as usize;
    assert!(n >= 5 * observations, "only {n} figures checked");
    for path in [
        "calibration.inside_share",
        "calibration.inside_share_ci95.0",
        "backtests.0.calibration.inside",
        "backtests.1.name",
        "backtests.1.observations.0.value",
    ] {
        assert!(html.contains(&format!("data-figure=\"{path}\"")), "{path}");
    }
    // The calibration chart, then one fan chart per backtest, each with its observations.
    assert_eq!(html.matches("<figure>").count(), 3);
    assert_eq!(html.matches("<table>").count(), 2);
    assert!(html.find("Calibration</h2>").unwrap() < html.find("<h2>Backtest ").unwrap());
    assert!(html.contains("<dt>Command</dt>"));
}

#[test]
fn solve_and_backtest_with_no_charts_write_no_chart_and_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = fixture("valid/tiny.toml");
    let known = fixture("valid/bt_known.toml");
    let cases: [(&str, Vec<&str>, &str); 2] = [
        (
            "solve",
            vec![
                "solve",
                tiny.to_str().unwrap(),
                "--vary",
                "supply.main.rate_scale=0.5:2.0",
                "--for",
                "p_target>=0.8",
            ],
            "solve.json",
        ),
        (
            "backtest",
            vec!["backtest", known.to_str().unwrap()],
            "backtest.json",
        ),
    ];
    for (kind, args, file) in cases {
        let out = dir.path().join(kind);
        capsim()
            .args(&args)
            .arg("--no-charts")
            .arg("-o")
            .arg(&out)
            .args(["-n", "20", "--quiet"])
            .assert()
            .success();
        assert!(out.join(file).is_file(), "{kind}");
        assert!(!out.join("report.html").exists(), "{kind}");
        assert!(!out.join("charts").exists(), "{kind}");
    }
}
