//! `report.html`: one self-contained page per results folder that a planner can send and a
//! browser can print: the question and its answer up front, every chart inline as SVG with a
//! one-line reading computed from the data, the tables, validation warnings and provenance.
//!
//! The page has no script and loads nothing: no fonts, images or styles from elsewhere. A run's
//! report is built from the folder's files alone (`summary.json`, `daily.csv`,
//! `scenario.resolved.toml`, `examples/` and any `trace-<TRIAL>.csv`), as the charts are, so it
//! can be redrawn without re-simulating.
//! Each headline figure sits in an element whose `data-figure` attribute names its path in the
//! folder's JSON file and whose `data-format` says how it is printed: `percent` (one decimal,
//! `48.5%`), `points` (signed percentage points, one decimal, `-43.0 pts`), `count` (rounded,
//! thousands separators, `249,283`), `fixed3` (signed, three decimals, `+0.665`), `number` (shortest form, `1` for
//! `1.0`) or `text` (as in the file).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{ChartOptions, ResultsError, write_atomic};
use crate::analysis::compare::CompareReport;
use crate::chart::{
    self, BacktestFan, CalibrationChart, ChartData, ChartError, ChartFormat, ChartKind,
    ExampleLine, SolveChart, SweepChart, Tornado, TraceChart, TraceSite,
};
use crate::numeric::thousands;
use crate::scenario::{Scenario, field_label};
use crate::stats::{Bottleneck, DailyStat, Metric};

/// The report's file name in a results folder.
pub const REPORT_FILE: &str = "report.html";

/// The size the report draws its charts at: at the page's full width, text in the chart is
/// about the size of the page's own.
const CHART_SIZE: (u32, u32) = (960, 600);

/// A share as a percentage with one decimal, ties rounded away from zero: `0.485` → `48.5%`.
fn percent(v: f64) -> String {
    format!("{:.1}%", (v * 1000.0).round() / 10.0)
}

/// A signed number with three decimals, ties rounded away from zero: `-0.0934` → `-0.093`.
fn fixed3(v: f64) -> String {
    format!("{:+.3}", (v * 1000.0).round() / 1000.0)
}

/// Signed percentage points with one decimal: `-0.43` → `-43.0 pts`.
fn points(v: f64) -> String {
    format!("{:+.1} pts", (v * 1000.0).round() / 10.0)
}

/// A count with a sign unless it rounds to zero: `+1,234`, `-56`, `0`.
fn signed_count(v: f64) -> String {
    if v.round() > 0.0 {
        format!("+{}", thousands(v))
    } else {
        thousands(v)
    }
}

/// A count difference in words: `1,234 more`, `56 fewer`, `as many`.
fn more_or_fewer(v: f64) -> String {
    match v.round() {
        d if d > 0.0 => format!("{} more", thousands(d)),
        d if d < 0.0 => format!("{} fewer", thousands(-d)),
        _ => "as many".into(),
    }
}

/// `s` escaped for HTML text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The value at a dotted `path` of `json` (`a.b.0.c`), or `Null`.
fn at<'a>(json: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(json, |v, key| match key.parse::<usize>() {
            Ok(i) if v.is_array() => &v[i],
            _ => &v[key],
        })
}

fn num(json: &Value, path: &str) -> f64 {
    at(json, path).as_f64().unwrap_or(f64::NAN)
}

