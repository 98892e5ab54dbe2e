//! Chart tests: every chart renders for the shipped base scenario and for edge cases, PNGs hold
//! real content, SVGs hold their text, and bad results files give errors naming the file.

use std::path::Path;

use super::style::okabe_ito as oi;
use super::*;
use crate::engine::{self, EngineConfig, RunHooks};
use crate::model::Model;
use crate::output;
use crate::scenario::{self, Scenario};
use crate::stats::{Summary, daily_rows};
use crate::test_support::TestScenario;

/// One site; 14 racks arrive at the end of each week and go online the same day, so every trial
/// reaches 2,016 GPUs on day 13.
fn same_day() -> TestScenario {
    TestScenario::new("same-day")
        .dates("2026-01-31", "2026-02-09")
        .target_gpus(2016)
        .supply(14, "2026-12-31")
        .site("hall", 1.25, 100, "{ mw = 100, planned = 2025-12-01 }")
}

/// Runs `scenario` with the library; returns the `summary.json` and `daily.csv` it would write.
fn run_files(s: &Scenario, trials: u64) -> (Vec<u8>, Vec<u8>) {
    let model = Model::compile(s).unwrap();
    let cfg = EngineConfig {
        trials,
        first_trial: 0,
        seed: 7,
        threads: 1,
        batch_size: 16,
    };
    let acc = engine::run(&model, &cfg, RunHooks::default()).unwrap();
    let summary = Summary::new(&acc, &engine::run_info(s, 7));
    let site_ids: Vec<String> = s.sites.iter().map(|x| x.id.clone()).collect();
    let mut json = Vec::new();
    output::write_summary_json(&summary, &mut json).unwrap();
    let mut csv = Vec::new();
    output::write_daily_csv(&daily_rows(&acc, s.start), &site_ids, &mut csv).unwrap();
    (json, csv)
}

/// Runs `scenario` and parses the files back into chart data.
fn chart_data(s: &Scenario, trials: u64) -> ChartData {
    let (json, csv) = run_files(s, trials);
    ChartData::parse(
        &json,
        Path::new("summary.json"),
        &csv,
        Path::new("daily.csv"),
    )
    .unwrap()
}

/// Runs a test scenario (8 trials) and parses its files back into chart data.
pub(super) fn inline(test_scenario: &TestScenario) -> ChartData {
    let text = test_scenario.text();
    chart_data(&scenario::parse(&text, Path::new("t.toml")).unwrap(), 8)
}

fn base() -> ChartData {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = scenario::load(&root.join("scenarios/aws-openai-2026.toml"), &[]).unwrap();
    chart_data(&s, 24)
}

/// Decoded 8-bit RGB pixels.
struct Image {
    w: usize,
    h: usize,
    rgb: Vec<u8>,
}

impl Image {
    fn decode(bytes: &[u8]) -> Image {
        let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut rgb = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut rgb).unwrap();
        assert_eq!(info.color_type, png::ColorType::Rgb);
        Image {
            w: info.width as usize,
            h: info.height as usize,
            rgb,
        }
    }
    fn px(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.w + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }
    fn non_white_share(&self) -> f64 {
        let n = self.rgb.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        n as f64 / (self.w * self.h) as f64
    }
}

/// `color` at `alpha` over white, as the bitmap backend blends it.
fn over_white(c: plotters::style::RGBColor, alpha: f64) -> [u8; 3] {
    let f = |v: u8| (f64::from(v) * alpha + 255.0 * (1.0 - alpha)).round() as u8;
    [f(c.0), f(c.1), f(c.2)]
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 3)
}

/// Renders every chart in both formats and checks the basics; returns the fan chart's PNG.
fn render_all(data: &ChartData, size: (u32, u32)) -> Vec<u8> {
    let mut fan_png = Vec::new();
    for kind in ChartKind::ALL {
        let png = render(kind, data, ChartFormat::Png, size).unwrap();
        let img = Image::decode(&png);
        assert_eq!((img.w as u32, img.h as u32), size, "{kind:?}");
        let ink = img.non_white_share();
        assert!((0.02..0.7).contains(&ink), "{kind:?}: {ink:.3} non-white");
        let svg = String::from_utf8(render(kind, data, ChartFormat::Svg, size).unwrap()).unwrap();
        assert!(svg.starts_with("<svg"), "{kind:?}");
        assert!(svg.contains("Date (end of day)"), "{kind:?}");
        if kind == ChartKind::Fan {
            fan_png = png;
        }
    }
    fan_png
}

#[test]
fn every_chart_renders_for_the_base_scenario() {
    let data = base();
    assert_eq!(data.daily.site_online_means().len(), 5);
    render_all(&data, DEFAULT_SIZE);
}

