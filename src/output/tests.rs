//! Exporter tests on a deterministic scenario whose results are known exactly.

use super::*;
use crate::engine::{self, EngineConfig, RunHooks};
use crate::model::Model;
use crate::scenario;
use crate::stats::{RunInfo, SiteInfo, Summary, daily_rows};
use crate::test_support::TestScenario;

/// 14 racks arrive at the end of each week (days 6, 13, ...); power and crews are abundant and
/// burn-in takes no time, so 28 racks (2,016 GPUs, the target) are online on day 13.
fn deterministic() -> String {
    TestScenario::new("deterministic")
        .dates("2026-01-31", "2026-02-09")
        .target_gpus(2016)
        .supply(14, "2026-12-31")
        .site("hall", 1.25, 100, "{ mw = 100, planned = 2025-12-01 }")
        .site_key(r#"region = "us-east""#)
        .text()
}

fn run(trials: u64) -> (Summary, Vec<crate::stats::DailyRow>) {
    let s = scenario::parse(&deterministic(), std::path::Path::new("d.toml")).unwrap();
    let model = Model::compile(&s).unwrap();
    let cfg = EngineConfig {
        trials,
        first_trial: 0,
        seed: 3,
        threads: 1,
        batch_size: 16,
    };
    let acc = engine::run(&model, &cfg, RunHooks::default()).unwrap();
    let info = RunInfo {
        scenario: s.name.clone(),
        seed: 3,
        start: s.start,
        deadline: s.deadline,
        horizon: s.horizon,
        sites: vec![SiteInfo {
            id: "hall".into(),
            name: "hall".into(),
            region: "us-east".into(),
            phases: vec![(100.0, s.sites[0].phases[0].planned)],
        }],
        warnings: Vec::new(),
        prices: Vec::new(),
    };
    (Summary::new(&acc, &info), daily_rows(&acc, s.start))
}

#[test]
fn summary_json_has_the_documented_fields_and_exact_values() {
    let (summary, _) = run(20);
    let mut bytes = Vec::new();
    write_summary_json(&summary, &mut bytes).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(v["scenario"], "deterministic");
    assert_eq!(v["trials"], 20);
    assert_eq!(v["target_gpus"], 2016);
    assert_eq!(v["p_target_by_deadline"]["estimate"], 1.0);
    assert!(v["p_target_by_deadline"]["ci95_low"].as_f64().unwrap() > 0.8);
    assert_eq!(v["full_capacity_date"]["p10"], "2026-01-14");
    assert_eq!(v["full_capacity_date"]["p50"], "2026-01-14");
    assert_eq!(v["full_capacity_date"]["p90"], "2026-01-14");
    assert_eq!(v["full_capacity_date"]["never_fraction"], 0.0);
    // Day 30 (the deadline): deliveries on days 6, 13, 20, 27 → 56 racks = 4,032 GPUs.
    assert_eq!(v["available_gpus_at_deadline"]["p50"], 4032.0);
    assert_eq!(v["available_gpus_at_deadline"]["mean"], 4032.0);
    // Days 0..12 are before full capacity; on 0..5 and 7..12 nothing waits (supply-bound),
    // and on day 6 everything delivered was installed the same day.
    assert_eq!(v["bottleneck_share"]["supply"], 1.0);
    assert_eq!(v["sites"][0]["phases"][0]["median_energized"], "2025-12-01");
    assert_eq!(v["sites"][0]["median_racks_online_at_deadline"], 56.0);
    assert!(v["capsim_version"].is_string());
}

#[test]
fn daily_csv_has_one_row_per_day_and_the_documented_columns() {
    let (_, rows) = run(5);
    let mut bytes = Vec::new();
    write_daily_csv(&rows, &["hall".to_string()], &mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("date,delivered_gpus_mean,delivered_gpus_p5,delivered_gpus_p10,"));
    assert!(header.ends_with(
        "idle_inventory_usd_p90,idle_inventory_usd_p95,reached_target_share,site_hall_online_gpus_mean"
    ));
    assert!(header.contains(",shortfall_bring_up_gpus_p95,capital_deployed_usd_mean,"));
    assert_eq!(header.split(',').count(), 1 + 16 * 8 + 1 + 1);
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 40, "2026-01-01 ..= 2026-02-09");
    assert!(body[0].starts_with("2026-01-01,0,0,"));
    // Day 13: 28 racks delivered and online; the target is reached that day.
    let day13: Vec<&str> = body[13].split(',').collect();
    assert_eq!(day13[0], "2026-01-14");
    assert_eq!(day13[1], "2016");
    let n = day13.len();
    assert_eq!(day13[n - 2], "1", "reached_target_share");
    assert_eq!(day13[n - 1], "2016", "the one site holds every online GPU");
}

#[test]
fn table_names_every_headline_figure() {
    let (summary, _) = run(5);
    let table = render_table(&summary);
    for needle in [
        "Target: 2,016 GPUs online by 2026-01-31",
        "P(target by deadline)          100.0%",
        "P10 2026-01-14",
        "mean 4,032",
        "supply 100.0%",
        "hall",
    ] {
        assert!(table.contains(needle), "missing {needle:?} in\n{table}");
    }
}

#[test]
fn trials_csv_streams_one_row_per_trial() {
    let mut out = Vec::new();
    let start: jiff::civil::Date = "2026-01-01".parse().unwrap();
    let mut w = TrialsCsv::new(
        &mut out,
        &["slip_days.s".to_string()],
        &["hall".to_string()],
        start,
        30,
    )
    .unwrap();
    let outcome = crate::stats::TrialOutcome {
        full_capacity_day: Some(13),
        inputs: vec![2.0],
        shortfall_gpu_days: [13, 0, 0, 0, 0],
        site_online_racks_at_deadline: vec![7],
        ..Default::default()
    };
    w.write(0, &outcome).unwrap();
    w.finish().unwrap();
    let text = String::from_utf8(out).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "trial,slip_days.s,full_capacity_date,met_target_by_deadline,online_gpus_at_deadline,available_gpus_at_deadline,delivered_gpus_at_deadline,gpu_days_short_supply,gpu_days_short_power,gpu_days_short_install,gpu_days_short_space,gpu_days_short_bring_up,racks_online_at_deadline.hall"
    );
    assert_eq!(lines.next().unwrap(), "0,2,2026-01-14,1,0,0,0,13,0,0,0,0,7");
}
