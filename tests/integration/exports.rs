//! The files a run writes, end to end: their shape (columns, one row per day or trial), their
//! internal consistency (the same figure reported in two files agrees), and the reproducibility
//! promise of `scenario.resolved.toml`.

use serde_json::Value;

use crate::util::{capsim, day_of, fixture, json_at, json_f64, run_cli};

const TINY: &str = "valid/tiny.toml";

/// The daily metrics, in column order (`Metric::ALL`).
const METRICS: [&str; 16] = [
    "delivered_gpus",
    "installed_gpus",
    "online_gpus",
    "available_gpus",
    "staged_gpus",
    "energized_mw",
    "it_mw_in_use",
    "stranded_mw",
    "fp8_eflops_available",
    "shortfall_supply_gpus",
    "shortfall_power_gpus",
    "shortfall_install_gpus",
    "shortfall_space_gpus",
    "shortfall_bring_up_gpus",
    "capital_deployed_usd",
    "idle_inventory_usd",
];

/// The causes of missing GPUs, in output order (`Bottleneck::ALL`).
const CAUSES: [&str; 5] = ["supply", "power", "install", "space", "bring_up"];

const PERCENTILES: [&str; 7] = ["p5", "p10", "p25", "p50", "p75", "p90", "p95"];

#[test]
fn daily_csv_has_one_row_per_day_and_every_metric_column() {
    let out = run_cli(&fixture(TINY), &["--trials", "200"]);
    let daily = out.daily();

    let mut expected = vec!["date".to_string()];
    for m in METRICS {
        expected.push(format!("{m}_mean"));
        expected.extend(PERCENTILES.iter().map(|p| format!("{m}_{p}")));
    }
    assert_eq!(
        daily.headers[..expected.len()],
        expected[..],
        "date, then mean and percentiles of each metric"
    );
    for extra in &daily.headers[expected.len()..] {
        assert!(
            extra == "reached_target_share"
                || (extra.starts_with("site_") && extra.ends_with("_online_gpus_mean")),
            "unexpected column `{extra}`"
        );
    }

    // One row per day, start ..= horizon, consecutive ISO dates.
    let dates = daily.column("date");
    assert_eq!(dates.len(), 116, "2026-01-05 ..= 2026-04-30");
    assert_eq!(dates[0], "2026-01-05");
    assert_eq!(*dates.last().unwrap(), "2026-04-30");
    for (i, d) in dates.iter().enumerate() {
        assert_eq!(d.len(), 10, "`{d}` is not YYYY-MM-DD");
        assert_eq!(day_of("2026-01-05", d), i as i64, "row {i} is dated {d}");
    }

    // Percentiles are ordered in every row, and every value is a finite number.
    for m in METRICS {
        let columns: Vec<Vec<f64>> = PERCENTILES
            .iter()
            .map(|p| daily.numbers(&format!("{m}_{p}")))
            .collect();
        let mean = daily.numbers(&format!("{m}_mean"));
        for day in 0..dates.len() {
            assert!(
                mean[day].is_finite() && mean[day] >= 0.0,
                "{m}_mean on {}",
                dates[day]
            );
            for w in columns.windows(2) {
                assert!(
                    w[0][day] <= w[1][day],
                    "{m} percentiles out of order on {}: {:?}",
                    dates[day],
                    columns.iter().map(|c| c[day]).collect::<Vec<_>>()
                );
            }
        }
    }

    // Cumulative and bounded series behave as such in the mean.
    let delivered = daily.numbers("delivered_gpus_mean");
    assert!(
        delivered.windows(2).all(|w| w[0] <= w[1]),
        "delivered is cumulative"
    );
    let online = daily.numbers("online_gpus_mean");
    let installed = daily.numbers("installed_gpus_mean");
    let available = daily.numbers("available_gpus_mean");
    for day in 0..dates.len() {
        assert!(
            available[day] <= online[day] + 1e-9,
            "available <= online on day {day}"
        );
        assert!(
            online[day] <= installed[day] + 1e-9,
            "online <= installed on day {day}"
        );
        assert!(
            installed[day] <= delivered[day] + 1e-9,
            "installed <= delivered on day {day}"
        );
    }
}