fn text(json: &Value, path: &str) -> String {
    match at(json, path) {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// How a figure is printed, named in its `data-format` attribute.
#[derive(Clone, Copy)]
enum Format {
    Percent,
    Count,
    Fixed3,
    Number,
    Text,
}

/// The figure at `path` of `json`, printed as `format`, in a `<span>` naming its source; a
/// missing value (a date never reached) prints `missing` instead, with no source.
fn figure(json: &Value, path: &str, format: Format, missing: &str) -> String {
    let (printed, name) = match (format, at(json, path)) {
        (_, Value::Null) => return esc(missing),
        (Format::Percent, v) => (percent(v.as_f64().unwrap_or(f64::NAN)), "percent"),
        (Format::Count, v) => (thousands(v.as_f64().unwrap_or(f64::NAN)), "count"),
        (Format::Fixed3, v) => (fixed3(v.as_f64().unwrap_or(f64::NAN)), "fixed3"),
        (Format::Number, Value::Number(n)) => {
            (format!("{}", n.as_f64().unwrap_or(f64::NAN)), "number")
        }
        (Format::Number | Format::Text, _) => (text(json, path), "text"),
    };
    format!(
        r#"<span data-figure="{}" data-format="{name}">{}</span>"#,
        esc(path),
        esc(&printed)
    )
}

/// A chart inlined as SVG with its reading as the caption. Plotters' SVG already declares its
/// `viewBox`; the style sheet scales it to the column's width.
fn chart_figure(svg: &[u8], title: &str, reading: &str) -> String {
    let svg = String::from_utf8_lossy(svg);
    let svg = svg.trim();
    let svg = match svg.strip_prefix("<svg ") {
        Some(rest) if svg.contains("viewBox") => {
            format!(r#"<svg role="img" aria-label="{}" {rest}"#, esc(title))
        }
        Some(rest) => {
            let (w, h) = CHART_SIZE;
            format!(
                r#"<svg role="img" aria-label="{}" viewBox="0 0 {w} {h}" {rest}"#,
                esc(title)
            )
        }
        None => svg.to_owned(),
    };
    format!(
        "<figure>\n{svg}\n<figcaption><strong>{}.</strong> {}</figcaption>\n</figure>\n",
        esc(title),
        esc(reading)
    )
}

/// An HTML table in a box that scrolls on its own on narrow screens; `numeric[i]` right-aligns
/// column `i`. Cells are HTML already (escape text with [`esc`]).
fn table(header: &[&str], numeric: &[bool], rows: &[Vec<String>]) -> String {
    let class = |i: usize| {
        if numeric.get(i).copied().unwrap_or(false) {
            r#" class="num""#
        } else {
            ""
        }
    };
    let mut t = String::from("<div class=\"table-box\"><table>\n<thead><tr>");
    for (i, h) in header.iter().enumerate() {
        let _ = write!(t, "<th scope=\"col\"{}>{}</th>", class(i), esc(h));
    }
    t.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        t.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let _ = write!(t, "<td{}>{cell}</td>", class(i));
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</tbody></table></div>\n");
    t
}

/// A provenance list: `(term, HTML)` pairs, then the command line if given.
fn provenance(items: &[(&str, String)], command: Option<&str>) -> String {
    let mut p = String::from("<section>\n<h2>Provenance</h2>\n<dl class=\"provenance\">\n");
    for (term, value) in items {
        let _ = writeln!(p, "<dt>{}</dt><dd>{value}</dd>", esc(term));
    }
    if let Some(command) = command {
        let _ = writeln!(p, "<dt>Command</dt><dd><code>{}</code></dd>", esc(command));
    }
    p.push_str("</dl>\n");
    p
}

const STYLE: &str = r#"
:root { color-scheme: light; --fg: #1d1d1f; --muted: #555; --line: #d9d9d9; --warn: #b34700; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; overflow-wrap: break-word;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.8rem; line-height: 1.25; margin: .25rem 0 .75rem; }
h2 { font-size: 1.3rem; margin: 2.5rem 0 .75rem; padding-bottom: .25rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .5rem; }
.kicker { margin: 0; color: var(--muted); font-size: .9rem; letter-spacing: .04em; text-transform: uppercase; }
.answer { font-size: 1.2rem; margin: 0 0 1rem; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(15rem, 1fr)); gap: .75rem; margin: 1rem 0; }
.figures > div { border: 1px solid var(--line); border-radius: .5rem; padding: .75rem 1rem; }
.figures dt { color: var(--muted); font-size: .9rem; }
.figures dd { margin: 0; }
.big { display: block; font-size: 1.7rem; font-weight: 650; line-height: 1.2; margin: .2rem 0; }
.note { color: var(--muted); font-size: .9rem; }
.table-box { overflow-x: auto; margin: .5rem 0 1rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; font-variant-numeric: tabular-nums; }
th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border-bottom: 1px solid var(--line); }
th { border-bottom: 2px solid var(--fg); min-width: 6.5rem; }
.num { text-align: right; }
td.num, .nobr, span[data-figure] { white-space: nowrap; }
td:first-child { min-width: 10rem; }
figure { margin: 1.75rem 0; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { margin-top: .5rem; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.pair figure { margin: .75rem 0; min-width: 0; }
@media (max-width: 40rem) { .pair { grid-template-columns: 1fr; } }
.warnings { border-left: 4px solid var(--warn); background: #fff3e8; padding: .5rem 1rem; margin: 1rem 0; }
.warnings h2 { border: 0; margin: .5rem 0; color: var(--warn); }
.provenance { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
.provenance dt { color: var(--muted); }
.provenance dd { margin: 0; min-width: 0; }
.provenance span[data-figure] { white-space: normal; overflow-wrap: anywhere; }
code { overflow-wrap: anywhere; font-size: .9rem; }
pre { overflow-x: auto; background: #f5f5f5; padding: .75rem; font-size: .8rem; }
summary { cursor: pointer; }
@media (max-width: 30rem) {
  h1 { font-size: 1.45rem; }
  .provenance { grid-template-columns: 1fr; }
  .provenance dd { margin-bottom: .5rem; }
}
@media print {
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  figure, table, .figures > div, .warnings, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  figure svg { max-height: 16cm; }
  .table-box { overflow: visible; }
  pre { white-space: pre-wrap; }
}
"#;

/// The whole page: `title` in the tab, `body` inside `<main>`.
fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n\
         </body>\n</html>\n",
        esc(title)
    )
}

fn write_page(dir: &Path, html: &str) -> Result<PathBuf, ResultsError> {
    let path = dir.join(REPORT_FILE);
    write_atomic(&path, |w| Ok(w.write_all(html.as_bytes())?))?;
    Ok(path)
}

fn read_json(path: &Path) -> Result<Value, ResultsError> {
    let bytes = std::fs::read(path).map_err(|source| ResultsError::Io {
        context: format!("reading {} for the report", path.display()),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ResultsError::Failed(format!(
            "{}: not a capsim results file ({e}); cannot write the report",
            path.display()
        ))
    })
}

fn chart_error(what: &str) -> impl FnOnce(ChartError) -> ResultsError + '_ {
    move |source| ResultsError::Chart {
        context: format!("drawing the {what} chart for the report"),
        source,
    }
}

/// A plain-words verdict on a probability of meeting the target.
fn verdict(p: f64) -> &'static str {
    match p {
        p if p >= 0.9 => "Very likely",
        p if p >= 0.66 => "Likely",
        p if p > 0.33 => "About as likely as not",
        p if p > 0.1 => "Unlikely",
        _ => "Very unlikely",
    }
}

/// How summaries and tables name a cause of missing GPUs.
fn cause_label(key: &str) -> &str {
    if key == "bring_up" { "bring-up" } else { key }
}

/// Writes `dir/report.html` of the run whose files are in `dir` (`summary.json`, `daily.csv`,
/// `scenario.resolved.toml`, `examples/` and `trace-<TRIAL>.csv` when present), its charts
/// drawn as SVG from those files; `command` is quoted in the provenance when given. Returns the
/// path written.
pub fn write_run_report(dir: &Path, command: Option<&str>) -> Result<PathBuf, ResultsError> {
    let data = ChartData::read_dir(dir).map_err(|source| ResultsError::Chart {
        context: "reading the results back for the report".into(),
        source,
    })?;
    let summary = read_json(&dir.join("summary.json"))?;
    let resolved_path = dir.join("scenario.resolved.toml");
    let resolved = std::fs::read_to_string(&resolved_path).map_err(|source| ResultsError::Io {
        context: format!("reading {} for the report", resolved_path.display()),
        source,
    })?;
    let traces = traces_sections(dir, &data, &resolved_path, &resolved)?;
    let html = run_page(&data, &summary, &resolved, &traces, command)?;
    write_page(dir, &html)
}

fn run_page(
    data: &ChartData,
    s: &Value,
    resolved: &str,
    traces: &str,
    command: Option<&str>,
) -> Result<String, ResultsError> {
    let f = &data.facts;
    let scenario = esc(&f.scenario);
    let target = thousands(f.target_gpus);
    let horizon = format!("after {}", f.horizon);
    let mut b = String::new();
    let _ = write!(
        b,
        "<header>\n<p class=\"kicker\">capsim run report</p>\n\
         <h1>Will {scenario} reach {target} GPUs by <span class=\"nobr\">{}?</span></h1>\n\
         <p class=\"answer\"><strong>{}:</strong> {} of {} simulated runs reach {target} GPUs \
         online by <span class=\"nobr\">{}</span> (95% interval {} – {}).</p>\n</header>\n",
        f.deadline,
        verdict(f.p_target),
        figure(s, "p_target_by_deadline.estimate", Format::Percent, ""),
        thousands(f.trials as f64),
        f.deadline,
        figure(s, "p_target_by_deadline.ci95_low", Format::Percent, ""),
        figure(s, "p_target_by_deadline.ci95_high", Format::Percent, ""),
    );
    let _ = write!(
        b,
        "<dl class=\"figures\">\n\
         <div><dt>P(target by deadline)</dt><dd><span class=\"big\">{}</span>\
         <span class=\"note\">95% interval {} – {}</span></dd></div>\n\
         <div><dt>Full-capacity date (first day at {target} GPUs)</dt><dd><span class=\"big\">{}</span>\
         <span class=\"note\">median; P10 {} – P90 {}; {} never by <span class=\"nobr\">{}</span></span></dd></div>\n\
         <div><dt>GPUs available at the deadline</dt><dd><span class=\"big\">{}</span>\
         <span class=\"note\">median; P10 {} – P90 {}</span></dd></div>\n</dl>\n",
        figure(s, "p_target_by_deadline.estimate", Format::Percent, ""),
        figure(s, "p_target_by_deadline.ci95_low", Format::Percent, ""),
        figure(s, "p_target_by_deadline.ci95_high", Format::Percent, ""),
        figure(s, "full_capacity_date.p50", Format::Text, &horizon),
        figure(s, "full_capacity_date.p10", Format::Text, &horizon),
        figure(s, "full_capacity_date.p90", Format::Text, &horizon),
        figure(s, "full_capacity_date.never_fraction", Format::Percent, ""),
        f.horizon,
        figure(s, "available_gpus_at_deadline.p50", Format::Count, ""),
        figure(s, "available_gpus_at_deadline.p10", Format::Count, ""),
        figure(s, "available_gpus_at_deadline.p90", Format::Count, ""),
    );
    b.push_str(&warnings(s));
    b.push_str(&holds_back(s));
    b.push_str(&money(s, &f.deadline.to_string()));
    b.push_str("<section>\n<h2>Charts</h2>\n");
    for kind in ChartKind::ALL {
        let svg = match chart::render(kind, data, ChartFormat::Svg, CHART_SIZE) {
            Ok(svg) => svg,
            Err(ChartError::NoData { .. }) => continue,
            Err(e) => return Err(chart_error(kind.file_stem())(e)),
        };
        let (title, reading) = run_chart_reading(kind, data, s)?;
        b.push_str(&chart_figure(&svg, title, &reading));
    }
    b.push_str("</section>\n");
    b.push_str(traces);
    b.push_str(&sites_table(s));
    b.push_str(&provenance(
        &[
            (
                "capsim version",
                figure(s, "capsim_version", Format::Text, ""),
            ),
            ("Scenario", figure(s, "scenario", Format::Text, "")),
            ("Seed", figure(s, "seed", Format::Text, "")),
            ("Trials", figure(s, "trials", Format::Count, "")),
            (
                "Simulated",
                format!(
                    "{} to {} (deadline {})",
                    figure(s, "start", Format::Text, ""),
                    figure(s, "horizon", Format::Text, ""),
                    figure(s, "deadline", Format::Text, "")
                ),
            ),
        ],
        command,
    ));
    let _ = write!(
        b,
        "<details>\n<summary>The resolved scenario (scenario.resolved.toml): every input as \
         run</summary>\n<pre>{}</pre>\n</details>\n</section>\n",
        esc(resolved)
    );
    Ok(page(&format!("capsim report: {}", f.scenario), &b))
}

/// The size of each of the two trace charts drawn side by side: taller than wide, one panel per
/// site.
const PAIR_CHART_SIZE: (u32, u32) = (520, 880);

/// GPUs per rack when every rack type the scenario delivers has the same (so a trace's racks
/// online times it are the fleet's online GPUs), else `None`.
fn uniform_gpus_per_rack(scenario: &Scenario) -> Option<f64> {
    let mut used = scenario
        .supply
        .iter()
        .filter_map(|stream| scenario.accelerators.get(stream.accelerator))
        .map(|a| a.gpus_per_rack);
    let first = used.next()?;
    used.all(|g| g == first).then_some(f64::from(first))
}

/// A results-folder trace read back for the report, with what its reading needs.
struct TraceFacts {
    chart: TraceChart,
    /// The fleet's online GPUs each day, when GPUs per rack are known.
    online_gpus: Option<Vec<f64>>,
}

impl TraceFacts {
    fn read(
        path: &Path,
        data: &ChartData,
        gpus_per_rack: Option<f64>,
    ) -> Result<Self, ResultsError> {
        let chart =
            TraceChart::read(path, data.facts.deadline).map_err(|source| ResultsError::Chart {
                context: format!("reading {} for the report", path.display()),
                source,
            })?;
        let online_gpus =
            gpus_per_rack.map(|g| chart.fleet_racks_online().iter().map(|r| r * g).collect());
        Ok(TraceFacts { chart, online_gpus })
    }

    fn deadline_day(&self) -> usize {
        (self.chart.deadline - self.chart.start).get_days().max(0) as usize
    }

    /// The first day the fleet's online GPUs reach `target`, if known and within the trace.
    fn full_capacity_day(&self, target: f64) -> Option<usize> {
        self.online_gpus.as_ref()?.iter().position(|&g| g >= target)
    }

    /// Whether the trial met `target` by the deadline; `None` without GPUs per rack.
    fn met(&self, target: f64) -> Option<bool> {
        self.online_gpus.as_ref()?;
        Some(
            self.full_capacity_day(target)
                .is_some_and(|d| d <= self.deadline_day()),
        )
    }

    fn date(&self, day: usize) -> String {
        self.chart
            .start
            .checked_add(jiff::Span::new().days(day as i64))
            .map_or_else(|_| format!("day {day}"), |d| d.to_string())
    }

    /// One line on the trial, computed from its file: whether and when it met `target`, by how
    /// many GPUs it missed, and on the deadline the site with the most racks not yet online and
    /// what held it.
    fn reading(&self, target: f64) -> String {
        let trial = self.chart.trial;
        let deadline = self.chart.deadline;
        let dl = self.deadline_day().min(
            self.chart
                .sites
                .first()
                .map_or(0, |s| s.held_by.len().saturating_sub(1)),
        );
        let full = self.full_capacity_day(target);
        match (&self.online_gpus, self.met(target)) {
            (Some(_), Some(true)) => {
                let day = full.unwrap_or(0);
                format!(
                    "Trial {trial} met the target on {}, {} before the deadline.",
                    self.date(day),
                    plural(self.deadline_day() - day, "day")
                )
            }
            (Some(gpus), _) => {
                let at = gpus.get(dl).copied().unwrap_or(0.0);
                let later = match full {
                    Some(d) => format!("it reached the target on {}", self.date(d)),
                    None => "it never reached the target within the horizon".to_owned(),
                };
                format!(
                    "Trial {trial} missed by {} GPUs ({} of {} online on {deadline}): on the \
                     deadline {}; {later}.",
                    thousands(target - at),
                    thousands(at),
                    thousands(target),
                    self.hold_at(dl)
                )
            }
            (None, _) => format!(
                "Trial {trial}: {} racks online on {deadline}; on the deadline {}.",
                thousands(
                    self.chart
                        .fleet_racks_online()
                        .get(dl)
                        .copied()
                        .unwrap_or(0.0)
                ),
                self.hold_at(dl)
            ),
        }
    }

    /// On `day`, the site with the most racks not yet online (the first on ties) and what held
    /// it, in words.
    fn hold_at(&self, day: usize) -> String {
        let waiting = |s: &TraceSite| s.layers[1][day] + s.layers[2][day] + s.layers[3][day];
        let Some(site) = self
            .chart
            .sites
            .iter()
            .rev()
            .max_by(|a, b| waiting(a).total_cmp(&waiting(b)))
            .filter(|s| waiting(s) > 0.0)
        else {
            return "no site had racks delivered and not yet online: the fleet waited for \
                    deliveries"
                .to_owned();
        };
        let [_, bring_up, awaiting_power, staged] = site.layers.each_ref().map(|l| l[day]);
        let id = &site.id;
        match site.held_by[day] {
            Some(Bottleneck::Power) => format!(
                "{} racks at {id} were waiting for power",
                thousands(staged + awaiting_power)
            ),
            Some(Bottleneck::Install) => format!(
                "{} racks at {id} were waiting to be installed",
                thousands(staged)
            ),
            Some(Bottleneck::Space) => format!(
                "{} racks at {id} were waiting for floor space",
                thousands(staged)
            ),
            Some(Bottleneck::BringUp) => {
                format!("{} racks at {id} were in bring-up", thousands(bring_up))
            }
            held => format!(
                "{} racks at {id} were not yet online ({} staged, {} awaiting power, {} in \
                 bring-up), held by {}",
                thousands(staged + awaiting_power + bring_up),
                thousands(staged),
                thousands(awaiting_power),
                thousands(bring_up),
                held.map_or("nothing", |b| cause_label(b.name()))
            ),
        }
    }
}

/// `n` and `unit`, plural unless `n` is 1: `1 day`, `13 days`.
fn plural(n: usize, unit: &str) -> String {
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The typical examples in `examples/`, as written by [`super::write_examples`]: one row per
/// example, `trial` empty when there is none.
struct ExampleRow {
    example: String,
    trial: Option<u64>,
    traced: u64,
    with_outcome: u64,
}

fn read_examples(path: &Path) -> Result<Vec<ExampleRow>, ResultsError> {
    let bad = |problem: String| {
        ResultsError::Failed(format!(
            "{}: {problem}; cannot write the report (delete the folder {} or rerun)",
            path.display(),
            path.parent().unwrap_or(Path::new(".")).display()
        ))
    };
    let mut reader = ::csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let header = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    if header.iter().ne(super::EXAMPLES_COLUMNS) {
        return Err(bad(format!(
            "expected the columns {}",
            super::EXAMPLES_COLUMNS.join(",")
        )));
    }
    let mut rows = Vec::new();
    for (line, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let count = |i: usize| {
            record[i]
                .parse::<u64>()
                .map_err(|_| bad(format!("row {}: {} is not a count", line + 2, &header[i])))
        };
        rows.push(ExampleRow {
            example: record[0].to_owned(),
            trial: if record[1].is_empty() {
                None
            } else {
                Some(count(1)?)
            },
            traced: count(2)?,
            with_outcome: count(3)?,
        });
    }
    Ok(rows)
}

/// The trace files `trace-<TRIAL>.csv` directly in `dir`, by trial.
fn trace_files(dir: &Path) -> Result<Vec<(u64, PathBuf)>, ResultsError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ResultsError::Io {
        context: format!("listing {} for the report", dir.display()),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let trial = name
            .to_str()
            .and_then(|n| n.strip_prefix("trace-")?.strip_suffix(".csv")?.parse().ok());
        if let Some(trial) = trial {
            files.push((trial, entry.path()));
        }
    }
    files.sort();
    Ok(files)
}

/// The report's sections on single trials: "A run that missed and a run that met the target"
/// from `examples/`, when the folder has it, then each `--trace` file in `dir`, one figure each.
fn traces_sections(
    dir: &Path,
    data: &ChartData,
    resolved_path: &Path,
    resolved: &str,
) -> Result<String, ResultsError> {
    let examples_csv = dir.join(super::EXAMPLES_DIR).join(super::EXAMPLES_FILE);
    let traced = trace_files(dir)?;
    if !examples_csv.exists() && traced.is_empty() {
        return Ok(String::new());
    }
    let scenario = crate::scenario::parse(resolved, resolved_path).map_err(|e| {
        ResultsError::Failed(format!(
            "{}: not a valid scenario ({e}); cannot write the report",
            resolved_path.display()
        ))
    })?;
    let gpus_per_rack = uniform_gpus_per_rack(&scenario);
    let target = data.facts.target_gpus;
    let mut b = String::new();
    if examples_csv.exists() {
        b.push_str(&examples_section(dir, &examples_csv, data, gpus_per_rack)?);
    }
    if !traced.is_empty() {
        b.push_str("<section>\n<h2>Traced trials</h2>\n");
        for (trial, path) in &traced {
            let facts = TraceFacts::read(path, data, gpus_per_rack)?;
            let svg = chart::render_trace(&facts.chart, ChartFormat::Svg, CHART_SIZE)
                .map_err(chart_error("trace"))?;
            b.push_str(&chart_figure(
                &svg,
                &format!("Trial {trial} day by day (trace-{trial}.csv)"),
                &facts.reading(target),
            ));
        }
        b.push_str("</section>\n");
    }
    Ok(b)
}

/// "A run that missed and a run that met the target": the fleet's online GPUs of both on one
/// axis, then each one's sites side by side on the same scale, each with its reading; an
/// example that does not exist is said so.
fn examples_section(
    dir: &Path,
    examples_csv: &Path,
    data: &ChartData,
    gpus_per_rack: Option<f64>,
) -> Result<String, ResultsError> {
    let target = data.facts.target_gpus;
    let rows = read_examples(examples_csv)?;
    let traced = rows.first().map_or(0, |r| r.traced);
    let count = |name: &str| {
        rows.iter()
            .find(|r| r.example == name)
            .map_or(0, |r| r.with_outcome)
    };
    let mut b =
        String::from("<section>\n<h2>A run that missed and a run that met the target</h2>\n");
    let _ = writeln!(
        b,
        "<p>Of the first {} trials of the run, {} missed the target and {} met it. Shown: of \
         each kind, the trial whose online GPUs at the deadline are the median of its kind \
         (files in <code>examples/</code>).</p>",
        thousands(traced as f64),
        thousands(count("missed") as f64),
        thousands(count("met") as f64),
    );
    let mut shown = Vec::new();
    for row in &rows {
        match row.trial {
            Some(trial) => {
                let path = dir
                    .join(super::EXAMPLES_DIR)
                    .join(format!("trace-{trial}.csv"));
                shown.push((
                    row.example.as_str(),
                    TraceFacts::read(&path, data, gpus_per_rack)?,
                ));
            }
            None => {
                let _ = writeln!(
                    b,
                    "<p class=\"absent\">No run that {} the target to show: all {} traced trials {}.</p>",
                    esc(&row.example),
                    thousands(traced as f64),
                    if row.example == "met" {
                        "missed it"
                    } else {
                        "met it"
                    },
                );
            }
        }
    }
    if shown.is_empty() {
        b.push_str("</section>\n");
        return Ok(b);
    }
    let readings: Vec<String> = shown.iter().map(|(_, f)| f.reading(target)).collect();
    let lines: Vec<ExampleLine> = shown
        .iter()
        .filter_map(|(example, f)| {
            Some(ExampleLine {
                label: format!("Trial {} ({example})", f.chart.trial),
                met: *example == "met",
                online_gpus: f.online_gpus.clone()?,
            })
        })
        .collect();
    if lines.len() == shown.len() {
        let svg = chart::render_examples(data, &lines, ChartFormat::Svg, CHART_SIZE)
            .map_err(chart_error("examples"))?;
        b.push_str(&chart_figure(
            &svg,
            "Fleet online GPUs of both runs",
            &readings.join(" "),
        ));
    } else {
        b.push_str(
            "<p class=\"note\">The scenario's rack types differ in GPUs per rack, so the traces \
             (racks by site) do not give the fleet's online GPUs: the sites are shown below.</p>\n",
        );
    }
    let charts: Vec<&TraceChart> = shown.iter().map(|(_, f)| &f.chart).collect();
    let tops = chart::shared_site_scale(&charts);
    b.push_str("<div class=\"pair\">\n");
    for ((example, facts), reading) in shown.iter().zip(&readings) {
        let svg = chart::render_trace_on_scale(
            &facts.chart,
            Some(&tops),
            ChartFormat::Svg,
            PAIR_CHART_SIZE,
        )
        .map_err(chart_error("trace"))?;
        b.push_str(&chart_figure(
            &svg,
            &format!("Trial {} ({example}) site by site", facts.chart.trial),
            reading,
        ));
    }
    b.push_str(
        "</div>\n<p class=\"note\">Each site's panel has the same racks scale in both \
                charts.</p>\n</section>\n",
    );
    Ok(b)
}

/// The validation warnings, in a box that stands out, or nothing when there are none.
fn warnings(s: &Value) -> String {
    let list = at(s, "warnings").as_array().cloned().unwrap_or_default();
    if list.is_empty() {
        return String::new();
    }
    let mut w = String::from("<section class=\"warnings\">\n<h2>Validation warnings</h2>\n<ul>\n");
    for item in &list {
        let message = match item {
            Value::String(m) => m.clone(),
            other => other.to_string(),
        };
        let _ = writeln!(w, "<li>{}</li>", esc(&message));
    }
    w.push_str("</ul>\n</section>\n");
    w
}

/// What holds the ramp back: missing GPU-days and GPUs at the deadline by cause, then what
/// lifting each constraint would buy, when the run measured it.
fn holds_back(s: &Value) -> String {
    let mut h = String::from("<section>\n<h2>What holds the ramp back</h2>\n");
    let mut causes: Vec<(&str, f64)> = Bottleneck::ALL
        .iter()
        .map(|b| (b.name(), num(s, &format!("bottleneck_share.{}", b.name()))))
        .collect();
    causes.sort_by(|a, b| b.1.total_cmp(&a.1));
    if let Some((top, share)) = causes.first() {
        let _ = writeln!(
            h,
            "<p>{} is the main constraint: {} of the GPU-days missing up to the deadline are \
             missing for lack of {}.</p>",
            capitalised(cause_label(top)),
            percent(*share),
            cause_label(top)
        );
    }
    let rows: Vec<Vec<String>> = causes
        .iter()
        .map(|(cause, _)| {
            vec![
                esc(cause_label(cause)),
                figure(s, &format!("bottleneck_share.{cause}"), Format::Percent, ""),
                figure(
                    s,
                    &format!("shortfall_at_deadline.{cause}"),
                    Format::Count,
                    "",
                ),
            ]
        })
        .collect();
    h.push_str(&table(
        &[
            "Cause",
            "Share of missing GPU-days to the deadline",
            "Missing GPUs at the deadline (mean)",
        ],
        &[false, true, true],
        &rows,
    ));
    if let Some(costs) = at(s, "constraint_costs.costs").as_array() {
        let mut order: Vec<usize> = (0..costs.len()).collect();
        order.sort_by(|&a, &b| {
            num(&costs[b], "p_target_gain.estimate")
                .total_cmp(&num(&costs[a], "p_target_gain.estimate"))
        });
        let _ = writeln!(
            h,
            "<h3>What each constraint costs</h3>\n<p>Each class lifted on its own, on the same \
             random draws ({} trials; P(target) {} with every constraint in place):</p>",
            thousands(num(s, "constraint_costs.trials")),
            figure(s, "constraint_costs.p_target_baseline", Format::Percent, "")
        );
        let rows: Vec<Vec<String>> = order
            .into_iter()
            .map(|i| {
                let c = &costs[i];
                let base = format!("constraint_costs.costs.{i}");
                let days = num(c, "median_full_capacity_days_earlier");
                vec![
                    format!(
                        "<strong>{}</strong><br><span class=\"note\">{}</span>",
                        esc(cause_label(&text(c, "constraint"))),
                        esc(&text(c, "lifted"))
                    ),
                    figure(s, &format!("{base}.p_target_lifted"), Format::Percent, ""),
                    format!(
                        "{}<br><span class=\"note\">{} to {}</span>",
                        points(num(c, "p_target_gain.estimate")),
                        points(num(c, "p_target_gain.ci95_low")),
                        points(num(c, "p_target_gain.ci95_high"))
                    ),
                    if days.is_nan() {
                        "n/a".into()
                    } else {
                        format!("{days}")
                    },
                    signed_count(num(c, "online_gpus_at_deadline_gain.estimate")),
                ]
            })
            .collect();
        h.push_str(&table(
            &[
                "Constraint lifted",
                "P(target)",
                "Gain (95% interval)",
                "Median full capacity, days earlier",
                "GPUs online at deadline, gain",
            ],
            &[false, true, true, true, true],
            &rows,
        ));
    }
    h.push_str("</section>\n");
    h
}

/// Capital deployed and idle inventory (`summary.json`'s `money`; `docs/model.md`, "Money"),
/// or nothing for a summary without it.
fn money(s: &Value, deadline: &str) -> String {
    if at(s, "money").is_null() {
        return String::new();
    }
    let usd = |path: &str| format!("${}", figure(s, path, Format::Count, ""));
    let mut m = String::from("<section>\n<h2>Money</h2>\n");
    let _ = writeln!(
        m,
        "<p>Capital deployed by <span class=\"nobr\">{deadline}</span> (racks delivered × \
         price): {} (mean; P10 {} – P90 {}). Idle at the deadline (delivered, not yet online): \
         {} (mean; P10 {} – P90 {}).</p>",
        usd("money.capital_deployed_at_deadline_usd.mean"),
        usd("money.capital_deployed_at_deadline_usd.p10"),
        usd("money.capital_deployed_at_deadline_usd.p90"),
        usd("money.idle_inventory_at_deadline_usd.mean"),
        usd("money.idle_inventory_at_deadline_usd.p10"),
        usd("money.idle_inventory_at_deadline_usd.p90"),
    );
    let rows: Vec<Vec<String>> = ["power", "install", "space", "bring_up"]
        .iter()
        .map(|cause| {
            vec![
                esc(cause_label(cause)),
                figure(
                    s,
                    &format!("money.rack_days_idle_to_deadline.{cause}"),
                    Format::Count,
                    "",
                ),
                usd(&format!("money.usd_days_idle_to_deadline.{cause}")),
            ]
        })
        .collect();
    m.push_str(&table(
        &[
            "Idle racks held by",
            "Rack-days to the deadline (mean)",
            "Dollar-days to the deadline (mean)",
        ],
        &[false, true, true],
        &rows,
    ));
    for note in at(s, "money.notes").as_array().into_iter().flatten() {
        let _ = writeln!(
            m,
            "<p class=\"note\">{}</p>",
            esc(note.as_str().unwrap_or(""))
        );
    }
    m.push_str("</section>\n");
    m
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|first| first.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Each chart's title and its one-line reading, computed from the run's data.
fn run_chart_reading(
    kind: ChartKind,
    data: &ChartData,
    s: &Value,
) -> Result<(&'static str, String), ResultsError> {
    let f = &data.facts;
    let target = thousands(f.target_gpus);
    let deadline_row = (data.day_of(f.deadline).max(0.0) as usize).min(data.daily.len() - 1);
    let at_deadline = |metric: Metric, stat: DailyStat| -> Result<f64, ResultsError> {
        let column = data
            .daily
            .metric(metric, stat)
            .map_err(chart_error(kind.file_stem()))?;
        Ok(column[deadline_row])
    };
    let date = |d: Option<jiff::civil::Date>| {
        d.map(|d| d.to_string())
            .unwrap_or_else(|| format!("after {}", f.horizon))
    };
    Ok(match kind {
        ChartKind::Fan => (
            "Available GPUs over time",
            format!(
                "At the deadline ({}) the median run has {} GPUs available against a target of \
                 {target}; 8 runs in 10 have between {} and {}.",
                f.deadline,
                thousands(num(s, "available_gpus_at_deadline.p50")),
                thousands(num(s, "available_gpus_at_deadline.p10")),
                thousands(num(s, "available_gpus_at_deadline.p90")),
            ),
        ),
        ChartKind::Pipeline => {
            let delivered = at_deadline(Metric::DeliveredGpus, DailyStat::P50)?;
            let installed = at_deadline(Metric::InstalledGpus, DailyStat::P50)?;
            let online = at_deadline(Metric::OnlineGpus, DailyStat::P50)?;
            (
                "Delivered, installed and online GPUs",
                format!(
                    "On the deadline the medians are {} GPUs delivered, {} installed and {} \
                     online: gaps of about {} delivered but not installed and {} installed but \
                     not yet online.",
                    thousands(delivered),
                    thousands(installed),
                    thousands(online),
                    thousands((delivered - installed).max(0.0)),
                    thousands((installed - online).max(0.0)),
                ),
            )
        }
        ChartKind::FullCapacity => (
            "When the target is reached",
            format!(
                "The median run reaches {target} GPUs on {}; 1 run in 10 only by {}; {} of \
                 runs never do by {}.",
                date(f.full_capacity[1]),
                date(f.full_capacity[2]),
                percent(f.never_fraction),
                f.horizon,
            ),
        ),
        ChartKind::Power => {
            let energized = at_deadline(Metric::EnergizedMw, DailyStat::P50)?;
            let in_use = at_deadline(Metric::ItMwInUse, DailyStat::P50)?;
            let stranded = at_deadline(Metric::StrandedMw, DailyStat::P50)?;
            (
                "Power energized, in use and stranded",
                format!(
                    "On the deadline the medians are {} MW energized (facility), {} MW drawn by \
                     racks (IT) and {} MW stranded, energized but not drawn (each a median of \
                     its own, so they do not subtract).",
                    thousands(energized),
                    thousands(in_use),
                    thousands(stranded),
                ),
            )
        }
        ChartKind::Bottlenecks => {
            let (top, share) = Bottleneck::ALL
                .iter()
                .map(|b| (b.name(), num(s, &format!("bottleneck_share.{}", b.name()))))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or(("supply", f64::NAN));
            let (largest, missing) = Bottleneck::ALL
                .iter()
                .map(|b| {
                    (
                        b.name(),
                        num(s, &format!("shortfall_at_deadline.{}", b.name())),
                    )
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or(("supply", f64::NAN));
            (
                "Where the missing GPUs are, day by day",
                format!(
                    "Up to the deadline {} accounts for {} of the missing GPU-days; on the \
                     deadline a run misses {} GPUs on average, the largest part waiting on {} ({}).",
                    cause_label(top),
                    percent(share),
                    thousands(num(s, "shortfall_at_deadline.total")),
                    cause_label(largest),
                    thousands(missing),
                ),
            )
        }
        ChartKind::Sites => {
            let sites = at(s, "sites").as_array().cloned().unwrap_or_default();
            let total: f64 = sites
                .iter()
                .map(|x| num(x, "median_racks_online_at_deadline"))
                .sum();
            let top = sites.iter().max_by(|a, b| {
                num(a, "median_racks_online_at_deadline")
                    .total_cmp(&num(b, "median_racks_online_at_deadline"))
            });
            let top = top
                .map(|x| {
                    format!(
                        "; the most at {} ({} racks)",
                        text(x, "id"),
                        thousands(num(x, "median_racks_online_at_deadline"))
                    )
                })
                .unwrap_or_default();
            (
                "Online GPUs by site",
                format!(
                    "On the deadline the {} sites' medians add up to {} racks online{top}.",
                    sites.len(),
                    thousands(total),
                ),
            )
        }
    })
}

/// The per-site, per-phase table from `summary.json`'s `sites`.
fn sites_table(s: &Value) -> String {
    let sites = at(s, "sites").as_array().cloned().unwrap_or_default();
    if sites.is_empty() {
        return String::new();
    }
    let mut rows = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        let phases = site["phases"].as_array().cloned().unwrap_or_default();
        let mw: f64 = phases.iter().map(|p| num(p, "mw")).sum();
        rows.push(vec![
            format!(
                "<strong>{}</strong><br><span class=\"note\">{}</span>",
                figure(s, &format!("sites.{i}.id"), Format::Text, ""),
                esc(&text(site, "name"))
            ),
            esc(&text(site, "region")),
            format!("{mw}"),
            format!("{} phases", phases.len()),
            String::new(),
            String::new(),
            figure(
                s,
                &format!("sites.{i}.median_racks_online_at_deadline"),
                Format::Count,
                "",
            ),
        ]);
        for (k, phase) in phases.iter().enumerate() {
            let path = format!("sites.{i}.phases.{k}");
            rows.push(vec![
                String::new(),
                String::new(),
                format!("{}", num(phase, "mw")),
                format!("phase {}", k + 1),
                figure(s, &format!("{path}.planned"), Format::Text, ""),
                figure(
                    s,
                    &format!("{path}.median_energized"),
                    Format::Text,
                    "not energized",
                ),
                String::new(),
            ]);
        }
    }
    let mut t = String::from(
        "<section>\n<h2>Sites and phases</h2>\n<p>Facility MW per phase, the planned \
         energization date and the median date it was energized in the simulated runs; racks \
         online on the deadline are each site's median.</p>\n",
    );
    t.push_str(&table(
        &[
            "Site",
            "Region",
            "MW",
            "Phase",
            "Planned",
            "Median energized",
            "Racks online at deadline",
        ],
        &[false, false, true, false, true, true, true],
        &rows,
    ));
    t.push_str("</section>\n");
    t
}

/// Writes `dir/report.html` of the comparison whose files are in `dir` (`compare.json` and each
/// scenario's folder), its overlay drawn from those folders and its paired differences from
/// `report` (the content of `compare.json`). Returns the path written.
pub(super) fn write_compare_report(
    dir: &Path,
    report: &CompareReport,
    options: &ChartOptions,
) -> Result<PathBuf, ResultsError> {
    let c = read_json(&dir.join("compare.json"))?;
    let scenarios = at(&c, "scenarios").as_array().cloned().unwrap_or_default();
    let mut runs = Vec::with_capacity(scenarios.len());
    for s in &scenarios {
        let run_dir = dir.join(text(s, "results_dir"));
        let data = ChartData::read_dir(&run_dir).map_err(|source| ResultsError::Chart {
            context: "reading the results back for the report".into(),
            source,
        })?;
        runs.push((text(s, "label"), data));
    }
    let overlay = chart::render_overlay(&runs, ChartFormat::Svg, CHART_SIZE)
        .map_err(chart_error("overlay"))?;
    let differences = chart::render_differences(report, ChartFormat::Svg, CHART_SIZE)
        .map_err(chart_error("differences"))?;
    let baseline = text(&c, "baseline");
    let mut b = String::new();
    let question = match scenarios.len() {
        2 => format!(
            "How does {} compare with {}?",
            esc(&text(&scenarios[1], "label")),
            esc(&baseline)
        ),
        n => format!(
            "How do {} scenarios compare with {}?",
            n - 1,
            esc(&baseline)
        ),
    };
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">capsim compare report</p>\n<h1>{question}</h1>"
    );
    let base = &scenarios[0];
    for (i, cmp) in at(&c, "comparisons")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let path = format!("comparisons.{i}");
        let days = match at(cmp, "full_capacity_days.median_days").as_f64() {
            Some(d) if d > 0.0 => format!("reaches full capacity {d} days later (median)"),
            Some(d) if d < 0.0 => format!("reaches full capacity {} days earlier (median)", -d),
            Some(_) => "reaches full capacity on the same day (median)".into(),
            None => "has no median full-capacity difference (too few runs reach it)".into(),
        };
        let _ = writeln!(
            b,
            "<p class=\"answer\"><strong>{}</strong>: P(target by deadline) {} against {} for \
             {}, a difference of <span data-figure=\"{path}.p_target_by_deadline.estimate\" \
             data-format=\"points\">{}</span> (paired 95% interval {} to {}); it {days} and has \
             {} GPUs available at the deadline (mean of the paired differences).</p>",
            esc(&text(cmp, "scenario")),
            figure(
                &c,
                &format!("scenarios.{}.p_target_by_deadline.estimate", i + 1),
                Format::Percent,
                ""
            ),
            figure(
                &c,
                "scenarios.0.p_target_by_deadline.estimate",
                Format::Percent,
                ""
            ),
            esc(&baseline),
            points(num(cmp, "p_target_by_deadline.estimate")),
            points(num(cmp, "p_target_by_deadline.paired_ci95_low")),
            points(num(cmp, "p_target_by_deadline.paired_ci95_high")),
            more_or_fewer(num(cmp, "available_gpus_at_deadline.estimate")),
        );
    }
    b.push_str("</header>\n");
    let rows: Vec<Vec<String>> = scenarios
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = format!("scenarios.{i}");
            vec![
                format!(
                    "<strong>{}</strong><br><span class=\"note\">{}</span>",
                    figure(&c, &format!("{p}.label"), Format::Text, ""),
                    esc(&text(s, "file"))
                ),
                format!(
                    "{} by <span class=\"nobr\">{}</span>",
                    figure(&c, &format!("{p}.target_gpus"), Format::Count, ""),
                    esc(&text(s, "deadline"))
                ),
                format!(
                    "{}<br><span class=\"note\">{} – {}</span>",
                    figure(
                        &c,
                        &format!("{p}.p_target_by_deadline.estimate"),
                        Format::Percent,
                        ""
                    ),
                    figure(
                        &c,
                        &format!("{p}.p_target_by_deadline.ci95_low"),
                        Format::Percent,
                        ""
                    ),
                    figure(
                        &c,
                        &format!("{p}.p_target_by_deadline.ci95_high"),
                        Format::Percent,
                        ""
                    ),
                ),
                format!(
                    "{}<br><span class=\"note\">{} – {}</span>",
                    figure(
                        &c,
                        &format!("{p}.full_capacity_date.p50"),
                        Format::Text,
                        "not reached"
                    ),
                    figure(
                        &c,
                        &format!("{p}.full_capacity_date.p10"),
                        Format::Text,
                        "not reached"
                    ),
                    figure(
                        &c,
                        &format!("{p}.full_capacity_date.p90"),
                        Format::Text,
                        "not reached"
                    ),
                ),
                format!(
                    "{}<br><span class=\"note\">{} – {}</span>",
                    figure(
                        &c,
                        &format!("{p}.available_gpus_at_deadline.p50"),
                        Format::Count,
                        ""
                    ),
                    figure(
                        &c,
                        &format!("{p}.available_gpus_at_deadline.p10"),
                        Format::Count,
                        ""
                    ),
                    figure(
                        &c,
                        &format!("{p}.available_gpus_at_deadline.p90"),
                        Format::Count,
                        ""
                    ),
                ),
            ]
        })
        .collect();
    b.push_str("<section>\n<h2>Each scenario</h2>\n");
    b.push_str(&table(
        &[
            "Scenario",
            "Target",
            "P(target by deadline), 95% interval",
            "Full capacity: median, P10 – P90",
            "GPUs available at deadline: median, P10 – P90",
        ],
        &[false, false, true, true, true],
        &rows,
    ));
    b.push_str("</section>\n<section>\n<h2>Charts</h2>\n");
    let medians: Vec<String> = scenarios
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                text(s, "label"),
                thousands(num(s, "available_gpus_at_deadline.p50"))
            )
        })
        .collect();
    b.push_str(&chart_figure(
        &overlay,
        "Available GPUs over time, every scenario",
        &format!(
            "Median GPUs available at {}'s deadline ({}): {}.",
            baseline,
            text(base, "deadline"),
            medians.join("; ")
        ),
    ));
    let paired: Vec<String> = at(&c, "comparisons")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|cmp| {
            format!(
                "{} {} ({} to {})",
                text(cmp, "scenario"),
                points(num(cmp, "p_target_by_deadline.estimate")),
                points(num(cmp, "p_target_by_deadline.paired_ci95_low")),
                points(num(cmp, "p_target_by_deadline.paired_ci95_high")),
            )
        })
        .collect();
    b.push_str(&chart_figure(
        &differences,
        &format!("Paired differences against {baseline}"),
        &format!(
            "P(target by deadline), paired 95% interval in brackets: {}.",
            paired.join("; ")
        ),
    ));
    b.push_str("</section>\n");
    b.push_str(&provenance(
        &[
            (
                "capsim version",
                figure(&c, "capsim_version", Format::Text, ""),
            ),
            ("Seed", figure(&c, "seed", Format::Text, "")),
            (
                "Trials per scenario",
                figure(&c, "trials", Format::Count, ""),
            ),
            ("Baseline", figure(&c, "baseline", Format::Text, "")),
            ("Differences", esc(&text(&c, "methods.difference"))),
            ("Paired intervals", esc(&text(&c, "methods.paired"))),
        ],
        options.command.as_deref(),
    ));
    b.push_str(
        "<p class=\"note\">Each scenario's own files (summary.json, daily.csv, \
         scenario.resolved.toml) are in the folder named by its label.</p>\n</section>\n",
    );
    write_page(dir, &page(&format!("capsim compare: {baseline}"), &b))
}

