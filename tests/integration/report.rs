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
    assert_eq!(html.matches("<figure>").count(), 6, "one figure per chart");
    assert_eq!(html.matches("<svg ").count(), 6);
    assert_eq!(html.matches("viewBox=").count(), 6, "every chart scales");
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