#[test]
fn daily_shares_agree_with_the_summary() {
    let out = run_cli(&fixture(TINY), &["--trials", "200"]);
    let daily = out.daily();
    let reached = daily.numbers("reached_target_share");
    assert!(
        reached.windows(2).all(|w| w[0] <= w[1]),
        "reached_target_share is cumulative"
    );
    let never = json_f64(&out.summary, "/full_capacity_date/never_fraction");
    assert!((reached.last().unwrap() - (1.0 - never)).abs() < 1e-9);
    // The missing GPUs split by cause: never negative, together at least the mean gap
    // (E[max(0, T - X)] >= T - E[X]), and zero once every trial is at the target.
    let target = json_f64(&out.summary, "/target_gpus");
    let online = daily.numbers("online_gpus_mean");
    let parts: Vec<Vec<f64>> = CAUSES
        .iter()
        .map(|k| daily.numbers(&format!("shortfall_{k}_gpus_mean")))
        .collect();
    let mut gpu_days = [0.0; 5];
    let deadline = day_of("2026-01-05", "2026-03-10") as usize;
    for day in 0..reached.len() {
        let missing: f64 = parts.iter().map(|p| p[day]).sum();
        assert!(parts.iter().all(|p| p[day] >= 0.0));
        assert!(
            missing >= target - online[day] - 1e-6,
            "day {day}: {missing}"
        );
        if reached[day] == 1.0 {
            assert_eq!(missing, 0.0, "day {day}");
        }
        if day <= deadline {
            for (total, p) in gpu_days.iter_mut().zip(&parts) {
                *total += p[day];
            }
        }
    }
    // bottleneck_share is the share of the missing GPU-days up to the deadline, and
    // shortfall_at_deadline the deadline's row.
    let total: f64 = gpu_days.iter().sum();
    for (k, g) in CAUSES.iter().zip(gpu_days) {
        let share = json_f64(&out.summary, &format!("/bottleneck_share/{k}"));
        assert!(
            (share - g / total).abs() < 1e-9,
            "{k}: {share} vs {}",
            g / total
        );
        let at = json_f64(&out.summary, &format!("/shortfall_at_deadline/{k}"));
        let row = daily.numbers(&format!("shortfall_{k}_gpus_mean"))[deadline];
        assert!((at - row).abs() < 1e-6 * (1.0 + at), "{k}: {at} vs {row}");
    }
}