#[test]
fn fan_chart_bands_lie_inside_the_plot_area() {
    let data = base();
    let img =
        Image::decode(&render(ChartKind::Fan, &data, ChartFormat::Png, DEFAULT_SIZE).unwrap());
    let axis = [0x55, 0x55, 0x55];
    // The y axis: the leftmost column with a long vertical run of axis colour; the x axis: the
    // lowest row with a long horizontal run.
    let col_run = |x: usize| (0..img.h).filter(|&y| img.px(x, y) == axis).count();
    let row_run = |y: usize| (0..img.w).filter(|&x| img.px(x, y) == axis).count();
    let y_axis = (0..img.w)
        .find(|&x| col_run(x) > img.h / 3)
        .expect("y axis");
    let x_axis = (0..img.h)
        .rev()
        .find(|&y| row_run(y) > img.w / 3)
        .expect("x axis");
    let plot_top = (0..img.h).find(|&y| img.px(y_axis, y) == axis).unwrap();
    let bands = [
        over_white(fan::BAND, fan::OUTER_ALPHA),
        over_white(fan::BAND, fan::INNER_ALPHA),
    ];
    let mut inside = 0;
    for y in plot_top..img.h {
        for x in 0..img.w {
            if bands.iter().any(|b| near(img.px(x, y), *b)) {
                assert!(
                    x > y_axis && y < x_axis,
                    "band pixel at ({x}, {y}) outside the axes"
                );
                inside += 1;
            }
        }
    }
    // The bands must be drawn, not just a stray pixel: at least 2.5% of the plot area. (The base
    // scenario's bands, P10–P90 outermost, cover ~3.1% of it at 24 trials.)
    let plot_px = (img.w - y_axis) * (x_axis - plot_top);
    assert!(inside > plot_px / 40, "only {inside} band pixels");
}

#[test]
fn svg_holds_axis_titles_and_legend_labels() {
    let data = inline(&same_day());
    let svg =
        |k| String::from_utf8(render(k, &data, ChartFormat::Svg, DEFAULT_SIZE).unwrap()).unwrap();
    let fan = svg(ChartKind::Fan);
    for text in [
        "GPUs available (count)",
        "Median",
        "P25–P75",
        "P10–P90",
        "Target (2,016 GPUs)",
    ] {
        assert!(fan.contains(text), "fan chart lacks {text}");
    }
    let power = svg(ChartKind::Power);
    for text in [
        "Facility MW",
        "IT MW",
        "Energized",
        "IT load of racks drawing power",
    ] {
        assert!(power.contains(text), "power chart lacks {text}");
    }
    let fc = svg(ChartKind::FullCapacity);
    for text in ["Cumulative share of trials (%)", "P50 2026-01-14"] {
        assert!(fc.contains(text), "full-capacity chart lacks {text}");
    }
    assert!(svg(ChartKind::Bottlenecks).contains("Waiting for install crews"));
    let sites = svg(ChartKind::Sites);
    assert!(sites.contains("hall") && sites.contains("medians would not"));
}

#[test]
fn edge_case_every_trial_reaches_the_target_the_same_day_single_site() {
    let data = inline(&same_day());
    assert_eq!(data.facts.full_capacity, [data.facts.full_capacity[0]; 3]);
    render_all(&data, DEFAULT_SIZE);
}

#[test]
fn edge_case_no_trial_reaches_the_target() {
    let data = inline(&same_day().target_gpus(9_000_000));
    assert_eq!(data.facts.never_fraction, 1.0);
    render_all(&data, DEFAULT_SIZE);
    let svg = render(
        ChartKind::FullCapacity,
        &data,
        ChartFormat::Svg,
        DEFAULT_SIZE,
    )
    .unwrap();
    assert!(
        String::from_utf8(svg)
            .unwrap()
            .contains("No trial reaches 9,000,000 online GPUs")
    );
}

#[test]
fn edge_case_shortest_horizon_and_small_images() {
    // The shortest run the scenario rules allow: the deadline is the day after the start.
    let data = inline(&same_day().dates("2026-01-02", "2026-01-02"));
    assert_eq!(data.daily.len(), 2);
    render_all(&data, (400, 250));
}

#[test]
fn edge_case_one_row_of_data() {
    let data = inline(&same_day().dates("2026-01-02", "2026-01-02"));
    let mut one = data.clone();
    one.daily.truncate(1);
    render_all(&one, (600, 350));
}

#[test]
fn sites_chart_is_skipped_without_site_columns() {
    let s = scenario::parse(&same_day().text(), Path::new("t.toml")).unwrap();
    let (json, csv) = run_files(&s, 4);
    let data = ChartData::parse(&json, Path::new("s.json"), &csv, Path::new("daily.csv")).unwrap();
    // The same file without its per-site columns (as written before they existed).
    let mut reader = ::csv::Reader::from_reader(csv.as_slice());
    let header = reader.headers().unwrap().clone();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !header[i].starts_with("site_"))
        .collect();
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record(keep.iter().map(|&i| &header[i])).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        out.write_record(keep.iter().map(|&i| &r[i])).unwrap();
    }
    let stripped = out.into_inner().unwrap();
    let no_sites = ChartData::parse(
        &json,
        Path::new("s.json"),
        &stripped,
        Path::new("d/daily.csv"),
    )
    .unwrap();
    assert!(!data.daily.site_online_means().is_empty());
    let err = render(ChartKind::Sites, &no_sites, ChartFormat::Png, DEFAULT_SIZE).unwrap_err();
    assert!(matches!(err, ChartError::NoData { .. }), "{err}");
    assert!(err.to_string().contains("d/daily.csv"), "{err}");
}

