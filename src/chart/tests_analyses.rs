//! Tests of the compare, sweep and sensitivity charts' look: colours, legends, labels and axes,
//! read from the SVGs.

use super::tests::{inline, svg_attr, svg_tags, svg_texts};
use super::*;
use crate::test_support::TestScenario;

/// A one-site run of 8 trials, as chart data.
fn small_run() -> ChartData {
    inline(
        &TestScenario::new("small")
            .dates("2026-01-31", "2026-02-09")
            .target_gpus(2016)
            .supply(14, "2026-12-31")
            .site("hall", 1.25, 100, "{ mw = 100, planned = 2025-12-01 }"),
    )
}

/// The text of every `<text>` element.
fn texts(svg: &str) -> Vec<String> {
    svg_texts(svg).into_iter().map(|t| t.text).collect()
}

fn overlay_svg(n: usize) -> String {
    let data = small_run();
    let runs: Vec<(String, ChartData)> = (0..n).map(|i| (format!("s{i}"), data.clone())).collect();
    String::from_utf8(render_overlay(&runs, ChartFormat::Svg, (1200, 700)).unwrap()).unwrap()
}

#[test]
fn overlay_second_scenario_is_not_orange_next_to_the_vermillion_target() {
    let svg = overlay_svg(3);
    // Median lines (and the legend's) are drawn 3 px wide at 1200 × 700.
    let strokes: Vec<&str> = svg_tags(&svg, "polyline")
        .into_iter()
        .filter(|e| svg_attr(e, "stroke-width") == Some("3"))
        .filter_map(|e| svg_attr(e, "stroke"))
        .collect();
    for c in ["#0072B2", "#009E73", "#CC79A7"] {
        assert!(strokes.contains(&c), "{c} missing from {strokes:?}");
    }
    assert!(
        !strokes.contains(&"#E69F00"),
        "orange scenario line: {strokes:?}"
    );
}

#[test]
fn overlay_band_legend_swatches_are_in_the_scenario_colours() {
    let svg = overlay_svg(2);
    let band_fills = |tag: &str| -> Vec<String> {
        svg_tags(&svg, tag)
            .into_iter()
            .filter(|e| svg_attr(e, "opacity") == Some("0.16"))
            .filter_map(|e| svg_attr(e, "fill").map(str::to_owned))
            .collect()
    };
    // The bands themselves, one per scenario.
    assert_eq!(band_fills("polygon"), ["#0072B2", "#009E73"]);
    // The legend's band swatches: the same colours, and no grey one.
    assert_eq!(band_fills("rect"), ["#0072B2", "#009E73"]);
    assert!(!texts(&svg).iter().any(|t| t == "P10–P90"));
}

fn tornado(labels: &[&str]) -> Tornado {
    Tornado {
        title: "t".into(),
        subtitle: vec![],
        axis: "Spearman ρ".into(),
        centre: 0.0,
        centre_label: None,
        series: vec!["a".into(), "b".into()],
        scale: TornadoScale::Plain,
        range: Some((-1.0, 1.0)),
        floor: None,
        rows: labels
            .iter()
            .enumerate()
            .map(|(i, l)| TornadoRow {
                label: (*l).to_owned(),
                bars: vec![
                    Some(TornadoBar::plain(0.5 - 0.1 * i as f64)),
                    Some(TornadoBar::plain(-0.3)),
                ],
            })
            .collect(),
    }
}

#[test]
fn tornado_input_names_show_path_separators_that_stay_visible() {
    let t = tornado(&[
        "slip_days.gb300",
        "delay_days.north-carolina-nc.phase1",
        "scale.1.5",
    ]);
    let svg =
        String::from_utf8(render_tornado(&t, ChartFormat::Svg, (1200, 700)).unwrap()).unwrap();
    let texts = texts(&svg);
    for want in [
        "slip_days › gb300",
        "delay_days › north-carolina-nc › phase1",
        "scale › 1.5",
    ] {
        assert!(texts.iter().any(|t| t == want), "{want} not in {texts:?}");
    }
    assert!(!texts.iter().any(|t| t.contains("_days.")), "{texts:?}");
}

