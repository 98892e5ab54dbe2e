//! `[status]`: a forecast from the state at the end of a date (docs/model.md, "Starting from a
//! status"). A status with everything done meets the target on the status date; a status read
//! off a run and written back gives the same run after its date (deterministic, and trial by
//! trial when only later inputs are random); a status with a phase not yet energized draws its
//! delay given that, with the distribution of the plain run's trials in that state; bad
//! statuses exit 2 naming the field (the fixtures `invalid/status_*.toml`, checked by
//! `scenarios`); a scenario without a status gives the bytes it gave before `[status]` existed.

use std::path::{Path, PathBuf};

use crate::util::{RunOutput, Table, capsim, fixture, root, run_cli};

const BASE: &str = "valid/status_restart_base.toml";

/// Writes `text` as `name` into `dir` and returns its path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn fixture_text(rel: &str) -> String {
    std::fs::read_to_string(root().join(fixture(rel))).unwrap()
}

/// The `[status]` of `status_restart_base.toml`'s single site and stream at the end of row
/// `day` of a deterministic run's daily.csv: every rack is waiting, installed and waiting for
/// power, or online (no burn-in, transit or pods), and each phase is 1.25 MW except the 2.5 MW
/// third.
fn status_from_row(daily: &Table, day: usize) -> String {
    let racks = |col: &str| daily.number(day, &format!("{col}_mean")) as u64 / 72;
    let (delivered, installed, online, staged) = (
        racks("delivered_gpus"),
        racks("installed_gpus"),
        racks("online_gpus"),
        racks("staged_gpus"),
    );
    let energized = match daily.number(day, "energized_mw_mean") {
        mw if mw < 2.0 => 1,
        mw if mw < 4.0 => 2,
        _ => 3,
    };
    format!(
        "\n[status]\ndate = {}\nsupply = [ {{ stream = \"main\", delivered_racks = {delivered} }} ]\n\n\
         [[status.sites]]\nsite = \"hall\"\nenergized_phases = {energized}\n\
         staged_racks = {{ rack72 = {staged} }}\ninstalled_racks = {{ rack72 = {} }}\n\
         online_racks = {{ rack72 = {online} }}\n",
        daily.column("date")[day],
        installed - online,
    )
}

/// Every column of every row from `from` on is the same in both runs.
fn assert_rows_equal_from(a: &Table, b: &Table, from: usize, what: &str) {
    assert_eq!(a.rows.len(), b.rows.len(), "{what}: row count");
    for day in from..a.rows.len() {
        assert_eq!(a.rows[day], b.rows[day], "{what}: day {day} differs");
    }
}

#[test]
fn a_status_with_everything_done_meets_the_target_on_its_date() {
    let out = run_cli(&fixture("valid/status_done.toml"), &["--trials-csv"]);
    let s = &out.summary;
    assert_eq!(s["p_target_by_deadline"]["estimate"], 1.0, "{s}");
    for p in ["p10", "p50", "p90"] {
        assert_eq!(s["full_capacity_date"][p], "2026-02-01", "{p}");
    }
    let trials = out.trials();
    assert!(
        trials
            .column("full_capacity_date")
            .iter()
            .all(|&d| d == "2026-02-01")
    );
    // The rows up to the status date show the status: 1,440 GPUs online from day 0.
    let daily = out.daily();
    assert_eq!(daily.number(0, "online_gpus_mean"), 1440.0);
    assert_eq!(daily.number(0, "delivered_gpus_mean"), 1440.0);
    assert_eq!(daily.number(0, "energized_mw_mean"), 2.5);
}

#[test]
fn a_status_read_off_a_deterministic_run_restarts_the_same_run() {
    let base = run_cli(&fixture(BASE), &["--trials", "3", "--trials-csv"]);
    let base_daily = base.daily();
    let text = fixture_text(BASE);
    let dir = tempfile::tempdir().unwrap();
    // Day 17: 6 racks installed and waiting for the power of phase 1, usable the next day.
    // Day 30: racks waiting for hall room. Day 45: phase 2 energized, racks waiting for crews.
    // Day 5: nothing delivered yet.
    for day in [5, 17, 30, 45] {
        let status = status_from_row(&base_daily, day);
        let path = write(
            dir.path(),
            &format!("restart_{day}.toml"),
            &(text.clone() + &status),
        );
        let run = run_cli(&path, &["--trials", "3", "--trials-csv"]);
        let daily = run.daily();
        assert_rows_equal_from(&base_daily, &daily, day, &format!("status on day {day}"));
        // The days before the status date show the status (but for the share of trials at
        // full capacity, which counts from the full-capacity day).
        let reached = daily.col("reached_target_share");
        let without = |row: &[String]| -> Vec<String> {
            let mut row = row[1..].to_vec();
            row.remove(reached - 1);
            row
        };
        for d in 0..day {
            assert_eq!(
                without(&daily.rows[d]),
                without(&daily.rows[day]),
                "day {d} of {day}"
            );
        }
        let (a, b) = (base.trials(), run.trials());
        for col in ["online_gpus_at_deadline", "delivered_gpus_at_deadline"] {
            assert_eq!(a.column(col), b.column(col), "{col}, day {day}");
        }
        assert_eq!(
            run.summary["p_target_by_deadline"], base.summary["p_target_by_deadline"],
            "day {day}"
        );
        // The full-capacity day is the plain run's, unless the target was already reached on
        // the status day: the status does not say when, so it counts as reached on that day.
        let status_date = daily.column("date")[day];
        let full = a.column("full_capacity_date")[0];
        let want = if full <= status_date {
            status_date
        } else {
            full
        };
        assert!(
            b.column("full_capacity_date").iter().all(|&d| d == want),
            "full capacity, day {day}"
        );
    }
}

