//! The worked example of `docs/model.md`: `tests/fixtures/valid/worked_example.toml` run through
//! the CLI, every number the doc works out by hand asserted exactly (to the GPU). If a change to
//! the engine moves one of them, the doc's walk-through is wrong too: fix both.

use super::util::{Table, fixture, json_at, json_f64, run_cli};

/// Trials of every run here: all trials are the same (every input is fixed, nothing fails), so
/// a few show that, and the constraint costs rerun all of them.
const TRIALS: &str = "5";

/// Asserts that `metric` on `day` is `expected` in every trial: the mean and every percentile.
/// Every value here is a multiple of one rack (72 GPUs), so percentiles are exact too.
fn assert_gpus(daily: &Table, day: usize, metric: &str, expected: f64) {
    let date = &daily.rows[day][daily.col("date")];
    for stat in ["mean", "p5", "p10", "p25", "p50", "p75", "p90", "p95"] {
        let v = daily.number(day, &format!("{metric}_{stat}"));
        assert_eq!(v, expected, "day {day} ({date}): {metric}_{stat}");
    }
}

fn assert_mw(daily: &Table, day: usize, metric: &str, expected: f64) {
    let v = daily.number(day, &format!("{metric}_mean"));
    assert!(
        (v - expected).abs() < 1e-9,
        "day {day}: {metric}_mean = {v}, expected {expected}"
    );
}

#[test]
fn the_day_by_day_walk_through_matches_the_doc() {
    let out = run_cli(
        &fixture("valid/worked_example.toml"),
        &["--trials", TRIALS, "--no-charts"],
    );
    let daily = out.daily();
    assert_eq!(daily.rows.len(), 55, "2026-01-05 ..= 2026-02-28");
    assert_eq!(daily.rows[25][daily.col("date")], "2026-01-30");

    // (day, delivered, installed, online, staged) in GPUs: the table "Day by day".
    let pipeline = [
        (0, 0.0, 0.0, 0.0, 0.0),
        (7, 0.0, 0.0, 0.0, 0.0),
        (8, 576.0, 144.0, 0.0, 432.0),
        (9, 576.0, 288.0, 0.0, 288.0),
        (10, 576.0, 432.0, 0.0, 144.0),
        (11, 576.0, 576.0, 0.0, 0.0),
        (12, 576.0, 576.0, 0.0, 0.0),
        (13, 576.0, 576.0, 288.0, 0.0),
        (14, 576.0, 576.0, 288.0, 0.0),
        (15, 1152.0, 720.0, 576.0, 432.0),
        (17, 1152.0, 720.0, 576.0, 432.0),
        (18, 1152.0, 864.0, 576.0, 288.0),
        (19, 1152.0, 1008.0, 576.0, 144.0),
        (20, 1152.0, 1152.0, 576.0, 0.0),
        (21, 1152.0, 1152.0, 576.0, 0.0),
        (22, 1728.0, 1296.0, 576.0, 432.0),
        (23, 1728.0, 1440.0, 576.0, 288.0),
        (26, 1728.0, 1440.0, 576.0, 288.0),
        (27, 1728.0, 1440.0, 1440.0, 288.0),
        (29, 2304.0, 1440.0, 1440.0, 864.0),
    ];
    for (day, delivered, installed, online, staged) in pipeline {
        assert_gpus(&daily, day, "delivered_gpus", delivered);
        assert_gpus(&daily, day, "installed_gpus", installed);
        assert_gpus(&daily, day, "online_gpus", online);
        assert_gpus(&daily, day, "available_gpus", online);
        assert_gpus(&daily, day, "staged_gpus", staged);
    }

    // (day, supply, power, install, space, bring-up) in GPUs: "Where the missing GPUs are".
    let shortfall = [
        (0, 1152.0, 0.0, 0.0, 0.0, 0.0),
        (7, 1152.0, 0.0, 0.0, 0.0, 0.0),
        (8, 576.0, 144.0, 432.0, 0.0, 0.0),
        (9, 576.0, 0.0, 288.0, 0.0, 288.0),
        (10, 576.0, 0.0, 144.0, 0.0, 432.0),
        (11, 576.0, 0.0, 0.0, 0.0, 576.0),
        (12, 576.0, 0.0, 0.0, 0.0, 576.0),
        (13, 576.0, 0.0, 0.0, 0.0, 288.0),
        (14, 576.0, 0.0, 0.0, 0.0, 288.0),
        (15, 0.0, 432.0, 0.0, 0.0, 144.0),
        (17, 0.0, 432.0, 0.0, 0.0, 144.0),
        (18, 0.0, 144.0, 288.0, 0.0, 144.0),
        (19, 0.0, 288.0, 144.0, 0.0, 144.0),
        (20, 0.0, 432.0, 0.0, 0.0, 144.0),
        (21, 0.0, 432.0, 0.0, 0.0, 144.0),
        (22, 0.0, 288.0, 144.0, 0.0, 144.0),
        (23, 0.0, 0.0, 0.0, 0.0, 576.0),
        (25, 0.0, 0.0, 0.0, 0.0, 576.0),
        (26, 0.0, 0.0, 0.0, 0.0, 576.0),
        (27, 0.0, 0.0, 0.0, 0.0, 0.0),
        (40, 0.0, 0.0, 0.0, 0.0, 0.0),
    ];
    for (day, supply, power, install, space, bring_up) in shortfall {
        assert_gpus(&daily, day, "shortfall_supply_gpus", supply);
        assert_gpus(&daily, day, "shortfall_power_gpus", power);
        assert_gpus(&daily, day, "shortfall_install_gpus", install);
        assert_gpus(&daily, day, "shortfall_space_gpus", space);
        assert_gpus(&daily, day, "shortfall_bring_up_gpus", bring_up);
    }

    // Power: phase 0 energized on day 7, phase 1 on day 21 (1.25 MW each); racks draw 0.1 MW IT
    // from the day their burn-in starts, 0.125 MW facility.
    for (day, energized, in_use, stranded) in [
        (6, 0.0, 0.0, 0.0),
        (7, 1.25, 0.0, 1.25),
        (9, 1.25, 0.4, 0.75),
        (15, 1.25, 1.0, 0.0),
        (21, 2.5, 1.0, 1.25),
        (23, 2.5, 2.0, 0.0),
    ] {
        assert_mw(&daily, day, "energized_mw", energized);
        assert_mw(&daily, day, "it_mw_in_use", in_use);
        assert_mw(&daily, day, "stranded_mw", stranded);
    }
}