/// A one-parameter sweep whose GPUs at the deadline move from 294k to 300k, target `target`.
fn sweep(target: f64) -> SweepChart {
    let values = vec![0.8, 0.9, 1.0, 1.1, 1.2];
    let points = values
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let g = 294_000.0 + 1_500.0 * i as f64;
            SweepPoint {
                p_target: 0.2 * i as f64,
                p_low: 0.2 * i as f64,
                p_high: 0.2 * i as f64,
                gpus_p10: g - 500.0,
                gpus_p50: g,
                gpus_p90: g + 500.0,
            }
        })
        .collect();
    SweepChart {
        scenario: "s".into(),
        trials: 2000,
        target_gpus: target,
        deadline: "2026-12-31".into(),
        params: vec!["supply.gb300.rate_scale".into()],
        values: vec![values],
        categories: vec![None],
        points,
        threshold: 0.8,
    }
}

fn sweep_svg(target: f64) -> String {
    String::from_utf8(render_sweep(&sweep(target), ChartFormat::Svg, (1200, 700)).unwrap()).unwrap()
}

/// The lower panel's y tick labels (counts: no `%`), as numbers.
fn gpu_ticks(svg: &str) -> Vec<f64> {
    texts(svg)
        .iter()
        .filter_map(|t| t.strip_suffix('k'))
        .filter_map(|t| t.parse::<f64>().ok())
        .map(|k| k * 1e3)
        .collect()
}

#[test]
fn sweep_gpu_axis_is_fitted_to_a_small_movement() {
    let svg = sweep_svg(250_000.0);
    let ticks = gpu_ticks(&svg);
    assert!(ticks.len() >= 2, "{ticks:?}");
    // Every tick within the data's neighbourhood: no axis from 0 flattening the line.
    assert!(
        ticks.iter().all(|t| (290_000.0..=305_000.0).contains(t)),
        "{ticks:?}"
    );
    assert!(!texts(&svg).iter().any(|t| t == "0"));
    // The target, far below, is not drawn off the plot but noted.
    assert!(texts(&svg).contains(&"target 250,000 is below this axis".to_owned()));
}

#[test]
fn sweep_gpu_axis_keeps_a_nearby_target_in_view() {
    let (lo, hi) = sweep::gpu_range(&sweep(296_000.0).points, 296_000.0);
    assert!(
        lo > 280_000.0 && lo < 293_500.0 && hi > 300_500.0 && hi < 310_000.0,
        "{lo} {hi}"
    );
    let (lo, _) = sweep::gpu_range(&sweep(290_000.0).points, 290_000.0);
    assert!(lo < 290_000.0 && lo > 280_000.0, "{lo}");
    let svg = sweep_svg(290_000.0);
    assert!(!texts(&svg).iter().any(|t| t.contains("this axis")));
    let dashed_target = svg_tags(&svg, "polyline")
        .into_iter()
        .filter(|e| svg_attr(e, "stroke") == Some("#D55E00"))
        .count();
    assert!(dashed_target > 1, "{dashed_target} vermillion dashes");
}