#[test]
fn bad_files_give_errors_naming_the_file_and_the_problem() {
    let data = inline(&same_day());
    let dir = tempfile::tempdir().unwrap();
    let err = ChartData::read_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("summary.json") && err.contains("not found"),
        "{err}"
    );

    let mut json = Vec::new();
    let s = serde_json::json!({ "scenario": "x" });
    serde_json::to_writer(&mut json, &s).unwrap();
    let err = ChartData::parse(
        &json,
        Path::new("r/summary.json"),
        b"",
        Path::new("r/daily.csv"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("r/summary.json: not a valid capsim summary"),
        "{err}"
    );

    let summary = summary_json_of(&data);
    for (csv, problem) in [
        ("", "first column"),
        (
            "date,available_gpus_p5\n2026-01-01,1\n",
            "no column `available_gpus_p25`",
        ),
    ] {
        let err = ChartData::parse(
            &summary,
            Path::new("s.json"),
            csv.as_bytes(),
            Path::new("r/daily.csv"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("r/daily.csv: ") && err.contains(problem),
            "{err}"
        );
    }
    let mut header = vec!["date".to_owned()];
    header.extend(super::data::REQUIRED.iter().map(|c| (*c).to_owned()));
    let row = |d: &str, v: &str| {
        let mut r = vec![d.to_owned()];
        r.extend(std::iter::repeat_n(v.to_owned(), header.len() - 1));
        r.join(",")
    };
    let cases = [
        (format!("{}\n", header.join(",")), "no data rows".to_owned()),
        (
            format!("{}\n{}\n", header.join(","), row("2026-01-01", "x")),
            "line 2, column `available_gpus_p5`: `x` is not a number".to_owned(),
        ),
        (
            format!("{}\n{}\n", header.join(","), row("soon", "1")),
            "line 2: `soon` is not a date".to_owned(),
        ),
        (
            format!("{}\n{}\n", header.join(","), row("2030-01-01", "1")),
            "does not match the start".to_owned(),
        ),
    ];
    for (csv, problem) in cases {
        let err = ChartData::parse(
            &summary,
            Path::new("s.json"),
            csv.as_bytes(),
            Path::new("r/daily.csv"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("r/daily.csv: ") && err.contains(&problem),
            "{err}"
        );
    }
}

/// A summary.json consistent with `data` (what the charts read of it).
fn summary_json_of(data: &ChartData) -> Vec<u8> {
    let f = &data.facts;
    serde_json::to_vec(&serde_json::json!({
        "scenario": f.scenario, "trials": f.trials, "target_gpus": f.target_gpus,
        "start": f.start.to_string(), "deadline": f.deadline.to_string(),
        "horizon": f.horizon.to_string(),
        "p_target_by_deadline": { "estimate": f.p_target, "ci95_low": 0.0, "ci95_high": 1.0 },
        "full_capacity_date": { "p10": null, "p50": null, "p90": null, "never_fraction": 1.0 },
    }))
    .unwrap()
}

#[test]
fn number_and_date_formats() {
    assert_eq!(style::fmt_count(0.0), "0");
    assert_eq!(style::fmt_count(300_000.0), "300k");
    assert_eq!(style::fmt_count(2016.0), "2k");
    assert_eq!(style::fmt_count(1_250_000.0), "1.25M");
    assert_eq!(style::fmt_plain(1200.0), "1,200");
    assert_eq!(style::fmt_thousands(10_000), "10,000");
    let axis = style::DayAxis::new("2025-11-03".parse().unwrap(), 605);
    assert_eq!(axis.label(&28.0), "Dec 2025");
    let short = style::DayAxis::new("2026-01-01".parse().unwrap(), 10);
    assert_eq!(short.label(&2.0), "3 Jan");
}

// ---- Run charts (issue 14): fan, bottlenecks, pipeline, sites ----

use crate::stats::{DailyStat, Metric};

/// One SVG `<text>` element: its position, anchor and content.
#[derive(Debug, Clone)]
pub(super) struct SvgText {
    x: i32,
    y: i32,
    anchor: String,
    pub(super) text: String,
}

/// The value of attribute `name` in one SVG element's opening tag.
pub(super) fn svg_attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let len = tag[start..].find('"')?;
    Some(&tag[start..start + len])
}

/// Every `<text>` element of an SVG drawn by plotters.
pub(super) fn svg_texts(svg: &str) -> Vec<SvgText> {
    svg.split("<text")
        .skip(1)
        .map(|chunk| {
            let (tag, rest) = chunk.split_once('>').unwrap();
            let text = rest.split("</text>").next().unwrap().trim().to_owned();
            let num = |n| svg_attr(tag, n).unwrap().parse::<f64>().unwrap().round() as i32;
            SvgText {
                x: num("x"),
                y: num("y"),
                anchor: svg_attr(tag, "text-anchor").unwrap_or("").to_owned(),
                text,
            }
        })
        .collect()
}

/// Opening tags (attributes only) of every element `kind` (`polyline`, `polygon`, ...).
pub(super) fn svg_tags<'a>(svg: &'a str, kind: &str) -> Vec<&'a str> {
    let open = format!("<{kind}");
    svg.split(open.as_str())
        .skip(1)
        .map(|chunk| chunk.split('>').next().unwrap())
        .collect()
}