#[test]
fn the_summary_and_trials_match_the_doc() {
    let out = run_cli(
        &fixture("valid/worked_example.toml"),
        &["--trials", TRIALS, "--no-charts", "--trials-csv"],
    );
    let s = &out.summary;
    assert_eq!(s["schema_version"], 2);
    for p in ["p10", "p50", "p90"] {
        assert_eq!(
            json_at(s, &format!("/full_capacity_date/{p}")),
            "2026-02-01"
        );
    }
    assert_eq!(json_f64(s, "/p_target_by_deadline/estimate"), 0.0);
    assert_eq!(json_f64(s, "/available_gpus_at_deadline/mean"), 576.0);
    assert_eq!(
        json_at(s, "/sites/0/phases/1/median_energized"),
        "2026-01-26"
    );

    // Missing GPU-days through the deadline (days 0-25): 13,248 supply, 3,024 power, 1,440
    // install, 0 space, 5,328 bring-up, of 23,040 in all.
    let shares = [
        ("supply", 0.575),
        ("power", 0.13125),
        ("install", 0.0625),
        ("space", 0.0),
        ("bring_up", 0.23125),
    ];
    for (kind, share) in shares {
        let v = json_f64(s, &format!("/bottleneck_share/{kind}"));
        assert!((v - share).abs() < 1e-12, "bottleneck_share.{kind} = {v}");
    }
    assert_eq!(json_f64(s, "/shortfall_at_deadline/total"), 576.0);
    assert_eq!(json_f64(s, "/shortfall_at_deadline/bring_up"), 576.0);
    for kind in ["supply", "power", "install", "space"] {
        assert_eq!(json_f64(s, &format!("/shortfall_at_deadline/{kind}")), 0.0);
    }

    let trials = out.trials();
    assert_eq!(trials.rows.len(), 5);
    for (column, value) in [
        ("full_capacity_date", "2026-02-01"),
        ("met_target_by_deadline", "0"),
        ("online_gpus_at_deadline", "576"),
        ("delivered_gpus_at_deadline", "1728"),
        ("gpu_days_short_supply", "13248"),
        ("gpu_days_short_power", "3024"),
        ("gpu_days_short_install", "1440"),
        ("gpu_days_short_space", "0"),
        ("gpu_days_short_bring_up", "5328"),
    ] {
        assert!(
            trials.column(column).iter().all(|v| *v == value),
            "trials.csv `{column}`: {:?}, expected {value} in every row",
            trials.column(column)
        );
    }
}