#[test]
fn summary_json_has_the_documented_fields() {
    let out = run_cli(&fixture(TINY), &["--trials", "250", "--seed", "17"]);
    let s = &out.summary;
    assert_eq!(s["capsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(s["scenario"], "tiny");
    assert_eq!(s["seed"], 17);
    assert_eq!(s["trials"], 250);
    assert_eq!(s["target_gpus"], 1500);
    assert_eq!(s["start"], "2026-01-05");
    assert_eq!(s["deadline"], "2026-03-10");
    assert_eq!(s["horizon"], "2026-04-30");

    let estimate = json_f64(s, "/p_target_by_deadline/estimate");
    let low = json_f64(s, "/p_target_by_deadline/ci95_low");
    let high = json_f64(s, "/p_target_by_deadline/ci95_high");
    assert!(0.0 <= low && low <= estimate && estimate <= high && high <= 1.0);

    let dates: Vec<&str> = ["p10", "p50", "p90"]
        .iter()
        .map(|p| {
            json_at(s, &format!("/full_capacity_date/{p}"))
                .as_str()
                .expect("tiny reaches its target in most trials")
        })
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
    let never = json_f64(s, "/full_capacity_date/never_fraction");
    assert!((0.0..=1.0).contains(&never));

    let mean = json_f64(s, "/available_gpus_at_deadline/mean");
    let q: Vec<f64> = ["p10", "p50", "p90"]
        .iter()
        .map(|p| json_f64(s, &format!("/available_gpus_at_deadline/{p}")))
        .collect();
    assert!(q[0] <= q[1] && q[1] <= q[2] && mean >= 0.0, "{mean} {q:?}");

    assert_eq!(s["schema_version"], 2);
    // The missing GPU-days by cause: proportions that sum to 1.
    let shares: Vec<f64> = CAUSES
        .iter()
        .map(|k| json_f64(s, &format!("/bottleneck_share/{k}")))
        .collect();
    assert!(shares.iter().all(|x| (0.0..=1.0).contains(x)), "{shares:?}");
    assert!(
        (shares.iter().sum::<f64>() - 1.0).abs() < 1e-9,
        "{shares:?}"
    );

    // The mean shortfall at the deadline adds up across its causes.
    let total = json_f64(s, "/shortfall_at_deadline/total");
    let parts: f64 = CAUSES
        .iter()
        .map(|k| json_f64(s, &format!("/shortfall_at_deadline/{k}")))
        .sum();
    assert!(
        (total - parts).abs() < 1e-9 * (1.0 + total),
        "{total} vs {parts}"
    );
    // Constraint costs: one entry per class on the first trials (all 250 here).
    assert_eq!(s["constraint_costs"]["trials"], 250);
    let classes: Vec<&str> = s["constraint_costs"]["costs"]
        .as_array()
        .expect("constraint_costs.costs")
        .iter()
        .map(|c| c["constraint"].as_str().unwrap())
        .collect();
    assert_eq!(classes, CAUSES);

    let sites = s["sites"].as_array().expect("sites");
    let ids: Vec<&str> = sites.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["alpha", "beta"]);
    assert_eq!(sites[0]["region"], "east");
    assert_eq!(json_f64(s, "/sites/0/phases/0/mw"), 12.0);
    assert_eq!(s["sites"][1]["phases"][0]["planned"], "2026-02-02");
    assert!(s["warnings"].is_array());
}

#[test]
fn trials_csv_has_one_row_per_trial_consistent_with_the_summary() {
    let out = run_cli(&fixture(TINY), &["--trials", "300", "--trials-csv"]);
    let trials = out.trials();
    assert_eq!(trials.headers[0], "trial");
    let index: Vec<String> = trials
        .column("trial")
        .iter()
        .map(|s| s.to_string())
        .collect();
    let expected: Vec<String> = (0..300).map(|t| t.to_string()).collect();
    assert_eq!(index, expected, "one row per trial, in order");

    // The same figures, counted from the rows, as summary.json reports them.
    let s = &out.summary;
    let n = 300.0;
    let met = trials
        .column("met_target_by_deadline")
        .iter()
        .filter(|m| **m == "1")
        .count() as f64;
    assert_eq!(met / n, json_f64(s, "/p_target_by_deadline/estimate"));
    let never = trials
        .column("full_capacity_date")
        .iter()
        .filter(|d| d.is_empty())
        .count() as f64;
    assert_eq!(never / n, json_f64(s, "/full_capacity_date/never_fraction"));
    let available = trials.numbers("available_gpus_at_deadline");
    let mean = available.iter().sum::<f64>() / n;
    assert!((mean - json_f64(s, "/available_gpus_at_deadline/mean")).abs() < 1e-9);
    // Met by the deadline <=> full capacity on or before it.
    for (m, d) in trials
        .column("met_target_by_deadline")
        .iter()
        .zip(trials.column("full_capacity_date"))
    {
        let on_time = !d.is_empty() && d <= "2026-03-10";
        assert_eq!(*m == "1", on_time, "met = {m}, full capacity {d}");
    }
    for column in [
        "slip_days.main",
        "install_racks_per_day.alpha",
        "delay_days.alpha.phase0",
        "install_racks_per_day.beta",
        "delay_days.beta.phase0",
        "online_gpus_at_deadline",
        "delivered_gpus_at_deadline",
        "gpu_days_short_supply",
        "gpu_days_short_power",
        "gpu_days_short_install",
        "gpu_days_short_space",
        "gpu_days_short_bring_up",
    ] {
        trials.numbers(column);
    }
    // The per-trial missing GPU-days add up to summary.json's shares.
    let sums: Vec<f64> = CAUSES
        .iter()
        .map(|k| trials.numbers(&format!("gpu_days_short_{k}")).iter().sum())
        .collect();
    let total: f64 = sums.iter().sum();
    for (k, g) in CAUSES.iter().zip(&sums) {
        let share = json_f64(s, &format!("/bottleneck_share/{k}"));
        assert!((share - g / total).abs() < 1e-12, "{k}");
    }
    // Sampled inputs stay inside their distributions' supports.
    assert!(
        trials
            .numbers("install_racks_per_day.alpha")
            .iter()
            .all(|r| (2.0..=5.0).contains(r))
    );
    assert!(
        trials
            .numbers("delay_days.beta.phase0")
            .iter()
            .all(|d| *d == 0.0 || *d == 30.0)
    );
}

#[test]
fn resolved_scenario_reproduces_the_run() {
    // The reproducibility promise: scenario.resolved.toml carries the seed, the trial count and
    // every override, so running it with no flags at all gives the same summary.json.
    let first = run_cli(
        &fixture(TINY),
        &[
            "--trials",
            "150",
            "--seed",
            "31337",
            "--set",
            "sites.beta.install_racks_per_day=4",
            "--set",
            "supply.main.rate_scale=0.9",
        ],
    );
    let resolved = first.path("scenario.resolved.toml");
    let text = std::fs::read_to_string(&resolved).unwrap();
    assert!(text.contains("seed = 31337"), "{text}");
    assert!(text.contains("trials = 150"), "{text}");

    let again = rerun_without_flags(&resolved);
    assert_eq!(
        String::from_utf8_lossy(&again.0),
        String::from_utf8_lossy(&first.summary_bytes),
        "summary.json differs when re-run from scenario.resolved.toml"
    );
    assert_eq!(again.1, first.daily_bytes, "daily.csv differs");
}

#[test]
fn resolved_scenario_reproduces_runs_with_any_seed() {
    // `--seed` takes 0 ... 2^63 - 1, the range of a TOML integer, so that the resolved file can
    // always carry the seed; the largest seed must re-run to the same summary.json.
    let first = run_cli(
        &fixture(TINY),
        &["--trials", "20", "--seed", "9223372036854775807"],
    );
    let again = rerun_without_flags(&first.path("scenario.resolved.toml"));
    assert_eq!(
        String::from_utf8_lossy(&again.0),
        String::from_utf8_lossy(&first.summary_bytes)
    );
}

/// Runs `capsim run RESOLVED` with no flags in a fresh working directory (so the default output
/// directory `out/<stem>/` lands there) and returns its summary.json and daily.csv.
fn rerun_without_flags(resolved: &std::path::Path) -> (Vec<u8>, Vec<u8>) {
    let cwd = tempfile::tempdir().unwrap();
    let copy = cwd.path().join("scenario.resolved.toml");
    std::fs::copy(resolved, &copy).unwrap();
    let assert = capsim()
        .current_dir(cwd.path())
        .arg("run")
        .arg("scenario.resolved.toml")
        .assert();
    let output = assert.get_output();
    assert!(
        output.status.success(),
        "re-running the resolved scenario failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = cwd.path().join("out/scenario.resolved");
    (
        std::fs::read(out.join("summary.json")).unwrap(),
        std::fs::read(out.join("daily.csv")).unwrap(),
    )
}

#[test]
fn json_on_stdout_is_one_document() {
    let dir = tempfile::tempdir().unwrap();
    let out = capsim()
        .args(["run", "--trials", "30", "--json", "--out"])
        .arg(dir.path())
        .arg(fixture(TINY))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mut stream = serde_json::Deserializer::from_slice(&out).into_iter::<Value>();
    assert!(stream.next().unwrap().is_ok());
    assert!(
        stream.next().is_none(),
        "stdout holds more than one JSON document"
    );
}

#[test]
fn site_means_add_up_to_the_online_mean() {
    let out = run_cli(&fixture(TINY), &["--trials", "100"]);
    let daily = out.daily();
    let total = daily.numbers("online_gpus_mean");
    let site_columns: Vec<&String> = daily
        .headers
        .iter()
        .filter(|h| h.starts_with("site_") && h.ends_with("_online_gpus_mean"))
        .collect();
    assert!(!site_columns.is_empty(), "one column per site");
    let sites: Vec<Vec<f64>> = site_columns.iter().map(|h| daily.numbers(h)).collect();
    for (day, expect) in total.iter().enumerate() {
        let sum: f64 = sites.iter().map(|col| col[day]).sum();
        // Both are exact integer sums over 100 trials, written with up to 6 decimals.
        assert!(
            (sum - expect).abs() < 1e-4 * sites.len() as f64,
            "day {day}: {sum} vs {expect}"
        );
    }
}
