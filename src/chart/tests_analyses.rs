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