#[test]
fn the_constraint_costs_match_the_doc() {
    let out = run_cli(
        &fixture("valid/worked_example.toml"),
        &["--trials", TRIALS, "--no-charts"],
    );
    let c = json_at(&out.summary, "/constraint_costs");
    assert_eq!(c["trials"], 5);
    assert_eq!(json_f64(c, "/p_target_baseline"), 0.0);
    // (class, P(target) gain, median full capacity days earlier, online GPUs gain at the
    // deadline): every trial is the same, so each paired interval is the point itself.
    let expect = [
        ("supply", 0.0, 0.0, 144.0),
        ("power", 1.0, 5.0, 576.0),
        ("install", 0.0, 0.0, 0.0),
        ("space", 0.0, 0.0, 0.0),
        ("bring_up", 1.0, 4.0, 864.0),
    ];
    let costs = c["costs"].as_array().expect("costs is an array");
    assert_eq!(costs.len(), expect.len());
    for (cost, (name, p_gain, days, gpus)) in costs.iter().zip(expect) {
        assert_eq!(cost["constraint"], name);
        for field in ["estimate", "ci95_low", "ci95_high"] {
            assert_eq!(
                json_f64(cost, &format!("/p_target_gain/{field}")),
                p_gain,
                "{name}: p_target_gain.{field}"
            );
            assert_eq!(
                json_f64(cost, &format!("/online_gpus_at_deadline_gain/{field}")),
                gpus,
                "{name}: online_gpus_at_deadline_gain.{field}"
            );
        }
        assert_eq!(json_f64(cost, "/p_target_lifted"), p_gain, "{name}");
        assert_eq!(
            json_f64(cost, "/median_full_capacity_days_earlier"),
            days,
            "{name}"
        );
    }
}

#[test]
fn the_by_hand_overrides_reproduce_the_lifted_runs() {
    // docs/model.md checks two costs by hand with --set: power (every phase energized, open and
    // commissioned on day 0) and bring-up (no burn-in, pods of one rack accepted at once).
    let power = run_cli(
        &fixture("valid/worked_example.toml"),
        &[
            "--trials",
            TRIALS,
            "--no-charts",
            "--cost-trials",
            "0",
            "--set",
            "sites.hall.phases.0.planned=2026-01-05",
            "--set",
            "sites.hall.phases.0.commissioning_days=0",
            "--set",
            "sites.hall.phases.1.planned=2026-01-05",
            "--set",
            "sites.hall.phases.1.delay_days=0",
            "--set",
            "sites.hall.phases.1.commissioning_days=0",
        ],
    );
    assert_eq!(
        json_at(&power.summary, "/full_capacity_date/p50"),
        "2026-01-27"
    );
    assert_eq!(
        json_f64(&power.summary, "/available_gpus_at_deadline/mean"),
        1152.0
    );
    assert!(power.summary.get("constraint_costs").is_none());

    let bring_up = run_cli(
        &fixture("valid/worked_example.toml"),
        &[
            "--trials",
            TRIALS,
            "--no-charts",
            "--cost-trials",
            "0",
            "--set",
            "bring_up.burn_in_days=0",
            "--set",
            "sites.hall.pod_racks=1",
            "--set",
            "sites.hall.pod_acceptance_days=0",
        ],
    );
    assert_eq!(
        json_at(&bring_up.summary, "/full_capacity_date/p50"),
        "2026-01-28"
    );
    assert_eq!(
        json_f64(&bring_up.summary, "/available_gpus_at_deadline/mean"),
        1440.0
    );
}