/// Opening tags of every element `kind` with `stroke` or `fill` colour `color` (`#RRGGBB`).
fn svg_elements<'a>(svg: &'a str, kind: &str, color: &str) -> Vec<&'a str> {
    svg_tags(svg, kind)
        .into_iter()
        .filter(|tag| {
            svg_attr(tag, "stroke") == Some(color) || svg_attr(tag, "fill") == Some(color)
        })
        .collect()
}

/// The `points` of a polyline or polygon tag.
fn svg_points(tag: &str) -> Vec<(i32, i32)> {
    svg_attr(tag, "points")
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

fn hex(c: plotters::style::RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// A y tick label ("0", "50k", "1.2M") back to its value.
fn parse_count(s: &str) -> Option<f64> {
    let (num, mult) = match s.strip_suffix('k') {
        Some(n) => (n, 1e3),
        None => match s.strip_suffix('M') {
            Some(n) => (n, 1e6),
            None => (s, 1.0),
        },
    };
    num.parse::<f64>().ok().map(|v| v * mult)
}

/// The value → pixel map of a chart's left y axis, from its tick labels: `(y of 0, px per unit)`.
fn y_scale(svg: &str) -> (f64, f64) {
    let ticks: Vec<(f64, f64)> = svg_texts(svg)
        .into_iter()
        .filter(|t| t.anchor == "end")
        .filter_map(|t| Some((parse_count(&t.text)?, f64::from(t.y))))
        .collect();
    let zero = ticks.iter().find(|(v, _)| *v == 0.0).expect("a 0 tick").1;
    let top = ticks
        .iter()
        .copied()
        .fold((0.0, zero), |a, b| if b.0 > a.0 { b } else { a });
    assert!(top.0 > 0.0, "no positive y tick");
    (zero, (zero - top.1) / top.0)
}

/// The base scenario's chart data with `daily.csv` columns rewritten by `edit(column, row, value)`.
fn base_edited(
    edit: impl Fn(&str, &::csv::StringRecord, &::csv::StringRecord) -> Option<f64>,
) -> ChartData {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let s = scenario::load(&root.join("scenarios/aws-openai-2026.toml"), &[]).unwrap();
    let (json, csv) = run_files(&s, 24);
    let mut reader = ::csv::Reader::from_reader(csv.as_slice());
    let header = reader.headers().unwrap().clone();
    let mut out = ::csv::Writer::from_writer(Vec::new());
    out.write_record(&header).unwrap();
    for r in reader.records() {
        let r = r.unwrap();
        let row: Vec<String> = (0..header.len())
            .map(|i| match edit(&header[i], &header, &r) {
                Some(v) => v.to_string(),
                None => r[i].to_owned(),
            })
            .collect();
        out.write_record(&row).unwrap();
    }
    let edited = out.into_inner().unwrap();
    ChartData::parse(
        &json,
        Path::new("summary.json"),
        &edited,
        Path::new("daily.csv"),
    )
    .unwrap()
}

#[test]
fn fan_outer_band_is_p10_p90_and_the_x_axis_labels_the_start_date() {
    // P5 and P95 pushed 60,000 GPUs outside P10 and P90: a band drawn from them would be ~75 px
    // off the P10/P90 edges.
    let p = |m: Metric, s: DailyStat| m.column(s);
    let data = base_edited(|col, header, row| {
        let get = |name: String| {
            let i = header.iter().position(|h| h == name).unwrap();
            row[i].parse::<f64>().unwrap()
        };
        if col == p(Metric::AvailableGpus, DailyStat::P95) {
            Some(get(p(Metric::AvailableGpus, DailyStat::P90)) + 60_000.0)
        } else if col == p(Metric::AvailableGpus, DailyStat::P5) {
            Some(get(p(Metric::AvailableGpus, DailyStat::P10)) - 60_000.0)
        } else {
            None
        }
    });
    let svg =
        String::from_utf8(render(ChartKind::Fan, &data, ChartFormat::Svg, DEFAULT_SIZE).unwrap())
            .unwrap();
    assert!(svg.contains("P10–P90") && !svg.contains("P5–P95"));

    let (y0, k) = y_scale(&svg);
    let outer: Vec<&str> = svg_elements(&svg, "polygon", &hex(fan::BAND))
        .into_iter()
        .filter(|t| svg_attr(t, "opacity") == Some(&fan::OUTER_ALPHA.to_string()[..]))
        .collect();
    assert_eq!(outer.len(), 1, "one outer band");
    let pts = svg_points(outer[0]);
    let n = data.daily.len();
    assert_eq!(pts.len(), 2 * n);
    let d = &data.daily;
    let p90 = d.metric(Metric::AvailableGpus, DailyStat::P90).unwrap();
    let p10 = d.metric(Metric::AvailableGpus, DailyStat::P10).unwrap();
    for i in 0..n {
        let upper = f64::from(pts[i].1);
        let lower = f64::from(pts[2 * n - 1 - i].1);
        assert!(
            (upper - (y0 - p90[i] * k)).abs() <= 2.5,
            "day {i}: upper edge not P90"
        );
        assert!(
            (lower - (y0 - p10[i] * k)).abs() <= 2.5,
            "day {i}: lower edge not P10"
        );
    }

    // The start date is labelled under the first day, on the row of the month labels.
    let start = data.facts.start.strftime("%-d %b %Y").to_string();
    assert_eq!(data.facts.start, data.daily.dates[0]);
    let texts = svg_texts(&svg);
    let label = texts
        .iter()
        .find(|t| t.text == start)
        .expect("start date label");
    let month = texts
        .iter()
        .find(|t| t.text == "Jan 2026")
        .expect("month label");
    assert_eq!(label.y, month.y);
    assert_eq!(label.x, pts[0].0, "under the first day");
}

/// The vertical black dashes of a chart's deadline line: `(x, stroke width, dash length)` each.
fn deadline_dashes(svg: &str) -> Vec<(i32, String, i32)> {
    svg_elements(svg, "polyline", &hex(style::okabe_ito::BLACK))
        .into_iter()
        .filter_map(|tag| {
            let p = svg_points(tag);
            (p.len() == 2 && p[0].0 == p[1].0).then(|| {
                let w = svg_attr(tag, "stroke-width").unwrap().to_owned();
                (p[0].0, w, (p[1].1 - p[0].1).abs())
            })
        })
        .collect()
}

#[test]
fn bottlenecks_chart_marks_the_deadline_as_the_fan_chart_does() {
    let data = base();
    let svg =
        |k| String::from_utf8(render(k, &data, ChartFormat::Svg, DEFAULT_SIZE).unwrap()).unwrap();
    let (fan, bottlenecks) = (svg(ChartKind::Fan), svg(ChartKind::Bottlenecks));
    let (f, b) = (deadline_dashes(&fan), deadline_dashes(&bottlenecks));
    assert!(b.len() >= 10, "bottlenecks: {} deadline dashes", b.len());
    // Same x (the same date axis), stroke width and full-dash length as the fan chart's line.
    let x = f[0].0;
    assert!(
        b.iter().all(|d| d.0 == x),
        "bottlenecks deadline off x = {x}: {b:?}"
    );
    // The most common (width, length): a full dash (the ends may be cut short).
    let style_of = |v: &[(i32, String, i32)]| {
        let all: Vec<(String, i32)> = v.iter().map(|d| (d.1.clone(), d.2)).collect();
        all.iter()
            .max_by_key(|s| all.iter().filter(|t| t == s).count())
            .cloned()
            .unwrap()
    };
    assert_eq!(style_of(&b), style_of(&f));
    let label = format!("deadline {}", data.facts.deadline);
    assert!(svg_texts(&bottlenecks).iter().any(|t| t.text == label));
    assert!(bottlenecks.contains(&format!("Deadline ({})", data.facts.deadline)));
}

/// Polylines stroked `color`, split into those on the legend row of `label` (the legend mark)
/// and the rest (the data): their point counts.
fn legend_and_plot_lines(svg: &str, color: RGBColor, label: &str) -> (usize, Vec<usize>) {
    let row = svg_texts(svg)
        .into_iter()
        .find(|t| t.text == label)
        .unwrap_or_else(|| panic!("no legend label {label}"))
        .y;
    let (mut legend, mut plot) = (0, Vec::new());
    for tag in svg_elements(svg, "polyline", &hex(color)) {
        let p = svg_points(tag);
        if p.iter().all(|&(_, y)| y == row) && p.len() == 2 {
            legend += 1;
        } else {
            plot.push(p.len());
        }
    }
    (legend, plot)
}

#[test]
fn pipeline_installed_line_is_dashed_and_coloured_apart_from_online() {
    use super::pipeline::{INSTALLED, ONLINE};
    let data = base();
    let svg = String::from_utf8(
        render(ChartKind::Pipeline, &data, ChartFormat::Svg, DEFAULT_SIZE).unwrap(),
    )
    .unwrap();
    let n = data.daily.len();
    // Online: one solid line over every day, a solid swatch in the legend.
    let (legend, plot) = legend_and_plot_lines(&svg, ONLINE, "Online (passed burn-in)");
    assert_eq!(legend, 1, "online legend swatch");
    assert_eq!(plot, vec![n], "online: one solid line of {n} days");
    // Installed: in another colour, drawn in dashes, a dashed swatch in the legend.
    let (legend, plot) = legend_and_plot_lines(&svg, INSTALLED, "Installed");
    assert!(
        legend >= 2,
        "installed legend swatch not dashed: {legend} segments"
    );
    assert!(
        plot.len() >= 20,
        "installed line not dashed: {} pieces",
        plot.len()
    );
    assert!(
        plot.iter().all(|&p| p < n / 10),
        "installed dashes too long: {plot:?}"
    );
    assert!(
        plot.iter().sum::<usize>() > n / 2,
        "installed dashes cover too little"
    );
}

#[test]
fn sites_chart_labels_its_top_y_tick_and_its_legend_fits_one_row() {
    let data = base();
    let svg =
        String::from_utf8(render(ChartKind::Sites, &data, ChartFormat::Svg, DEFAULT_SIZE).unwrap())
            .unwrap();
    // The y axis: the long vertical grey line left of the plot; its top is the top of the axis.
    let axis_top = svg_elements(&svg, "polyline", "#555555")
        .into_iter()
        .map(svg_points)
        .filter(|p| p.len() == 2 && p[0].0 == p[1].0 && (p[0].1 - p[1].1).abs() > 200)
        .map(|p| p[0].1.min(p[1].1))
        .next()
        .expect("y axis");
    let top_label = svg_texts(&svg)
        .into_iter()
        .filter(|t| t.anchor == "end" && parse_count(&t.text).is_some())
        .min_by_key(|t| t.y)
        .unwrap();
    assert!(
        (top_label.y - axis_top).abs() <= 1,
        "top y label {top_label:?} below the axis top {axis_top}"
    );
    // The top of the stack (the mean total) lies under the labelled top.
    let (y0, k) = y_scale(&svg);
    let total_max = (0..data.daily.len())
        .map(|i| {
            data.daily
                .site_online_means()
                .iter()
                .map(|(_, v)| v[i])
                .sum::<f64>()
        })
        .fold(0.0, f64::max);
    assert!(y0 - total_max * k > f64::from(axis_top));

    // The legend: one row, every site named.
    let texts = svg_texts(&svg);
    let rows: Vec<i32> = data
        .daily
        .site_online_means()
        .iter()
        .map(|(id, _)| {
            texts
                .iter()
                .find(|t| t.text == *id)
                .expect("site in legend")
                .y
        })
        .collect();
    assert_eq!(rows.len(), 5);
    assert!(
        rows.iter().all(|&y| y == rows[0]),
        "legend wraps: rows at {rows:?}"
    );
    assert!(
        !texts
            .iter()
            .any(|t| t.y > rows[0] && t.y < axis_top - 10 && t.anchor == "start"),
        "a second legend row"
    );

    // The axis top for other totals: labelled steps of 1, 2 or 5 × 10ⁿ, ≤ 8 labels, ≥ 2% headroom.
    for (max, top) in [
        (347_000.0, 400_000.0),
        (2016.0, 2500.0),
        (95.0, 100.0),
        (0.0, 1.0),
    ] {
        assert_eq!(super::sites::labelled_top(max), top, "{max}");
    }
}

/// Every `<text>` element of an SVG: its opening tag and its text, entities decoded.
fn svg_text_tags(svg: &str) -> Vec<(&str, String)> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let (tag, rest) = t.split_once('>').unwrap();
            let content = rest.split("</text>").next().unwrap().trim();
            let content = content
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&");
            (tag, content)
        })
        .collect()
}