/// The points of a polyline tag.
fn points(tag: &str) -> Vec<(f64, f64)> {
    svg_attr(tag, "points")
        .unwrap()
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// Polylines of stroke colour `colour` and width `width`, as point lists.
fn lines(svg: &str, colour: &str, width: &str) -> Vec<Vec<(f64, f64)>> {
    svg_tags(svg, "polyline")
        .into_iter()
        .filter(|e| {
            svg_attr(e, "stroke") == Some(colour) && svg_attr(e, "stroke-width") == Some(width)
        })
        .map(points)
        .collect()
}

/// A comparison of the tiny fixture (target 1,200 GPUs: P(target) 64.5%) with a faster and a
/// slower supply, labelled `{prefix}faster` and `{prefix}slower`, 200 trials.
fn tiny_comparison(prefix: &str) -> crate::analysis::compare::CompareReport {
    use crate::analysis::compare::{CompareRequest, CompareScenario, compare};
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/valid/tiny.toml");
    let scenario = |label: &str, set: &[&str]| {
        let mut overrides = vec!["scenario.target_gpus=1200".to_owned()];
        overrides.extend(set.iter().map(|s| (*s).to_owned()));
        CompareScenario {
            label: label.into(),
            file: "tiny.toml".into(),
            scenario: crate::scenario::load(&path, &overrides).unwrap(),
        }
    };
    let request = CompareRequest {
        scenarios: vec![
            scenario("base", &[]),
            scenario(&format!("{prefix}faster"), &["supply.main.rate_scale=1.5"]),
            scenario(&format!("{prefix}slower"), &["supply.main.rate_scale=0.7"]),
        ],
        trials: 200,
        shard: None,
        seed: 5,
        threads: 1,
    };
    compare(&request, None, &|_| {}).unwrap().report()
}

#[test]
fn differences_chart_places_each_paired_difference_and_interval_against_zero() {
    let report = tiny_comparison("");
    let svg =
        String::from_utf8(render_differences(&report, ChartFormat::Svg, (1200, 700)).unwrap())
            .unwrap();
    let texts = texts(&svg);
    for want in [
        "P(target by deadline)",
        "Mean GPUs available at deadline",
        "Median full-capacity day",
        "difference (percentage points)",
        "difference (GPUs)",
        "faster",
        "slower",
    ] {
        assert!(texts.iter().any(|t| t == want), "{want} not in {texts:?}");
    }
    // One zero line per panel (muted, full height), left to right.
    let zeros: Vec<f64> = lines(&svg, "#555555", "2")
        .into_iter()
        .filter(|p| p.len() == 2 && p[0].0 == p[1].0 && (p[0].1 - p[1].1).abs() > 100.0)
        .map(|p| p[0].0)
        .collect();
    assert_eq!(zeros.len(), 3, "{zeros:?}");
    // Dots: 3 per scenario (its medians exist here), in panel order, scenario order.
    let dots: Vec<(f64, f64)> = svg_tags(&svg, "circle")
        .into_iter()
        .map(|e| {
            let n = |a| svg_attr(e, a).unwrap().parse::<f64>().unwrap();
            (n("cx"), n("cy"))
        })
        .collect();
    assert_eq!(dots.len(), 6, "{dots:?}");
    // The paired whiskers' lines (3 px wide, horizontal): by panel, then scenario.
    let whiskers: Vec<(f64, f64, f64)> = lines(&svg, "#222222", "3")
        .into_iter()
        .filter(|p| p.len() == 2 && p[0].1 == p[1].1 && p[0].0 > 100.0)
        .map(|p| (p[0].0, p[1].0, p[0].1))
        .collect();
    assert_eq!(whiskers.len(), 4, "{whiskers:?}");
    let figures = |c: &crate::analysis::compare::ComparisonEntry| {
        let p = &c.diff.p_target_by_deadline;
        let g = &c.diff.available_gpus_at_deadline;
        [
            (p.estimate, p.paired_ci95_low, p.paired_ci95_high),
            (g.estimate, g.paired_ci95_low, g.paired_ci95_high),
        ]
    };
    for (panel, zero) in zeros.iter().take(2).enumerate() {
        // The plot scale is linear: pixels per unit from the panel's widest span of whisker
        // ends (the least rounding), then every dot and whisker end must sit at its value.
        let ws = &whiskers[panel * 2..panel * 2 + 2];
        let fs: Vec<(f64, f64, f64)> = report
            .comparisons
            .iter()
            .map(|c| figures(c)[panel])
            .collect();
        let px_lo = ws.iter().map(|w| w.0).fold(f64::INFINITY, f64::min);
        let px_hi = ws.iter().map(|w| w.1).fold(f64::NEG_INFINITY, f64::max);
        let lo = fs.iter().map(|f| f.1).fold(f64::INFINITY, f64::min);
        let hi = fs.iter().map(|f| f.2).fold(f64::NEG_INFINITY, f64::max);
        let px_per_unit = (px_hi - px_lo) / (hi - lo);
        for (k, c) in report.comparisons.iter().enumerate() {
            let (est, lo, hi) = fs[k];
            let (l, h, wy) = ws[k];
            assert!(
                est != 0.0 && lo < hi,
                "{} panel {panel}: {est} [{lo}, {hi}]",
                c.scenario
            );
            let (cx, _) = dots
                .iter()
                .copied()
                .find(|&(x, y)| (y - wy).abs() < 0.5 && x >= l - 1.0 && x <= h + 1.0)
                .unwrap_or_else(|| panic!("no dot on whisker {panel}/{k}: {dots:?} {ws:?}"));
            for (px, v) in [(cx, est), (l, lo), (h, hi)] {
                assert!(
                    ((px - zero) - v * px_per_unit).abs() <= 2.0,
                    "{} panel {panel}: {px} px for {v}, zero at {zero}, {px_per_unit} px per unit",
                    c.scenario
                );
            }
        }
    }
    // Faster supply: more GPUs, slower: fewer.
    let gpus: Vec<f64> = report
        .comparisons
        .iter()
        .map(|c| c.diff.available_gpus_at_deadline.estimate)
        .collect();
    assert!(gpus[0] > 0.0 && gpus[1] < 0.0, "{gpus:?}");
}

#[test]
fn differences_chart_shortens_panel_titles_that_would_collide_on_a_small_image() {
    // Long labels, as scenario file stems are, leave narrow panels.
    let report = tiny_comparison("aws-openai-2026-");
    let svg = String::from_utf8(render_differences(&report, ChartFormat::Svg, (500, 350)).unwrap())
        .unwrap();
    let texts = texts(&svg);
    for want in [
        "P(target)",
        "GPUs at deadline",
        "Full-capacity day",
        "points",
    ] {
        assert!(texts.iter().any(|t| t == want), "{want} not in {texts:?}");
    }
    assert!(!texts.iter().any(|t| t == "Mean GPUs available at deadline"));
}

#[test]
fn overlay_legend_leaves_the_target_and_deadline_to_their_labels_on_the_plot() {
    let data = small_run();
    let runs: Vec<(String, ChartData)> = (0..3).map(|i| (format!("s{i}"), data.clone())).collect();
    let svg =
        String::from_utf8(render_overlay(&runs, ChartFormat::Svg, (500, 350)).unwrap()).unwrap();
    let texts = texts(&svg);
    assert!(texts.iter().any(|t| t == "target 2,016"), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.starts_with("deadline ")),
        "{texts:?}"
    );
    assert!(
        !texts
            .iter()
            .any(|t| t.starts_with("Target (") || t.starts_with("Deadline (")),
        "{texts:?}"
    );
    // The three scenario entries alone: one legend row at 500 px.
    let legend_ys: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .filter(|chunk| chunk.contains("(P(target) "))
        .filter_map(|chunk| svg_attr(chunk.split('>').next().unwrap(), "y"))
        .collect();
    assert_eq!(legend_ys.len(), 3, "{legend_ys:?}");
    assert!(
        legend_ys.iter().all(|&y| y == legend_ys[0]),
        "{legend_ys:?}"
    );
}