/// A grid point's parameter values as `path=value` pairs.
fn grid_point(params: &[String], point: &Value) -> String {
    params
        .iter()
        .enumerate()
        .map(|(k, p)| match at(point, &format!("values.{k}")) {
            Value::Number(n) => format!("{p}={}", n.as_f64().unwrap_or(f64::NAN)),
            other => format!("{p}={}", other.as_str().unwrap_or_default()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Writes `dir/report.html` of the sweep whose `sweep.json` is in `dir`, with `chart` drawn as
/// SVG. Returns the path written.
pub(super) fn write_sweep_report(
    dir: &Path,
    chart: &SweepChart,
    options: &ChartOptions,
) -> Result<PathBuf, ResultsError> {
    let s = read_json(&dir.join("sweep.json"))?;
    let svg =
        chart::render_sweep(chart, ChartFormat::Svg, CHART_SIZE).map_err(chart_error("sweep"))?;
    let params: Vec<String> = at(&s, "parameters")
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| text(p, "path"))
        .collect();
    let points = at(&s, "points").as_array().cloned().unwrap_or_default();
    let threshold = num(&s, "threshold");
    let target = thousands(num(&s, "target_gpus"));
    let deadline = text(&s, "deadline");
    let p_of = |p: &Value| num(p, "p_target_by_deadline.estimate");
    let reaching = points.iter().filter(|p| p_of(p) >= threshold).count();
    let best = (0..points.len()).max_by(|&a, &b| p_of(&points[a]).total_cmp(&p_of(&points[b])));
    let worst = (0..points.len()).min_by(|&a, &b| p_of(&points[a]).total_cmp(&p_of(&points[b])));
    let mut b = String::new();
    let varied = params
        .iter()
        .map(|p| format!("<code>{}</code>", esc(p)))
        .collect::<Vec<_>>()
        .join(" and ");
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">capsim sweep report</p>\n<h1>How does {varied} move the \
         odds that {} reaches {target} GPUs by {deadline}?</h1>",
        esc(&text(&s, "scenario"))
    );
    if let (Some(best), Some(worst)) = (best, worst) {
        let _ = writeln!(
            b,
            "<p class=\"answer\"><strong>{reaching} of {} grid points</strong> reach \
             P(target by deadline) ≥ {}. The highest is {} at {}; the lowest {} at {}.</p>",
            points.len(),
            percent(threshold),
            figure(
                &s,
                &format!("points.{best}.p_target_by_deadline.estimate"),
                Format::Percent,
                ""
            ),
            esc(&grid_point(&params, &points[best])),
            figure(
                &s,
                &format!("points.{worst}.p_target_by_deadline.estimate"),
                Format::Percent,
                ""
            ),
            esc(&grid_point(&params, &points[worst])),
        );
    }
    b.push_str("</header>\n<section>\n<h2>Charts</h2>\n");
    let reading = match (params.len(), points.first(), points.last()) {
        (1, Some(first), Some(last)) => format!(
            "P(target by deadline) is {} at {} and {} at {}; median GPUs at the deadline go from \
             {} to {}.",
            percent(p_of(first)),
            grid_point(&params, first),
            percent(p_of(last)),
            grid_point(&params, last),
            thousands(num(first, "available_gpus_at_deadline.p50")),
            thousands(num(last, "available_gpus_at_deadline.p50")),
        ),
        _ => format!(
            "{reaching} of the {} cells reach P(target by deadline) ≥ {}; the contour marks \
             the boundary.",
            points.len(),
            percent(threshold)
        ),
    };
    let title = if params.len() == 1 {
        "P(target) and GPUs at the deadline across the sweep"
    } else {
        "P(target) over the grid"
    };
    b.push_str(&chart_figure(&svg, title, &reading));
    b.push_str("</section>\n<section>\n<h2>Every grid point</h2>\n");
    let rows: Vec<Vec<String>> = (0..points.len())
        .map(|i| {
            let path = format!("points.{i}");
            let mut row: Vec<String> = (0..params.len())
                .map(|k| figure(&s, &format!("{path}.values.{k}"), Format::Number, ""))
                .collect();
            row.extend([
                figure(
                    &s,
                    &format!("{path}.p_target_by_deadline.estimate"),
                    Format::Percent,
                    "",
                ),
                format!(
                    "{} – {}",
                    figure(
                        &s,
                        &format!("{path}.p_target_by_deadline.ci95_low"),
                        Format::Percent,
                        ""
                    ),
                    figure(
                        &s,
                        &format!("{path}.p_target_by_deadline.ci95_high"),
                        Format::Percent,
                        ""
                    )
                ),
                figure(
                    &s,
                    &format!("{path}.full_capacity_date.p50"),
                    Format::Text,
                    "not reached",
                ),
                figure(
                    &s,
                    &format!("{path}.full_capacity_date.never_fraction"),
                    Format::Percent,
                    "",
                ),
                figure(
                    &s,
                    &format!("{path}.available_gpus_at_deadline.p50"),
                    Format::Count,
                    "",
                ),
                format!(
                    "{} – {}",
                    figure(
                        &s,
                        &format!("{path}.available_gpus_at_deadline.p10"),
                        Format::Count,
                        ""
                    ),
                    figure(
                        &s,
                        &format!("{path}.available_gpus_at_deadline.p90"),
                        Format::Count,
                        ""
                    )
                ),
            ]);
            row
        })
        .collect();
    let mut header: Vec<&str> = params.iter().map(String::as_str).collect();
    header.extend([
        "P(target)",
        "95% interval",
        "Full capacity (median)",
        "Never (by horizon)",
        "GPUs at deadline (median)",
        "GPUs P10 – P90",
    ]);
    let numeric = vec![true; header.len()];
    b.push_str(&table(&header, &numeric, &rows));
    b.push_str("</section>\n");
    b.push_str(&provenance(
        &[
            (
                "capsim version",
                figure(&s, "capsim_version", Format::Text, ""),
            ),
            ("Scenario", figure(&s, "scenario", Format::Text, "")),
            ("Scenario file", figure(&s, "file", Format::Text, "")),
            ("Seed", figure(&s, "seed", Format::Text, "")),
            (
                "Trials per grid point",
                figure(&s, "trials", Format::Count, ""),
            ),
        ],
        options.command.as_deref(),
    ));
    b.push_str("</section>\n");
    write_page(
        dir,
        &page(&format!("capsim sweep: {}", text(&s, "scenario")), &b),
    )
}

/// Writes `dir/report.html` of the sensitivity analysis whose `sensitivity.json` is in `dir`,
/// with `tornado` drawn as SVG when it ranks any input. Returns the path written.
pub(super) fn write_sensitivity_report(
    dir: &Path,
    tornado: &Tornado,
    options: &ChartOptions,
) -> Result<PathBuf, ResultsError> {
    let s = read_json(&dir.join("sensitivity.json"))?;
    let inputs = at(&s, "inputs").as_array().cloned().unwrap_or_default();
    let method = text(&s, "method");
    let target = thousands(num(&s, "target_gpus"));
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">capsim sensitivity report ({})</p>\n<h1>Which inputs \
         decide whether {} reaches {target} GPUs by {}?</h1>",
        esc(&method),
        esc(&text(&s, "scenario")),
        esc(&text(&s, "deadline"))
    );
    let top = |i: usize| -> String {
        let x = &inputs[i];
        let name = format!("<code>{}</code>", esc(&text(x, "input")));
        let p = format!("inputs.{i}");
        match method.as_str() {
            "spearman" => format!(
                "{name} (ρ {} with the full-capacity day)",
                figure(
                    &s,
                    &format!("{p}.rho_full_capacity_day"),
                    Format::Fixed3,
                    "n/a"
                )
            ),
            "swing" => format!(
                "{name} (P(target) {} at its P10, {} at its P90)",
                figure(&s, &format!("{p}.p_target_at_p10"), Format::Percent, ""),
                figure(&s, &format!("{p}.p_target_at_p90"), Format::Percent, "")
            ),
            _ => format!(
                "{name} (total Sobol index {} of “target met”)",
                figure(
                    &s,
                    &format!("{p}.met_by_deadline.total.estimate"),
                    Format::Fixed3,
                    ""
                )
            ),
        }
    };
    if inputs.is_empty() {
        b.push_str("<p class=\"answer\">No input varies: nothing to rank.</p>\n");
    } else {
        let _ = write!(
            b,
            "<p class=\"answer\">The input that matters most is {}",
            top(0)
        );
        if inputs.len() > 1 {
            let _ = write!(b, "; next, {}", top(1));
        }
        let _ = writeln!(
            b,
            ". With every input random, P(target by deadline) is {} and the median full-capacity \
             date {}.</p>",
            figure(&s, "baseline.p_target_by_deadline", Format::Percent, ""),
            figure(
                &s,
                "baseline.median_full_capacity_date",
                Format::Text,
                "not reached"
            ),
        );
    }
    b.push_str("</header>\n");
    if !tornado.rows.is_empty() {
        let svg = chart::render_tornado(tornado, ChartFormat::Svg, CHART_SIZE)
            .map_err(chart_error("tornado"))?;
        let shown: Vec<String> = inputs.iter().take(3).map(|x| text(x, "input")).collect();
        let reading = format!(
            "{} inputs ranked; the longest bars, first, are {}.",
            inputs.len(),
            shown.join(", ")
        );
        b.push_str("<section>\n<h2>Charts</h2>\n");
        b.push_str(&chart_figure(&svg, &tornado.title, &reading));
        b.push_str("</section>\n");
    }
    let (header, columns): (Vec<&str>, Vec<(&str, Format)>) = match method.as_str() {
        "spearman" => (
            vec![
                "Input",
                "ρ with full-capacity day",
                "ρ with GPUs at deadline",
            ],
            vec![
                ("rho_full_capacity_day", Format::Fixed3),
                ("rho_available_gpus", Format::Fixed3),
            ],
        ),
        "swing" => (
            vec![
                "Input",
                "P(target) at its P10",
                "P(target) at its P90",
                "Swing",
            ],
            vec![
                ("p_target_at_p10", Format::Percent),
                ("p_target_at_p90", Format::Percent),
                ("p_target_swing", Format::Percent),
            ],
        ),
        _ => (
            vec!["Input", "First-order index", "Total index"],
            vec![
                ("met_by_deadline.first_order.estimate", Format::Fixed3),
                ("met_by_deadline.total.estimate", Format::Fixed3),
            ],
        ),
    };
    let rows: Vec<Vec<String>> = (0..inputs.len())
        .map(|i| {
            let mut row = vec![format!(
                "<code>{}</code>",
                figure(&s, &format!("inputs.{i}.input"), Format::Text, "")
            )];
            row.extend(
                columns
                    .iter()
                    .map(|(key, format)| figure(&s, &format!("inputs.{i}.{key}"), *format, "n/a")),
            );
            row
        })
        .collect();
    let mut numeric = vec![true; header.len()];
    numeric[0] = false;
    b.push_str("<section>\n<h2>Every input</h2>\n");
    b.push_str(&table(&header, &numeric, &rows));
    let _ = writeln!(
        b,
        "<p class=\"note\">{}</p>\n</section>",
        esc(&text(&s, "how"))
    );
    b.push_str(&provenance(
        &[
            (
                "capsim version",
                figure(&s, "capsim_version", Format::Text, ""),
            ),
            ("Scenario", figure(&s, "scenario", Format::Text, "")),
            ("Scenario file", figure(&s, "file", Format::Text, "")),
            ("Method", figure(&s, "method", Format::Text, "")),
            ("Seed", figure(&s, "seed", Format::Text, "")),
            ("Trials per run", figure(&s, "trials", Format::Count, "")),
            ("Runs", figure(&s, "runs", Format::Count, "")),
        ],
        options.command.as_deref(),
    ));
    b.push_str("</section>\n");
    write_page(
        dir,
        &page(&format!("capsim sensitivity: {}", text(&s, "scenario")), &b),
    )
}

/// The command line quoted in the provenance of `dir`'s existing `report.html`, if any: kept
/// when `capsim plot` redraws the report, so the page still names the command that made the
/// data.
pub fn recorded_command(dir: &Path) -> Option<String> {
    let html = std::fs::read_to_string(dir.join(REPORT_FILE)).ok()?;
    const START: &str = "<dt>Command</dt><dd><code>";
    let from = html.find(START)? + START.len();
    let escaped = &html[from..from + html[from..].find("</code>")?];
    Some(
        escaped
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&amp;", "&"),
    )
}

/// Writes `dir/report.html` of the solve whose `solve.json` is in `dir`, with `chart` drawn as
/// SVG: the question and the answer with its interval, the chart with its reading, every step,
/// the method and the provenance. Returns the path written.
pub(super) fn write_solve_report(
    dir: &Path,
    chart: &SolveChart,
    options: &ChartOptions,
) -> Result<PathBuf, ResultsError> {
    let s = read_json(&dir.join("solve.json"))?;
    let svg =
        chart::render_solve(chart, ChartFormat::Svg, CHART_SIZE).map_err(chart_error("solve"))?;
    let field = field_label(&text(&s, "path"));
    let field_name = lower_first(&field.name);
    let goal = chart::goal_label(&chart.goal);
    let steps = at(&s, "steps").as_array().cloned().unwrap_or_default();
    let unit = field.unit.map(|u| format!(" {u}")).unwrap_or_default();
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">capsim solve report</p>\n<h1>What value of {} gives {}?</h1>",
        esc(&field_name),
        esc(&goal)
    );
    let _ = writeln!(
        b,
        "<p>Scenario {}: target {} GPUs online by {}; <code>{}</code> varied from {} to {}.</p>",
        figure(&s, "scenario", Format::Text, ""),
        figure(&s, "target_gpus", Format::Count, ""),
        figure(&s, "deadline", Format::Text, ""),
        esc(&text(&s, "path")),
        figure(&s, "range.0", Format::Number, ""),
        figure(&s, "range.1", Format::Number, ""),
    );
    let interval_end = |k: usize| {
        let end = format!("interval.{k}");
        let mark = if at(&s, &format!("{end}.at_range_end")).as_bool() == Some(true) {
            " (range end)"
        } else {
            ""
        };
        format!(
            "{}{mark}",
            figure(&s, &format!("{end}.value"), Format::Number, "")
        )
    };
    let answer = match text(&s, "outcome").as_str() {
        "found" => {
            let which = if text(&s, "answer_kind") == "largest" {
                "largest"
            } else {
                "smallest"
            };
            let mut a = format!(
                "<strong>Answer: {}{}</strong>, the {which} value that meets the goal",
                figure(&s, "answer", Format::Number, ""),
                esc(&unit)
            );
            if !at(&s, "interval").is_null() {
                let _ = write!(
                    a,
                    " (95% interval {} – {})",
                    interval_end(0),
                    interval_end(1)
                );
            }
            a.push('.');
            a
        }
        "met_at_both_ends" => format!(
            "<strong>No threshold in the range:</strong> the goal is already met at both ends \
             ({} and {}); widen the range.",
            figure(&s, "range.0", Format::Number, ""),
            figure(&s, "range.1", Format::Number, ""),
        ),
        _ => format!(
            "<strong>Not reachable in the range:</strong> the goal is met at neither end ({} \
             and {}); widen the range.",
            figure(&s, "range.0", Format::Number, ""),
            figure(&s, "range.1", Format::Number, ""),
        ),
    };
    let _ = writeln!(b, "<p class=\"answer\">{answer}</p>\n</header>");
    let notes = at(&s, "notes").as_array().cloned().unwrap_or_default();
    if !notes.is_empty() {
        b.push_str("<section class=\"warnings\">\n<h2>Notes</h2>\n<ul>\n");
        for k in 0..notes.len() {
            let _ = writeln!(
                b,
                "<li>{}</li>",
                figure(&s, &format!("notes.{k}"), Format::Text, "")
            );
        }
        b.push_str("</ul>\n</section>\n");
    }
    b.push_str("<section>\n<h2>Chart</h2>\n");
    b.push_str(&chart_figure(
        &svg,
        "The goal's metric at every value tried",
        &solve_reading(&s, chart),
    ));
    b.push_str("</section>\n<section>\n<h2>Every step, in the order run</h2>\n");
    let rows: Vec<Vec<String>> = (0..steps.len())
        .map(|i| {
            let p = format!("steps.{i}");
            vec![
                (i + 1).to_string(),
                figure(&s, &format!("{p}.value"), Format::Number, ""),
                esc(&text(&s, &format!("{p}.search")).replace('_', " ")),
                figure(
                    &s,
                    &format!("{p}.p_target_by_deadline.estimate"),
                    Format::Percent,
                    "",
                ),
                format!(
                    "{} – {}",
                    figure(
                        &s,
                        &format!("{p}.p_target_by_deadline.ci95_low"),
                        Format::Percent,
                        ""
                    ),
                    figure(
                        &s,
                        &format!("{p}.p_target_by_deadline.ci95_high"),
                        Format::Percent,
                        ""
                    )
                ),
                figure(&s, &format!("{p}.gpus_at_deadline_p50"), Format::Count, ""),
                figure(&s, &format!("{p}.full_capacity_p50"), Format::Text, "never"),
                if at(&s, &format!("{p}.meets_goal")).as_bool() == Some(true) {
                    "met".into()
                } else {
                    "not met".into()
                },
            ]
        })
        .collect();
    let header = [
        "Step",
        &field.axis_title(),
        "Search",
        "P(target)",
        "95% interval",
        "GPUs at deadline (median)",
        "Full capacity (median)",
        "Goal",
    ];
    b.push_str(&table(
        &header,
        &[true, true, false, true, true, true, true, false],
        &rows,
    ));
    b.push_str("</section>\n<section>\n<h2>Method</h2>\n");
    let _ = writeln!(
        b,
        "<p>Both ends of the range are run first, then the range is bisected towards the value \
         where the goal's metric crosses the goal; every step is a full run of the same {} trials \
         with the same seed (common random numbers), so the metric moves with the value, not \
         with the draws. For a P(target) goal two more bisections find where the ends of \
         P(target)'s 95% interval cross the goal: between those two values the goal lies inside \
         the interval, so they bound the answer.</p>\n</section>",
        figure(&s, "trials", Format::Count, "")
    );
    b.push_str(&provenance(
        &[
            (
                "capsim version",
                figure(&s, "capsim_version", Format::Text, ""),
            ),
            ("Scenario", figure(&s, "scenario", Format::Text, "")),
            ("Scenario file", figure(&s, "file", Format::Text, "")),
            ("Seed", figure(&s, "seed", Format::Text, "")),
            ("Trials per step", figure(&s, "trials", Format::Count, "")),
            ("Goal", figure(&s, "goal", Format::Text, "")),
            (
                "Tolerance",
                format!(
                    "{} (bracket width at which bisection stops{})",
                    figure(&s, "tolerance", Format::Number, ""),
                    if chart.x_origin.is_some() {
                        ", days"
                    } else {
                        ""
                    }
                ),
            ),
        ],
        options.command.as_deref(),
    ));
    b.push_str("</section>\n");
    write_page(
        dir,
        &page(&format!("capsim solve: {}", text(&s, "scenario")), &b),
    )
}