#[test]
fn a_status_before_the_random_part_reproduces_every_trial() {
    // Only phase 2's delay is random, and phase 2 is planned after the status day (35 > 17):
    // the state on day 17 is the same in every trial, and each trial's draws are the same with
    // or without the status (the delay is drawn given it falls after day 17, which it always
    // does), so every trial of the status run is the plain run's trial.
    let text = fixture_text(BASE).replace(
        "planned = 2026-02-09           # day 35",
        "planned = 2026-02-09           # day 35\ndelay_days = { kind = \"uniform\", min = 0, max = 20 }",
    );
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "random.toml", &text);
    let base = run_cli(&plain, &["--trials", "200", "--trials-csv"]);
    let status = status_from_row(&base.daily(), 17);
    let restarted = write(dir.path(), "random_status.toml", &(text + &status));
    let run = run_cli(&restarted, &["--trials", "200", "--trials-csv"]);
    let (a, b) = (base.trials(), run.trials());
    let delays = a.column("delay_days.hall.phase2");
    assert!(
        delays
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
            > 10,
        "the delay varies"
    );
    for col in [
        "delay_days.hall.phase2",
        "full_capacity_date",
        "online_gpus_at_deadline",
        "delivered_gpus_at_deadline",
    ] {
        assert_eq!(a.column(col), b.column(col), "{col}");
    }
    assert_rows_equal_from(&base.daily(), &run.daily(), 17, "random after the status");
}

/// Full-capacity days of a run's trials, as day numbers (`never` as `i64::MAX`).
fn full_capacity_days(out: &RunOutput, keep: impl Fn(usize) -> bool) -> Vec<i64> {
    let trials = out.trials();
    trials
        .column("full_capacity_date")
        .iter()
        .enumerate()
        .filter(|(t, _)| keep(*t))
        .map(|(_, d)| {
            if d.is_empty() || *d == "never" {
                i64::MAX
            } else {
                crate::util::epoch_day(d)
            }
        })
        .collect()
}

#[test]
fn a_phase_not_yet_energized_draws_its_delay_given_that() {
    // Phase 1 (planned day 14) is late by U(0, 14) days, rounded; halls open and power is usable
    // on the energization day. On day 20, a trial whose phase 1 is not yet energized (delay
    // >= 7) has phase 0 full (10 racks online) and every other delivered rack waiting: the same
    // state in all of them. The status run from that state must give the distribution of the
    // plain run's trials in it. Only the delay is random, and the target (20 racks) needs
    // phase 1, so compare the full-capacity days:
    // two-sample Kolmogorov–Smirnov distance below its 1% critical value
    // 1.63 × sqrt((n + m) / (n m)) (about 0.07 here), and means within 4 standard errors.
    // The seed is fixed, so the outcome is too.
    let text = fixture_text(BASE)
        .replace("target_gpus = 2160", "target_gpus = 1440")
        .replace("install_lead_days = 3", "install_lead_days = 0")
        .replace(
            "commissioning_days = 4",
            "delay_days = { kind = \"uniform\", min = 0, max = 14 }",
        );
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "late.toml", &text);
    let args = ["--trials", "2000", "--trials-csv", "--cost-trials", "0"];
    let base = run_cli(&plain, &args);
    let delays = base.trials().numbers("delay_days.hall.phase1");
    let late = |t: usize| delays[t] >= 7.0;
    let conditioned = full_capacity_days(&base, late);
    // The state on day 20 of a late trial, as a status.
    // Every late trial has 24 racks delivered on day 20 (the weeks shipping on days 6, 13 and
    // 20), 10 online in phase 0 and 14 waiting.
    let status = "\n[status]\ndate = 2026-01-25\nsupply = [ { stream = \"main\", delivered_racks = 24 } ]\n\n\
         [[status.sites]]\nsite = \"hall\"\nenergized_phases = 1\n\
         staged_racks = { rack72 = 14 }\nonline_racks = { rack72 = 10 }\n";
    let restarted = write(dir.path(), "late_status.toml", &(text + status));
    let run = run_cli(&restarted, &args);
    let from_status = full_capacity_days(&run, |_| true);
    let status_delays = run.trials().numbers("delay_days.hall.phase1");
    assert!(
        status_delays.iter().all(|&d| d >= 7.0),
        "delay drawn given > 6"
    );
    let (n, m) = (conditioned.len() as f64, from_status.len() as f64);
    assert!(n > 600.0, "{n} late trials");
    let cdf = |xs: &[i64], x: i64| xs.iter().filter(|&&v| v <= x).count() as f64 / xs.len() as f64;
    let mut values: Vec<i64> = conditioned.iter().chain(&from_status).copied().collect();
    values.sort_unstable();
    values.dedup();
    let ks = values
        .iter()
        .map(|&x| (cdf(&conditioned, x) - cdf(&from_status, x)).abs())
        .fold(0.0, f64::max);
    let critical = 1.63 * ((n + m) / (n * m)).sqrt();
    assert!(ks < critical, "KS distance {ks} >= {critical}");
    let mean_sd = |xs: &[i64]| {
        let k = xs.len() as f64;
        let mean = xs.iter().map(|&x| x as f64).sum::<f64>() / k;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (k - 1.0);
        (mean, var / k)
    };
    let ((a, va), (b, vb)) = (mean_sd(&conditioned), mean_sd(&from_status));
    assert!(
        (a - b).abs() < 4.0 * (va + vb).sqrt(),
        "mean full-capacity day {a} vs {b}"
    );
}