#[test]
fn sweep_axes_name_the_parameter_with_its_unit() {
    let svg = sweep_svg(250_000.0);
    let texts = texts(&svg);
    assert!(
        texts
            .iter()
            .any(|t| t == "Supply rate scale, stream gb300 (×)"),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("supply.gb300.rate_scale")),
        "{texts:?}"
    );
}

#[test]
fn heatmap_axes_are_named_with_units_and_the_colour_bar_is_titled() {
    let mut data = sweep(250_000.0);
    data.params.push("sites.*.install_racks_per_day".into());
    data.values.push(vec![2.0, 4.0]);
    data.categories.push(None);
    data.points = data
        .points
        .iter()
        .flat_map(|p| [p.clone(), p.clone()])
        .collect();
    let svg =
        String::from_utf8(render_sweep(&data, ChartFormat::Svg, (1200, 700)).unwrap()).unwrap();
    let texts = texts(&svg);
    for want in [
        "Supply rate scale, stream gb300 (×)",
        "Install crew rate, every site (racks/day)",
        "P(target by 2026-12-31)",
    ] {
        assert!(texts.iter().any(|t| t == want), "{want} not in {texts:?}");
    }
    assert!(
        !texts.iter().any(|t| t.contains("install_racks_per_day")),
        "{texts:?}"
    );
}