/// The solve chart's reading: how many steps meet the goal, and the answer's neighbour on the
/// other side of the goal.
fn solve_reading(s: &Value, chart: &SolveChart) -> String {
    use crate::analysis::solve::Metric as GoalMetric;
    let steps = at(s, "steps").as_array().cloned().unwrap_or_default();
    let met = steps
        .iter()
        .filter(|p| p["meets_goal"].as_bool() == Some(true))
        .count();
    let metric = chart::metric_label(chart.goal.metric);
    let mut r = format!(
        "{met} of the {} values tried meet the goal (dots on the goal's side of the dashed \
         line).",
        steps.len()
    );
    let Some(answer) = &chart.answer else {
        return r;
    };
    let value_text = |p: &Value| text(p, "value");
    let metric_text = |p: &Value| match chart.goal.metric {
        // Two decimals: a value just below the goal must not read as the goal.
        GoalMetric::PTarget => format!("{:.2}%", num(p, "p_target_by_deadline.estimate") * 100.0),
        GoalMetric::GpusAtDeadlineP50 => thousands(num(p, "gpus_at_deadline_p50")),
        GoalMetric::FullCapacityP50 => match p["full_capacity_p50"].as_str() {
            Some(d) => d.to_owned(),
            None => "never".into(),
        },
    };
    let at_answer = steps
        .iter()
        .zip(&chart.steps)
        .find(|(_, c)| c.x == answer.x)
        .map(|(p, _)| p);
    // The closest value tried that misses the goal.
    let missed = steps
        .iter()
        .zip(&chart.steps)
        .filter(|(p, _)| p["meets_goal"].as_bool() == Some(false))
        .min_by(|(_, a), (_, b)| (a.x - answer.x).abs().total_cmp(&(b.x - answer.x).abs()))
        .map(|(p, _)| p);
    if let Some(a) = at_answer {
        let _ = write!(
            r,
            " At the answer, {} (the solid line), {metric} is {}",
            value_text(a),
            metric_text(a)
        );
        match missed {
            Some(m) => {
                let _ = write!(
                    r,
                    "; at {}, the nearest value tried that misses the goal, it is {}.",
                    value_text(m),
                    metric_text(m)
                );
            }
            None => r.push('.'),
        }
    }
    if answer.interval.is_some() {
        r.push_str(
            " The shaded band is the answer's 95% interval: more trials per step narrow it.",
        );
    }
    r
}