#[test]
fn invalid_statuses_exit_2_naming_the_field() {
    // The fixtures themselves are checked by `scenarios::every_invalid_fixture_fails_as_it_states`;
    // here, that there is one per check and each names a `status.` field.
    let dir = root().join("tests/fixtures/invalid");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("status_") && n.ends_with(".toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let output = capsim()
            .arg("validate")
            .arg(fixture(&format!("invalid/{name}")))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains("`status."), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("invalid/{name}:")),
            "{name} names its file: {stderr}"
        );
    }
}

#[test]
fn a_scenario_without_a_status_gives_the_bytes_it_gave_before() {
    // CRC-32 of daily.csv and trials.csv of this run, recorded with the engine before `[status]`
    // existed (a random fixture: slips, noise, phase delays, crews, failures and rework, two
    // sites).
    let out = run_cli(
        &fixture("valid/ka_defaults.toml"),
        &[
            "--trials",
            "300",
            "--seed",
            "7",
            "--trials-csv",
            "--no-charts",
        ],
    );
    let trials = std::fs::read_to_string(out.path("trials.csv")).unwrap();
    // Without the per-site `racks_online_at_deadline.<site>` columns added since (two sites).
    let before: String = trials
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            cells[..cells.len() - 2].join(",") + "\n"
        })
        .collect();
    // Without the money columns added since (`capital_deployed_usd_*`, `idle_inventory_usd_*`).
    let daily = String::from_utf8(out.daily_bytes.clone()).unwrap();
    let header: Vec<&str> = daily.lines().next().unwrap().split(',').collect();
    let kept: Vec<usize> = (0..header.len())
        .filter(|&i| !header[i].starts_with("capital_") && !header[i].starts_with("idle_"))
        .collect();
    assert_eq!(
        header.len() - kept.len(),
        16,
        "two money metrics of 8 columns"
    );
    let daily_before: String = daily
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            kept.iter().map(|&i| cells[i]).collect::<Vec<_>>().join(",") + "\n"
        })
        .collect();
    assert_eq!(
        crc32fast::hash(daily_before.as_bytes()),
        0x243c_8eba,
        "daily.csv"
    );
    assert_eq!(
        crc32fast::hash(before.as_bytes()),
        0xef39_2bcd,
        "trials.csv"
    );
}

#[test]
fn the_example_status_runs_from_its_state() {
    // tests/fixtures/valid/status_example.toml: the rows up to 2026-03-15 show the status
    // (200 gb200 + 70 gb300 racks delivered, 150 + 56 installed, 130 + 40 online), and the
    // racks installed but not online start burn-in the next day.
    let out = run_cli(&fixture("valid/status_example.toml"), &["--trials", "50"]);
    let daily = out.daily();
    for day in [0, 69] {
        assert_eq!(daily.number(day, "delivered_gpus_mean"), 270.0 * 72.0);
        assert_eq!(daily.number(day, "installed_gpus_mean"), 206.0 * 72.0);
        assert_eq!(daily.number(day, "online_gpus_mean"), 170.0 * 72.0);
        assert_eq!(daily.number(day, "staged_gpus_mean"), 64.0 * 72.0);
    }
    assert_eq!(daily.column("date")[69], "2026-03-15");
    assert!(daily.number(70, "it_mw_in_use_mean") > daily.number(69, "it_mw_in_use_mean"));
    assert!(daily.number(100, "online_gpus_mean") > daily.number(69, "online_gpus_mean"));
}