#[test]
fn a_categorical_sweep_labels_its_values_and_joins_no_line_between_them() {
    let mut data = sweep(250_000.0);
    data.params = vec!["allocation.policy".into()];
    data.points.truncate(3);
    for p in &mut data.points {
        (p.p_low, p.p_high) = (p.p_target * 0.9, p.p_target * 0.9 + 0.1);
    }
    data.values = vec![vec![0.0, 1.0, 2.0]];
    let distribution = r#"{ kind = "pert", min = 0, mode = 30, max = 120 }"#;
    data.categories = vec![Some(vec![
        "ordered".into(),
        "most_headroom".into(),
        distribution.into(),
    ])];
    let svg =
        String::from_utf8(render_sweep(&data, ChartFormat::Svg, (1200, 700)).unwrap()).unwrap();
    let texts = texts(&svg);
    assert!(
        texts
            .iter()
            .any(|t| t.ends_with("target 250,000 online GPUs by 2026-12-31")),
        "{texts:?}"
    );
    for want in [
        "Allocation policy",
        "ordered",
        "most_headroom",
        "{ kind = &quot;pert&quot;, min = …",
    ] {
        assert!(texts.iter().any(|t| t == want), "{want} not in {texts:?}");
    }
    // No band joins the categories; the numeric chart draws two.
    assert_eq!(svg_tags(&svg, "polygon").len(), 0);
    assert_eq!(svg_tags(&sweep_svg(250_000.0), "polygon").len(), 2);
    // Each category's interval is a vertical whisker in the P(target) colour and the GPU colour.
    let vertical = |colour: &str| {
        svg_tags(&svg, "polyline")
            .into_iter()
            .filter(|e| svg_attr(e, "stroke") == Some(colour))
            .filter(|e| {
                let pts: Vec<&str> = svg_attr(e, "points").unwrap().split_whitespace().collect();
                pts.len() == 2
                    && pts[0].split(',').next() == pts[1].split(',').next()
                    && pts[0] != pts[1]
            })
            .count()
    };
    assert_eq!(vertical("#0072B2"), 3, "P(target) whiskers");
    assert_eq!(vertical("#009E73"), 3, "GPU whiskers");

    // A swept deadline is not the scenario's: the subtitle says each point has its own.
    data.params = vec!["scenario.deadline".into()];
    let svg =
        String::from_utf8(render_sweep(&data, ChartFormat::Svg, (1200, 700)).unwrap()).unwrap();
    let swept = self::texts(&svg);
    assert!(
        swept
            .iter()
            .any(|t| t.ends_with("target 250,000 online GPUs by each point&apos;s deadline")),
        "{swept:?}"
    );
}

/// Filled rectangles of colour `colour`: (x0, x1) of each.
fn bars(svg: &str, colour: &str) -> Vec<(f64, f64)> {
    svg_tags(svg, "rect")
        .into_iter()
        .filter(|e| {
            svg_attr(e, "fill") == Some(colour) && svg_attr(e, "opacity").is_none_or(|o| o == "1")
        })
        .map(|e| {
            let n = |a| svg_attr(e, a).unwrap().parse::<f64>().unwrap();
            (n("x"), n("x") + n("width"))
        })
        .collect()
}