/// Decodes standard base64 (test helper for the embedded fonts).
fn unbase64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut out = Vec::new();
    for chunk in digits.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    out
}

#[test]
fn svgs_embed_a_dejavu_subset_with_a_glyph_for_every_character_they_use() {
    let data = base();
    for kind in ChartKind::ALL {
        let svg = String::from_utf8(render(kind, &data, ChartFormat::Svg, DEFAULT_SIZE).unwrap())
            .unwrap();
        let family = svg
            .split("font-family:\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_else(|| panic!("{kind:?}: no @font-face"));
        assert!(
            family.starts_with(style::EMBEDDED_FAMILY_PREFIX),
            "{family}"
        );
        assert!(!svg.contains("font-family=\"sans-serif\""), "{kind:?}");
        let texts = svg_text_tags(&svg);
        assert!(texts.len() > 10, "{kind:?}");
        for (tag, _) in &texts {
            assert!(
                tag.contains(&format!("font-family=\"{family}, sans-serif\"")),
                "{kind:?}: {tag}"
            );
        }
        // One face per weight in use, each a TrueType font with an outline for every character.
        let faces: Vec<&str> = svg.split("@font-face").skip(1).collect();
        assert_eq!(faces.len(), 2, "{kind:?}: regular and bold (the title)");
        for face in faces {
            let bold = face.contains("font-weight:bold");
            let b64 = face
                .split("data:font/ttf;base64,")
                .nth(1)
                .and_then(|s| s.split(')').next())
                .unwrap();
            let font = unbase64(b64);
            assert!(
                font.len() < 60_000,
                "{kind:?}: subset of {} bytes",
                font.len()
            );
            let parsed = ttf_parser::Face::parse(&font, 0).unwrap();
            for (tag, text) in &texts {
                if tag.contains("font-weight=\"bold\"") != bold {
                    continue;
                }
                for c in text.chars().filter(|c| !c.is_whitespace()) {
                    let glyph = parsed
                        .glyph_index(c)
                        .unwrap_or_else(|| panic!("{kind:?}: no glyph for {c:?}"));
                    assert!(
                        parsed.glyph_bounding_box(glyph).is_some(),
                        "{kind:?}: empty glyph for {c:?}"
                    );
                }
            }
        }
        // Still well-formed: the style holds no markup, and every element opened is closed.
        let style_body = svg
            .split("<style>")
            .nth(1)
            .unwrap()
            .split("</style>")
            .next();
        assert!(!style_body.unwrap().contains(['<', '&']));
        assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    }
}

#[test]
fn subtitles_wrap_into_even_lines_without_a_lone_last_word() {
    let text = "Full-capacity date, the first day online GPUs reach the target: P10 2026-12-10, \
                P50 2026-12-31, P90 2027-01-24; never by 2027-06-30: 73.0%.";
    let measure = |s: &str| s.chars().count() as f64;
    // Greedy wrapping at 128 characters leaves only "2027-06-30: 73.0%." on the second line.
    let lines = style::wrap_evenly(text, 128.0, measure);
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(|l| l.len() > 40), "{lines:?}");
    assert_eq!(lines.join(" "), text);
    assert_eq!(style::wrap_evenly("short", 128.0, measure), ["short"]);
}