/// `name` with its first letter in lower case, to follow "value of" in a question, unless it
/// starts with an abbreviation ("PUE").
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => {
            format!("{}{}", a.to_lowercase(), &name[a.len_utf8()..])
        }
        _ => name.to_owned(),
    }
}

/// A calibration in words: whether the share inside P10–P90, with its 95% interval, is
/// consistent with the 80% a calibrated model puts there, and on which side the misses fall.
fn calibration_verdict(c: &Value) -> String {
    let (low, high) = (num(c, "inside_share_ci95.0"), num(c, "inside_share_ci95.1"));
    let (below, above) = (num(c, "below_share"), num(c, "above_share"));
    let lead = if high < 0.8 {
        "The simulated bands are too narrow"
    } else if low > 0.8 {
        "The simulated bands are wider than they need to be"
    } else {
        "Consistent with a calibrated model"
    };
    let side = if above > 2.0 * below && above > 0.1 {
        ": reality came in higher than most trials (the model is pessimistic)"
    } else if below > 2.0 * above && below > 0.1 {
        ": reality came in lower than most trials (the model is optimistic)"
    } else {
        ""
    };
    format!("{lead}{side}")
}

/// The calibration figures under `prefix` (`calibration` or `backtests.3.calibration`) as
/// sentences, the verdict first.
fn calibration_sentence(s: &Value, prefix: &str) -> String {
    let c = at(s, prefix);
    let f = |key: &str, format: Format| figure(s, &format!("{prefix}.{key}"), format, "");
    format!(
        "<strong>{}.</strong> {} of {} observations ({}, 95% interval {} – {}) fall inside the \
         simulated P10–P90 band, where a calibrated model puts 80%; {} fall below P10 and {} \
         above P90. Mean rank {:.0}% (calibrated: 50%).",
        esc(&calibration_verdict(c)),
        f("inside", Format::Count),
        f("observations", Format::Count),
        f("inside_share", Format::Percent),
        f("inside_share_ci95.0", Format::Percent),
        f("inside_share_ci95.1", Format::Percent),
        f("below_share", Format::Percent),
        f("above_share", Format::Percent),
        num(c, "mean_rank_pct"),
    )
}