#[test]
fn tornado_with_one_series_draws_one_bar_per_input_with_its_interval() {
    let mut t = tornado(&["a.x", "b.y", "c.z"]);
    t.series = vec!["ρ with the full-capacity day".into()];
    for r in &mut t.rows {
        let v = r.bars[0].unwrap().value;
        r.bars = vec![Some(TornadoBar {
            value: v,
            interval: Some((v - 0.1, v + 0.1)),
        })];
    }
    let svg =
        String::from_utf8(render_tornado(&t, ChartFormat::Svg, (1200, 700)).unwrap()).unwrap();
    // One blue bar per input (and the legend swatch), no orange.
    assert_eq!(bars(&svg, "#0072B2").len(), 3 + 1);
    assert!(bars(&svg, "#E69F00").is_empty());
    // Each whisker: one horizontal line per input, 2 px, near-black.
    let whiskers = lines(&svg, "#222222", "2")
        .into_iter()
        .filter(|p| p.len() == 2 && p[0].1 == p[1].1)
        .count();
    assert_eq!(whiskers, 3);
    assert!(texts(&svg).iter().any(|t| t == "95% interval"));
}

#[test]
fn tornado_draws_negative_sobol_estimates_as_zero_with_their_whole_interval() {
    let mut t = tornado(&["supply/a/slip", "site/b/install"]);
    t.range = None;
    t.floor = Some(0.0);
    t.rows[0].bars = vec![
        Some(TornadoBar {
            value: 0.3,
            interval: Some((0.2, 0.4)),
        }),
        Some(TornadoBar {
            value: 0.5,
            interval: Some((0.4, 0.6)),
        }),
    ];
    t.rows[1].bars = vec![
        Some(TornadoBar {
            value: -0.1,
            interval: Some((-0.3, 0.1)),
        }),
        Some(TornadoBar {
            value: 0.05,
            interval: Some((0.0, 0.1)),
        }),
    ];
    let svg =
        String::from_utf8(render_tornado(&t, ChartFormat::Svg, (1200, 700)).unwrap()).unwrap();
    // The centre line (black, vertical) is at 0.
    let centre = lines(&svg, "#000000", "2")
        .into_iter()
        .find(|p| p.len() == 2 && p[0].0 == p[1].0)
        .unwrap()[0]
        .0;
    // No bar extends left of 0 (the legend swatches sit at the far left, outside the plot).
    let plot_bars: Vec<(f64, f64)> = ["#0072B2", "#E69F00"]
        .iter()
        .flat_map(|c| bars(&svg, c))
        .filter(|&(x0, _)| x0 > 100.0)
        .collect();
    // Four bars, the negative estimate's of zero length at 0.
    assert_eq!(plot_bars.len(), 4, "{plot_bars:?}");
    assert!(
        plot_bars.iter().all(|&(x0, _)| (x0 - centre).abs() <= 1.0),
        "{plot_bars:?} {centre}"
    );
    assert_eq!(
        plot_bars.iter().filter(|&&(x0, x1)| x1 - x0 < 1.0).count(),
        1
    );
    // Its whisker still reaches below 0.
    let leftmost = lines(&svg, "#222222", "2")
        .into_iter()
        .flatten()
        .map(|(x, _)| x)
        .fold(f64::INFINITY, f64::min);
    assert!(leftmost < centre - 50.0, "{leftmost} {centre}");
    assert!(
        texts(&svg)
            .iter()
            .any(|t| t.starts_with("Estimates below 0 (sampling error) are drawn as 0")),
        "{:?}",
        texts(&svg)
    );
}

#[test]
fn tornado_ticks_a_rounding_error_below_zero_as_zero() {
    assert_eq!(tornado::fmt_value(TornadoScale::Plain, -2.8e-17), "0.00");
    assert_eq!(tornado::fmt_value(TornadoScale::Plain, -0.004), "0.00");
    assert_eq!(tornado::fmt_value(TornadoScale::Plain, -0.2), "-0.20");
    assert_eq!(tornado::fmt_value(TornadoScale::Percent, -0.001), "0%");
    assert_eq!(tornado::fmt_value(TornadoScale::Days, -0.4), "0");
}