/// A run of `test_scenario` with its power caps, as `ChartData::read_dir` reads them from
/// `scenario.resolved.toml`.
fn inline_with_caps(test_scenario: &TestScenario) -> ChartData {
    let s = scenario::parse(&test_scenario.text(), Path::new("t.toml")).unwrap();
    let mut data = chart_data(&s, 8);
    data.power_caps = PowerCap::of_scenario(&s);
    data
}

#[test]
fn power_chart_separates_facility_and_it_mw_and_draws_caps_and_the_deadline() {
    let data = inline_with_caps(
        &same_day()
            .dates("2026-02-05", "2026-02-09")
            .table("[[power_limits]]\nid = \"grid\"\nmw = 50\n\n[[power_limits.steps]]\ndate = 2026-02-03\nmw = 60\n"),
    );
    assert_eq!(data.power_caps.len(), 1);
    let svg =
        String::from_utf8(render(ChartKind::Power, &data, ChartFormat::Svg, DEFAULT_SIZE).unwrap())
            .unwrap();
    let texts: Vec<String> = svg_text_tags(&svg).into_iter().map(|(_, t)| t).collect();
    let has = |t: &str| texts.iter().any(|x| x == t);
    // Two value axes, each on one basis; no "stranded" headroom label.
    assert!(has("Facility MW") && has("IT MW"), "{texts:?}");
    assert!(!svg.to_lowercase().contains("stranded"));
    assert!(
        has("Cap grid (whole fleet)") && has("cap grid 60 MW"),
        "{texts:?}"
    );
    assert!(has("deadline 2026-02-05"), "{texts:?}");
    // The cap is drawn as a dashed step line at 50 MW, then 60 MW (many short segments).
    let cap_colour = format!("stroke=\"#{:02X}{:02X}{:02X}\"", 0xCC, 0x79, 0xA7);
    assert!(svg.matches(&cap_colour).count() > 20, "cap line missing");
    // A scenario without caps has no cap line and says what "not drawn" means.
    let plain = inline(&same_day());
    let svg = String::from_utf8(
        render(ChartKind::Power, &plain, ChartFormat::Svg, DEFAULT_SIZE).unwrap(),
    )
    .unwrap();
    assert!(!svg.contains(&cap_colour));
}