/// Writes `dir/report.html` of the backtests whose `backtest.json` is in `dir`, with `fans`
/// (one per backtest, in file order) and `calibration` drawn as SVG: the calibration over all
/// backtests up front, then each backtest's observed vs simulated values. Returns the path
/// written.
pub(super) fn write_backtest_report(
    dir: &Path,
    fans: &[BacktestFan],
    calibration: &CalibrationChart,
    options: &ChartOptions,
) -> Result<PathBuf, ResultsError> {
    let s = read_json(&dir.join("backtest.json"))?;
    let backtests = at(&s, "backtests").as_array().cloned().unwrap_or_default();
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<header>\n<p class=\"kicker\">capsim backtest report</p>\n<h1>Did the simulated \
         ranges hold what actually happened?</h1>\n<p class=\"answer\">{}</p>\n</header>",
        calibration_sentence(&s, "calibration")
    );
    let names: Vec<String> = backtests.iter().map(|e| text(e, "name")).collect();
    let _ = writeln!(
        b,
        "<p>{} backtest{} ({}): each re-runs a scenario as it was planned and places every \
         recorded actual among the simulated trials of its day.</p>",
        backtests.len(),
        if backtests.len() == 1 { "" } else { "s" },
        esc(&names.join(", "))
    );
    let _ = writeln!(
        b,
        "<dl class=\"figures\">\n\
         <div><dt>Inside P10–P90</dt><dd><span class=\"big\">{}</span>\
         <span class=\"note\">calibrated: 80%</span></dd></div>\n\
         <div><dt>Below P10</dt><dd><span class=\"big\">{}</span>\
         <span class=\"note\">calibrated: 10%; reality lower than most trials</span></dd></div>\n\
         <div><dt>Above P90</dt><dd><span class=\"big\">{}</span>\
         <span class=\"note\">calibrated: 10%; reality higher than most trials</span></dd></div>\n</dl>",
        figure(&s, "calibration.inside_share", Format::Percent, ""),
        figure(&s, "calibration.below_share", Format::Percent, ""),
        figure(&s, "calibration.above_share", Format::Percent, ""),
    );
    b.push_str("<section>\n<h2>Calibration</h2>\n");
    let svg = chart::render_calibration(calibration, ChartFormat::Svg, CHART_SIZE)
        .map_err(chart_error("calibration"))?;
    let counts: Vec<u64> = calibration.counts.clone();
    let total: u64 = counts.iter().sum();
    let outer = counts.first().copied().unwrap_or(0) + counts.last().copied().unwrap_or(0);
    let reading = format!(
        "{outer} of {total} observations rank in the outer two bins (below 10% or above 90%), \
         where a calibrated model puts {:.1}; an even spread means the bands are as wide as \
         reality's spread.",
        total as f64 * 0.2
    );
    b.push_str(&chart_figure(
        &svg,
        "Where the actuals rank among the trials",
        &reading,
    ));
    b.push_str("</section>\n");
    for (i, (e, fan)) in backtests.iter().zip(fans).enumerate() {
        let p = format!("backtests.{i}");
        let _ = writeln!(
            b,
            "<section>\n<h2>Backtest {}</h2>\n<p>Scenario {}, {} trials, seed {}. {}</p>",
            figure(&s, &format!("{p}.name"), Format::Text, ""),
            figure(&s, &format!("{p}.scenario"), Format::Text, ""),
            figure(&s, &format!("{p}.trials"), Format::Count, ""),
            figure(&s, &format!("{p}.seed"), Format::Text, ""),
            calibration_sentence(&s, &format!("{p}.calibration")),
        );
        let svg = chart::render_backtest_fan(
            fan,
            ChartFormat::Svg,
            chart::backtest_fan_size(fan.panels.len()),
        )
        .map_err(chart_error("backtest fan"))?;
        let observations = at(e, "observations")
            .as_array()
            .cloned()
            .unwrap_or_default();
        let outside: Vec<String> = observations
            .iter()
            .filter(|o| text(o, "position") != "inside")
            .map(|o| {
                format!(
                    "{} {} {} ({})",
                    text(o, "date"),
                    o["site"].as_str().unwrap_or("fleet"),
                    text(o, "metric").replace('_', " "),
                    text(o, "position")
                )
            })
            .collect();
        let reading = if outside.is_empty() {
            "Every observation (points) lies inside its day's simulated P10–P90 band.".to_owned()
        } else {
            format!(
                "Points outside their day's P10–P90 band (vermillion): {}.",
                outside.join("; ")
            )
        };
        b.push_str(&chart_figure(
            &svg,
            &format!("Observed vs simulated: {}", text(e, "name")),
            &reading,
        ));
        let rows: Vec<Vec<String>> = (0..observations.len())
            .map(|k| {
                let o = format!("{p}.observations.{k}");
                let mw = text(&s, &format!("{o}.metric")) == "energized_mw";
                let value = |key: &str| {
                    if mw {
                        format!("{:.1}", num(&s, &format!("{o}.{key}")))
                    } else {
                        figure(&s, &format!("{o}.{key}"), Format::Count, "")
                    }
                };
                vec![
                    figure(&s, &format!("{o}.date"), Format::Text, ""),
                    esc(&text(&s, &format!("{o}.metric")).replace('_', " ")),
                    figure(&s, &format!("{o}.site"), Format::Text, "fleet"),
                    value("value"),
                    value("p10"),
                    value("p50"),
                    value("p90"),
                    format!("{:.0}%", num(&s, &format!("{o}.rank_pct"))),
                    figure(&s, &format!("{o}.position"), Format::Text, ""),
                ]
            })
            .collect();
        b.push_str(&table(
            &[
                "Date",
                "Metric",
                "Site",
                "Observed",
                "Simulated P10",
                "P50",
                "P90",
                "Rank",
                "Position",
            ],
            &[false, false, false, true, true, true, true, true, false],
            &rows,
        ));
        b.push_str("</section>\n");
    }
    b.push_str(
        "<section>\n<h2>Method</h2>\n<p>Each backtest runs its scenario from its start with the \
         plan as it was known, and ranks every recorded actual among the trials' values for its \
         metric, site and day (the mid-rank, 0–100%). A calibrated model puts 80% of the actuals \
         inside the per-day P10–P90 band and spreads their ranks evenly; a U-shaped rank \
         histogram means bands too narrow, a hump too wide, a tilt a bias.</p>\n</section>\n",
    );
    let mut items = vec![(
        "capsim version",
        figure(&s, "capsim_version", Format::Text, ""),
    )];
    let files: Vec<String> = (0..backtests.len())
        .map(|i| figure(&s, &format!("backtests.{i}.file"), Format::Text, ""))
        .collect();
    items.push(("Backtest files", files.join("<br>")));
    b.push_str(&provenance(&items, options.command.as_deref()));
    b.push_str("</section>\n");
    write_page(dir, &page("capsim backtest", &b))
}