#[test]
fn full_capacity_shows_the_deadline_on_the_p50_line_and_fits_the_histogram() {
    let mut data = base();
    data.facts.full_capacity[1] = Some(data.facts.deadline);
    let img = Image::decode(
        &render(
            ChartKind::FullCapacity,
            &data,
            ChartFormat::Png,
            DEFAULT_SIZE,
        )
        .unwrap(),
    );
    // The deadline: a vertical vermillion line (a column with a long vermillion run) although
    // the P50 line is drawn on the same day.
    let dl = [
        full_capacity::DEADLINE.0,
        full_capacity::DEADLINE.1,
        full_capacity::DEADLINE.2,
    ];
    let tallest = (0..img.w)
        .map(|x| (0..img.h).filter(|&y| img.px(x, y) == dl).count())
        .max()
        .unwrap();
    assert!(tallest > img.h / 3, "deadline column has {tallest} px");
    // The bars start in the left half of the plot, not squeezed to the right.
    let bar = over_white(oi::SKY_BLUE, 0.9);
    let first_bar = (0..img.w)
        .find(|&x| (img.h / 2..img.h).any(|y| near(img.px(x, y), bar)))
        .unwrap();
    assert!(first_bar < img.w / 2, "first bar at x = {first_bar}");
}

#[test]
fn full_capacity_percentile_labels_sit_above_the_cumulative_curve() {
    let data = base();
    let svg = String::from_utf8(
        render(
            ChartKind::FullCapacity,
            &data,
            ChartFormat::Svg,
            DEFAULT_SIZE,
        )
        .unwrap(),
    )
    .unwrap();
    let attr = |tag: &str, name: &str| -> f64 {
        tag.split(&format!(" {name}=\""))
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap()
            .parse()
            .unwrap()
    };
    let label_bottom = svg_text_tags(&svg)
        .iter()
        .filter(|(_, t)| t.starts_with("P50 ") || t.starts_with("P90 "))
        .map(|(tag, _)| attr(tag, "y") + attr(tag, "font-size") * 1.3)
        .fold(0.0, f64::max);
    assert!(label_bottom > 0.0);
    let curve_top = svg
        .split("<polyline")
        .filter(|p| p.contains("stroke=\"#0072B2\" stroke-width=\"3\""))
        .filter_map(|p| p.split("points=\"").nth(1)?.split('"').next())
        .flat_map(|pts| {
            pts.split_whitespace()
                .map(|p| p.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        })
        .filter(|&y| y > 130.0) // below the legend's swatch
        .fold(f64::INFINITY, f64::min);
    assert!(
        curve_top > label_bottom,
        "curve reaches y = {curve_top}, labels end at {label_bottom}"
    );
}

#[test]
fn small_charts_keep_most_of_the_height_for_the_plot() {
    // Before the compact header the plots started at 31–37% of the height (the header and its
    // two-row legend above them); now at 15–23%.
    let data = base();
    let size = (500, 350);
    for kind in ChartKind::ALL {
        let img = Image::decode(&render(kind, &data, ChartFormat::Png, size).unwrap());
        let axis = [0x55, 0x55, 0x55];
        let col_run = |x: usize| (0..img.h).filter(|&y| img.px(x, y) == axis).count();
        let y_axis = (0..img.w)
            .find(|&x| col_run(x) > img.h / 4)
            .expect("y axis");
        let plot_top = (0..img.h).find(|&y| img.px(y_axis, y) == axis).unwrap();
        assert!(
            plot_top * 100 < img.h * 26,
            "{kind:?}: the plot starts at y = {plot_top} of {}",
            img.h
        );
        // Nothing in the data colours right of the axes' right end.
        let right = (0..img.w)
            .rev()
            .find(|&x| (0..img.h).any(|y| img.px(x, y) == axis))
            .unwrap();
        if kind == ChartKind::Fan {
            for y in plot_top..img.h {
                for x in right + 3..img.w {
                    assert!(!near(img.px(x, y), [0, 0x72, 0xB2]), "median at ({x}, {y})");
                }
            }
        }
    }
}

#[test]
fn read_dir_takes_the_power_caps_from_the_resolved_scenario() {
    let scenario = same_day().table(
        "[[power_limits]]\nid = \"grid\"\nmw = 50\n\n[[power_limits.steps]]\ndate = 2026-02-03\nmw = 60\n",
    );
    let text = scenario.text();
    let (json, csv) = run_files(&scenario::parse(&text, Path::new("t.toml")).unwrap(), 8);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("summary.json"), json).unwrap();
    std::fs::write(dir.path().join("daily.csv"), csv).unwrap();
    // Without scenario.resolved.toml: no caps.
    assert!(
        ChartData::read_dir(dir.path())
            .unwrap()
            .power_caps
            .is_empty()
    );
    std::fs::write(dir.path().join("scenario.resolved.toml"), &text).unwrap();
    let caps = ChartData::read_dir(dir.path()).unwrap().power_caps;
    assert_eq!(caps.len(), 1);
    assert_eq!((caps[0].id.as_str(), &caps[0].region), ("grid", &None));
    let date = |s: &str| s.parse().unwrap();
    assert_eq!(caps[0].mw_on(date("2026-02-02")), 50.0);
    assert_eq!(caps[0].mw_on(date("2026-02-03")), 60.0);
    std::fs::write(
        dir.path().join("scenario.resolved.toml"),
        "trials = \"many\"",
    )
    .unwrap();
    let err = ChartData::read_dir(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("scenario.resolved.toml") && err.contains("not a valid scenario"),
        "{err}"
    );
}
