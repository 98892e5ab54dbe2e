//! Mechanism known answers for the issue-9 model: repair in place, pod acceptance, crews (per
//! phase, mobilization, campus ceiling), power (ramps, commissioning, early phases), racks set
//! before power, site-bound deliveries (transit, waiting at the site, reroute, pool staging),
//! per-trial probabilities and their correlation groups, the defaults, and the determinism of
//! constraint costs.
//!
//! Each scenario is a `tests/fixtures/valid/ka_*.toml` whose header works the timeline out by
//! hand; variants are `--set` overrides of it, so the arithmetic of every variant sits in that
//! header too. Deterministic timelines are asserted exactly on every day that matters, and
//! every trial must agree (the 5th and 95th percentiles equal the mean). Random checks use a
//! fixed seed with a tolerance of 3 to 5 standard errors, stated with each check, or an exact
//! per-trial identity that holds whatever the draws.

use std::ops::Range;

use capsim::analysis::constraint_costs;
use capsim::engine::{self, EngineConfig, RunHooks};
use capsim::model::Model;
use capsim::scenario::Scenario;
use capsim::stats::{DailyRow, Metric, Summary, TrialOutcome};

use crate::util::{config, fixture, json_f64, report, root, run_cli};

/// A `ka_*` fixture with `--set` style overrides.
fn scenario(name: &str, sets: &[&str]) -> Scenario {
    let path = root().join(fixture(&format!("valid/{name}.toml")));
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    capsim::scenario::load(&path, &sets).unwrap_or_else(|e| panic!("{name} {sets:?}: {e}"))
}

/// What a library run of a fixture gives: the summary, the daily rows and every trial's outcome.
struct Run {
    summary: Summary,
    daily: Vec<DailyRow>,
    outcomes: Vec<TrialOutcome>,
}

/// Runs fixture `name` with overrides `sets`, at its own seed and trial count, on two threads.
fn run(name: &str, sets: &[&str]) -> Run {
    let s = scenario(name, sets);
    let model = Model::compile(&s).expect("compiles");
    let seed = s.seed.expect("fixture sets a seed");
    let trials = s.trials.expect("fixture sets trials");
    let mut outcomes = Vec::new();
    let mut sink = |_t: u64, o: &TrialOutcome| {
        outcomes.push(o.clone());
        Ok(())
    };
    let acc = engine::run(
        &model,
        &config(trials, seed),
        RunHooks {
            progress: None,
            trial_sink: Some(&mut sink),
            ..RunHooks::default()
        },
    )
    .expect("engine run");
    let (summary, daily) = report(&s, &acc, seed);
    Run {
        summary,
        daily,
        outcomes,
    }
}

fn metric_index(m: Metric) -> usize {
    Metric::ALL.iter().position(|&x| x == m).expect("a metric")
}

/// The ISO date of day `day` of the `ka_*` mechanism fixtures (day 0 = 2026-01-05), within
/// January 2026.
fn date(day: u32) -> String {
    assert!(day <= 26, "date() only covers January 2026");
    format!("2026-01-{:02}", 5 + day)
}

impl Run {
    /// The mean of `m` on `day`, in output units.
    fn mean(&self, day: usize, m: Metric) -> f64 {
        self.daily[day].metrics[metric_index(m)][0]
    }

    /// The GPU metric `m` on each of `days`, asserting that every trial has the same value (a
    /// GPU count of whole 10-GPU racks sits exactly on a percentile bin edge, so p5 = p95 =
    /// mean exactly when all trials agree).
    fn exact(&self, m: Metric, days: Range<usize>) -> Vec<f64> {
        days.map(|d| {
            let row = &self.daily[d].metrics[metric_index(m)];
            assert!(
                row[1] == row[0] && row[7] == row[0],
                "{} on day {d} differs between trials: mean {}, p5 {}, p95 {}",
                m.name(),
                row[0],
                row[1],
                row[7]
            );
            row[0]
        })
        .collect()
    }

    /// Mean online GPUs of site `site` (scenario order) on each of `days`.
    fn site_online(&self, site: usize, days: Range<usize>) -> Vec<f64> {
        days.map(|d| self.daily[d].site_online_gpus_mean[site])
            .collect()
    }

    /// Asserts every trial reaches full capacity on `day`.
    fn assert_full_capacity_on(&self, day: u32) {
        for (t, o) in self.outcomes.iter().enumerate() {
            assert_eq!(o.full_capacity_day, Some(day), "trial {t}");
        }
        let d = date(day);
        let f = &self.summary.full_capacity_date;
        assert_eq!(
            (f.p10.as_deref(), f.p50.as_deref(), f.p90.as_deref()),
            (Some(d.as_str()), Some(d.as_str()), Some(d.as_str()))
        );
    }
}

/// `n` copies of `v`.
fn rep(v: f64, n: usize) -> Vec<f64> {
    vec![v; n]
}

/// Concatenates runs of values.
fn cat(parts: &[Vec<f64>]) -> Vec<f64> {
    parts.concat()
}

fn assert_near(what: &str, got: f64, expected: f64, tolerance: f64) {
    assert!(
        (got - expected).abs() <= tolerance,
        "{what}: got {got}, expected {expected} ± {tolerance}"
    );
}

// ---------------------------------------------------------------------------------------------
// Repair in place (tests/fixtures/valid/ka_repair_in_place.toml)
// ---------------------------------------------------------------------------------------------

#[test]
fn racks_fixed_in_place_keep_floor_and_power_and_use_no_crews() {
    // pulled_fraction = 0, fix 4 days: the F failures of day 3 stay on the floor, drawing power,
    // and pass on day 7; the second batch finds all 100 crew slots free on day 6.
    let r = run(
        "ka_repair_in_place",
        &["bring_up.pulled_fraction=0", "bring_up.fix_in_place_days=4"],
    );
    assert_eq!(
        r.exact(Metric::InstalledGpus, 0..14),
        cat(&[rep(1_000.0, 6), rep(2_000.0, 8)])
    );
    assert_eq!(r.exact(Metric::StagedGpus, 0..14), rep(0.0, 14));
    for d in 0..14 {
        let expected_mw = if d < 6 { 10.0 } else { 20.0 };
        assert_near(
            &format!("it_mw_in_use on day {d}"),
            r.mean(d, Metric::ItMwInUse),
            expected_mw,
            1e-9,
        );
    }
    // Online: nothing before day 3; the first batch's passes on day 3 (about half: mean 500,
    // sd 50 per trial, SE 3.5 over 200 trials); every fixed rack on day 7 exactly; the second
    // batch's fixed racks on day 6 + 3 + 4 = 13.
    assert_eq!(r.exact(Metric::OnlineGpus, 0..3), rep(0.0, 3));
    assert_near(
        "online on day 3",
        r.mean(3, Metric::OnlineGpus),
        500.0,
        18.0,
    );
    assert_eq!(r.mean(6, Metric::OnlineGpus), r.mean(3, Metric::OnlineGpus));
    assert_eq!(r.exact(Metric::OnlineGpus, 7..9), rep(1_000.0, 2));
    assert_eq!(r.exact(Metric::OnlineGpus, 13..14), [2_000.0]);
    r.assert_full_capacity_on(7);
}

#[test]
fn pulled_racks_leave_the_floor_release_power_and_need_crews_again() {
    // pulled_fraction = 1: the F failures leave on day 3 (installed = online that day), are back
    // on day 6 and compete with the second batch for the 100 crew slots: 10F GPUs are left
    // staged on day 6. Per trial: installed(3) = 1,000 - 10F = online(3), staged(6) = 10F, so
    // the means obey the same identities exactly (up to the rounding of two divisions).
    let r = run(
        "ka_repair_in_place",
        &["bring_up.pulled_fraction=1", "bring_up.fix_in_place_days=4"],
    );
    let installed3 = r.mean(3, Metric::InstalledGpus);
    assert_near("failures on day 3", 1_000.0 - installed3, 500.0, 18.0);
    assert_near(
        "installed = online on day 3",
        installed3,
        r.mean(3, Metric::OnlineGpus),
        1e-9,
    );
    assert_near(
        "IT in use on day 3 (MW)",
        r.mean(3, Metric::ItMwInUse),
        installed3 / 100.0,
        1e-9,
    );
    assert_near(
        "staged on day 6 = racks pulled on day 3",
        r.mean(6, Metric::StagedGpus),
        1_000.0 - installed3,
        1e-9,
    );
    assert_eq!(r.exact(Metric::StagedGpus, 7..8), [0.0]);
    // Nothing of the first batch comes online between day 3 and day 8, and the next completions
    // are on day 9 (racks installed on day 6): no trial reaches 1,000 GPUs before day 9, while
    // with repair in place every trial does on day 7.
    assert_eq!(r.mean(8, Metric::OnlineGpus), r.mean(3, Metric::OnlineGpus));
    for (t, o) in r.outcomes.iter().enumerate() {
        assert!(
            o.full_capacity_day.is_none_or(|day| day >= 9),
            "trial {t} reached 1,000 GPUs on day {:?}",
            o.full_capacity_day
        );
    }
}

#[test]
fn only_the_pulled_fraction_of_failures_leaves_the_floor() {
    // pulled_fraction = 0.5: P ~ Binomial(F, 0.5) racks leave, i.e. Binomial(100, 0.25):
    // E[10P] = 250 GPUs, sd 10 sqrt(18.75) = 43.3 per trial, SE 3.06 over 200 trials. The
    // others are fixed in place and online on day 3 + 4 = 7: online(7) = installed(3) per trial.
    let r = run(
        "ka_repair_in_place",
        &[
            "bring_up.pulled_fraction=0.5",
            "bring_up.fix_in_place_days=4",
        ],
    );
    let installed3 = r.mean(3, Metric::InstalledGpus);
    assert_near("pulled GPUs on day 3", 1_000.0 - installed3, 250.0, 15.3);
    assert_near(
        "online on day 7 = installed on day 3",
        r.mean(7, Metric::OnlineGpus),
        installed3,
        1e-9,
    );
    assert_eq!(r.mean(6, Metric::OnlineGpus), r.mean(3, Metric::OnlineGpus));
    assert_near(
        "staged on day 6 = pulled on day 3",
        r.mean(6, Metric::StagedGpus),
        1_000.0 - installed3,
        1e-9,
    );
}

#[test]
fn repair_defaults_are_a_pulled_fraction_of_0_3_and_a_two_day_fix() {
    // ka_repair_in_place.toml leaves both fields out. E[10P] = 10 x 100 x 0.5 x 0.3 = 150 GPUs;
    // P ~ Binomial(100, 0.15): sd 10 sqrt(12.75) = 35.7 per trial, SE 2.52 over 200 trials. The
    // fixed racks pass on day 3 + 2 = 5, not before: online(4) = online(3), online(5) =
    // installed(3) per trial.
    let r = run("ka_repair_in_place", &[]);
    let installed3 = r.mean(3, Metric::InstalledGpus);
    assert_near("pulled GPUs on day 3", 1_000.0 - installed3, 150.0, 12.6);
    assert_eq!(r.mean(4, Metric::OnlineGpus), r.mean(3, Metric::OnlineGpus));
    assert_near(
        "online on day 5 = installed on day 3",
        r.mean(5, Metric::OnlineGpus),
        installed3,
        1e-9,
    );
    assert_near(
        "staged on day 6 = pulled on day 3",
        r.mean(6, Metric::StagedGpus),
        1_000.0 - installed3,
        1e-9,
    );
}

// ---------------------------------------------------------------------------------------------
// Pod acceptance (ka_pods.toml, ka_pods_power.toml)
// ---------------------------------------------------------------------------------------------

#[test]
fn pods_go_online_together_after_acceptance_and_the_last_partial_pod_when_burn_in_empties() {
    let r = run("ka_pods", &[]);
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..16),
        cat(&[rep(0.0, 8), rep(40.0, 4), rep(80.0, 2), rep(100.0, 2)])
    );
    let installed: Vec<f64> = (0..16).map(|d| 10.0 * f64::from((d + 1).min(10))).collect();
    assert_eq!(r.exact(Metric::InstalledGpus, 0..16), installed);
    // Racks that passed burn-in but wait for their pod are bring-up: on day 11 (pod 1 online,
    // pod 2 in its acceptance test, rack 8 waiting in the open pod, rack 9 in burn-in) the 60
    // missing GPUs are all bring-up, and on days 12..=13 the 20 of the partial pod. On day 8
    // rack 9 still waits for the crew: 10 of the 60 missing GPUs are install.
    assert_eq!(
        r.exact(Metric::ShortfallBringUpGpus, 7..15),
        [80.0, 50.0, 60.0, 60.0, 60.0, 20.0, 20.0, 0.0]
    );
    assert_eq!(
        r.exact(Metric::ShortfallInstallGpus, 7..10),
        [20.0, 10.0, 0.0]
    );
    r.assert_full_capacity_on(14);

    // Without pods (pods of one rack, no acceptance test) rack k is online on day k + 3.
    let solo = run(
        "ka_pods",
        &["sites.site.pod_racks=1", "sites.site.pod_acceptance_days=0"],
    );
    let online: Vec<f64> = (0..16)
        .map(|d: i32| 10.0 * f64::from((d - 2).clamp(0, 10)))
        .collect();
    assert_eq!(solo.exact(Metric::OnlineGpus, 0..16), online);
    solo.assert_full_capacity_on(12);
}

#[test]
fn pods_do_not_shrink_when_crews_are_slower_than_burn_in() {
    // ka_pods.toml with crews at half a rack a day and a 1-day burn-in: crews install
    // ⌊0.5 (d + 1)⌋ − ⌊0.5 d⌋ racks on day d, so rack k goes in on day 2k + 1 and passes on day
    // 2k + 2, while the next rack still waits for the crew. A pod waits for racks that only
    // crews hold back: pod 1 (racks 0..3) is complete on day 8 and online on day 10, pod 2 on
    // day 16 and 18, and the last pod (racks 8, 9) on day 20 and 22. Testing each rack alone
    // as soon as burn-in empties would put rack 0 online on day 4.
    let r = run(
        "ka_pods",
        &[
            "sites.site.install_racks_per_day=0.5",
            "bring_up.burn_in_days=1",
        ],
    );
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..24),
        cat(&[rep(0.0, 10), rep(40.0, 8), rep(80.0, 4), rep(100.0, 2)])
    );
    r.assert_full_capacity_on(22);
}

#[test]
fn a_partial_pod_waits_for_a_rack_that_waits_for_power() {
    let r = run("ka_pods_power", &[]);
    assert_eq!(r.exact(Metric::InstalledGpus, 0..17), rep(60.0, 17));
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..17),
        cat(&[rep(0.0, 5), rep(40.0, 10), rep(60.0, 2)])
    );
    assert_eq!(
        r.exact(Metric::ShortfallPowerGpus, 0..17),
        cat(&[rep(10.0, 10), rep(0.0, 7)])
    );
    assert_eq!(
        r.exact(Metric::ShortfallBringUpGpus, 0..17),
        cat(&[rep(50.0, 5), rep(10.0, 5), rep(20.0, 5), rep(0.0, 2)])
    );
    r.assert_full_capacity_on(15);
}

// ---------------------------------------------------------------------------------------------
// Crews (ka_crews.toml, ka_mobilization.toml)
// ---------------------------------------------------------------------------------------------

#[test]
fn crews_per_phase_scale_with_the_open_phases_not_yet_full() {
    let r = run("ka_crews", &[]);
    let racks = [
        2.0, 4.0, 6.0, 8.0, 10.0, // phase 0 alone: 2 a day
        14.0, 18.0, 22.0, // both phases open, phase 0 not yet full: 4 a day
        24.0, 26.0, 28.0, 30.0, 32.0, 34.0, 36.0, 38.0, 40.0, // phase 1 alone: 2 a day
        40.0, 40.0, 40.0, // both full
    ];
    let gpus: Vec<f64> = racks.iter().map(|r| r * 10.0).collect();
    assert_eq!(r.exact(Metric::InstalledGpus, 0..20), gpus);
    r.assert_full_capacity_on(16);

    // One crew for the whole site: 2 a day whatever the phases.
    let site = run("ka_crews", &["sites.site.crews_per_phase=false"]);
    let gpus: Vec<f64> = (0..21).map(|d| 20.0 * f64::from((d + 1).min(20))).collect();
    assert_eq!(site.exact(Metric::InstalledGpus, 0..21), gpus);
    site.assert_full_capacity_on(19);
}

#[test]
fn max_install_racks_per_day_caps_the_campus_pace() {
    // Crews could do 10 a day; the campus ceiling of 3.5 a day gives floor(3.5 (d + 1)) racks.
    let r = run(
        "ka_crews",
        &[
            "sites.site.crews_per_phase=false",
            "sites.site.install_racks_per_day=10",
            "sites.site.max_install_racks_per_day=3.5",
        ],
    );
    let racks = [
        3.0, 7.0, 10.0, 14.0, 17.0, 21.0, 24.0, 28.0, 31.0, 35.0, 38.0, 40.0, 40.0,
    ];
    let gpus: Vec<f64> = racks.iter().map(|r| r * 10.0).collect();
    assert_eq!(r.exact(Metric::InstalledGpus, 0..13), gpus);
    r.assert_full_capacity_on(11);

    // With crews per phase, two open phases would give 4 a day; a ceiling of 3 holds days 5..=8
    // (one phase being fitted out gives 2 a day before and after): 2, 4, 6, 8, 10, 13, 16, 19,
    // 22, 24, ...
    let r = run("ka_crews", &["sites.site.max_install_racks_per_day=3"]);
    let racks = [2.0, 4.0, 6.0, 8.0, 10.0, 13.0, 16.0, 19.0, 22.0, 24.0, 26.0];
    let gpus: Vec<f64> = racks.iter().map(|r| r * 10.0).collect();
    assert_eq!(r.exact(Metric::InstalledGpus, 0..11), gpus);
}

#[test]
fn mobilization_starts_at_mobilization_start_and_reaches_full_pace_after_mobilization_days() {
    // ka_mobilization.toml: 4 racks a day at full pace, mobilization_days = 4,
    // mobilization_start = 0.25. As documented ("share of full pace on the day a crew starts";
    // "days for a crew to reach full pace"): shares 0.25, 0.4375, 0.625, 0.8125, 1, ..., paces
    // 1, 1.75, 2.5, 3.25, 4, ..., running totals 1, 2.75, 5.25, 8.5, 12.5, 16.5, 20.5, 24.5.
    let r = run("ka_mobilization", &[]);
    let racks = [1.0, 2.0, 5.0, 8.0, 12.0, 16.0, 20.0, 24.0];
    let gpus: Vec<f64> = racks.iter().map(|r| r * 10.0).collect();
    assert_eq!(
        r.exact(Metric::InstalledGpus, 0..8),
        gpus,
        "installed GPUs on days 0..=7 with a 4-day mobilization starting at 25% of 4 racks a day"
    );

    // mobilization_days = 1: a quarter of the pace on the first day (1 rack), full pace from the
    // next (5, 9, ...), which is not the same as no mobilization.
    let r = run("ka_mobilization", &["sites.site.mobilization_days=1"]);
    assert_eq!(
        r.exact(Metric::InstalledGpus, 0..3),
        [10.0, 50.0, 90.0],
        "installed GPUs on days 0..=2 with a 1-day mobilization"
    );

    // Without mobilization: 4 a day from day 0.
    let r = run("ka_mobilization", &["sites.site.mobilization_days=0"]);
    let gpus: Vec<f64> = (0..8).map(|d| 40.0 * f64::from(d + 1)).collect();
    assert_eq!(r.exact(Metric::InstalledGpus, 0..8), gpus);
}

// ---------------------------------------------------------------------------------------------
// Power (ka_power.toml) and racks set before power (ka_install_lead.toml)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_negative_delay_energizes_a_phase_early() {
    // Phase 0 planned on day 2, 5 days early: from day 0 (day -3); phase 1 planned on day 10,
    // 4 days early: day 6.
    let r = run("ka_power", &[]);
    for (t, o) in r.outcomes.iter().enumerate() {
        assert_eq!(o.phase_energized_day, [-3, 6], "trial {t}");
    }
    let phases = &r.summary.sites[0].phases;
    assert_eq!(phases[0].median_energized, "2026-01-02");
    assert_eq!(phases[1].median_energized, "2026-01-11");
    let gpus = cat(&[rep(50.0, 6), rep(100.0, 4)]);
    assert_eq!(r.exact(Metric::InstalledGpus, 0..10), gpus);
    assert_eq!(r.exact(Metric::OnlineGpus, 0..10), gpus);
    for d in 0..10 {
        let mw = if d < 6 { 0.5 } else { 1.0 };
        assert_near(
            &format!("energized MW on day {d}"),
            r.mean(d, Metric::EnergizedMw),
            mw,
            1e-9,
        );
    }
    r.assert_full_capacity_on(6);
}

#[test]
fn a_power_ramp_delivers_the_phase_over_ramp_days() {
    // Phase 1's 500 kW arrive 100 kW a day on days 6..=10; its 5 racks are set on day 6 (the
    // halls open whole) and start burn-in one a day as the power comes; the racks waiting for
    // power are the power shortfall.
    let r = run("ka_power", &["sites.site.phases.1.ramp_days=5"]);
    assert_eq!(
        r.exact(Metric::InstalledGpus, 0..12),
        cat(&[rep(50.0, 6), rep(100.0, 6)])
    );
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..12),
        cat(&[rep(50.0, 6), vec![60.0, 70.0, 80.0, 90.0], rep(100.0, 2)])
    );
    assert_eq!(
        r.exact(Metric::ShortfallPowerGpus, 0..12),
        cat(&[rep(50.0, 6), vec![40.0, 30.0, 20.0, 10.0], rep(0.0, 2)])
    );
    for (d, mw) in [
        (5, 0.5),
        (6, 0.6),
        (7, 0.7),
        (8, 0.8),
        (9, 0.9),
        (10, 1.0),
        (11, 1.0),
    ] {
        assert_near(
            &format!("energized MW on day {d}"),
            r.mean(d, Metric::EnergizedMw),
            mw,
            1e-9,
        );
    }
    r.assert_full_capacity_on(10);
}

#[test]
fn no_burn_in_starts_before_commissioning_ends() {
    // Phase 1 is energized on day 6 but commissioned 3 days later: its racks are set on day 6
    // and start their 2-day burn-in on day 9 (online day 11). Phase 0's racks: online on day 2.
    let r = run(
        "ka_power",
        &[
            "sites.site.phases.1.commissioning_days=3",
            "bring_up.burn_in_days=2",
        ],
    );
    assert_eq!(
        r.exact(Metric::InstalledGpus, 0..13),
        cat(&[rep(50.0, 6), rep(100.0, 7)])
    );
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..13),
        cat(&[rep(0.0, 2), rep(50.0, 9), rep(100.0, 2)])
    );
    // Installed but not yet commissioned is power; burning in is bring-up.
    assert_eq!(
        r.exact(Metric::ShortfallPowerGpus, 0..13),
        cat(&[rep(50.0, 9), rep(0.0, 4)])
    );
    assert_eq!(
        r.exact(Metric::ShortfallBringUpGpus, 0..13),
        cat(&[rep(50.0, 2), rep(0.0, 7), rep(50.0, 2), rep(0.0, 2)])
    );
    for (d, energized, in_use) in [(5, 0.5, 0.5), (6, 1.0, 0.5), (8, 1.0, 0.5), (9, 1.0, 1.0)] {
        assert_near(
            &format!("energized MW on day {d}"),
            r.mean(d, Metric::EnergizedMw),
            energized,
            1e-9,
        );
        assert_near(
            &format!("IT MW in use on day {d}"),
            r.mean(d, Metric::ItMwInUse),
            in_use,
            1e-9,
        );
    }
    r.assert_full_capacity_on(11);
}

#[test]
fn a_random_commissioning_time_makes_its_phase_an_uncertain_input() {
    // commissioning_days is drawn once per trial from the phase's generator
    // (`site/site/phase/1`, after the delay). With a fixed delay and a random commissioning
    // time the trials differ, so that generator group must be among the uncertain inputs that
    // sensitivity analysis varies (`Model::input_groups`: only "groups whose draws cannot vary"
    // are left out).
    let random =
        ["sites.site.phases.1.commissioning_days={ kind = \"uniform\", min = 0, max = 20 }"];
    let model = Model::compile(&scenario("ka_power", &random)).expect("compiles");
    let r = run("ka_power", &random);
    let first = r.outcomes[0].full_capacity_day;
    assert!(
        r.outcomes.iter().any(|o| o.full_capacity_day != first),
        "the commissioning draw should move the full-capacity day"
    );
    let groups: Vec<String> = model
        .input_groups()
        .into_iter()
        .map(|g| model.group_name(g))
        .collect();
    assert!(
        groups.iter().any(|g| g == "site/site/phase/1"),
        "the phase whose commissioning time is random is missing from the uncertain inputs: \
         {groups:?}"
    );
}

#[test]
fn racks_set_before_power_wait_for_it_and_count_as_power() {
    // install_lead_days = 5: racks are set from day 5, 2 a day, and all start on day 10.
    let r = run("ka_install_lead", &[]);
    let installed = cat(&[rep(0.0, 5), vec![20.0, 40.0, 60.0, 80.0], rep(100.0, 3)]);
    assert_eq!(r.exact(Metric::InstalledGpus, 0..12), installed);
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..12),
        cat(&[rep(0.0, 10), rep(100.0, 2)])
    );
    assert_eq!(
        r.exact(Metric::ShortfallPowerGpus, 0..11),
        cat(&[rep(100.0, 5), vec![20.0, 40.0, 60.0, 80.0, 100.0, 0.0]])
    );
    assert_eq!(
        r.exact(Metric::ShortfallInstallGpus, 0..11),
        cat(&[rep(0.0, 5), vec![80.0, 60.0, 40.0, 20.0, 0.0, 0.0]])
    );
    let share = &r.summary.bottleneck_share;
    assert_near("power share", share.power, 0.8, 1e-12);
    assert_near("install share", share.install, 0.2, 1e-12);
    r.assert_full_capacity_on(10);

    // Without the lead the same crews start on day 10: full capacity on day 14.
    let r = run("ka_install_lead", &["sites.site.install_lead_days=0"]);
    assert_eq!(r.exact(Metric::InstalledGpus, 0..10), rep(0.0, 10));
    assert_eq!(
        r.exact(Metric::OnlineGpus, 9..16),
        vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0, 100.0]
    );
    let share = &r.summary.bottleneck_share;
    assert_near("power share", share.power, 1_000.0 / 1_200.0, 1e-12);
    assert_near("install share", share.install, 200.0 / 1_200.0, 1e-12);
    r.assert_full_capacity_on(14);
}

// ---------------------------------------------------------------------------------------------
// Site-bound deliveries (ka_site_bound.toml)
// ---------------------------------------------------------------------------------------------

#[test]
fn batches_are_bound_to_a_site_at_shipping_and_wait_there_after_transit() {
    let r = run("ka_site_bound", &[]);
    // In transit for 3 days: not delivered, and the missing GPUs are supply.
    assert_eq!(
        r.exact(Metric::DeliveredGpus, 0..11),
        cat(&[rep(0.0, 3), rep(150.0, 8)])
    );
    assert_eq!(
        r.exact(Metric::ShortfallSupplyGpus, 0..11),
        cat(&[rep(150.0, 3), rep(0.0, 8)])
    );
    // `a` was assigned 10 racks for its planned room; they wait there for its late power while
    // `b`, assigned 5, has room for 5 more.
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..11),
        cat(&[rep(0.0, 3), rep(50.0, 7), vec![150.0]])
    );
    assert_eq!(
        r.exact(Metric::StagedGpus, 0..11),
        cat(&[rep(0.0, 3), rep(100.0, 7), vec![0.0]])
    );
    assert_eq!(
        r.exact(Metric::ShortfallPowerGpus, 0..11),
        cat(&[rep(0.0, 3), rep(100.0, 7), vec![0.0]])
    );
    assert_eq!(r.site_online(0, 0..11), cat(&[rep(0.0, 10), vec![100.0]]));
    assert_eq!(r.site_online(1, 0..11), cat(&[rep(0.0, 3), rep(50.0, 8)]));
    r.assert_full_capacity_on(10);
}

#[test]
fn assignment_follows_planned_room_by_the_arrival_day_and_the_policy() {
    // `a` planned on day 10: no planned room by the arrival day, so `b` is served first.
    let r = run(
        "ka_site_bound",
        &[
            "sites.a.phases.0.planned=2026-01-15",
            "sites.a.phases.0.delay_days=0",
        ],
    );
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..11),
        cat(&[rep(0.0, 3), rep(100.0, 7), vec![150.0]])
    );
    assert_eq!(r.site_online(1, 0..11), cat(&[rep(0.0, 3), rep(100.0, 8)]));
    r.assert_full_capacity_on(10);

    // Most headroom: `b` (20 racks of planned room against 10) is assigned the whole batch.
    let sets = ["sites.b.phases.0.mw=2", "allocation.policy=most_headroom"];
    let r = run("ka_site_bound", &sets);
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..5),
        cat(&[rep(0.0, 3), rep(150.0, 2)])
    );
    assert_eq!(r.site_online(1, 3..4), [150.0]);
    r.assert_full_capacity_on(3);
    // In file order `a` is assigned 10 racks that wait for its late power.
    let r = run("ka_site_bound", &sets[..1]);
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..11),
        cat(&[rep(0.0, 3), rep(50.0, 7), vec![150.0]])
    );
    r.assert_full_capacity_on(10);
}

#[test]
fn reroute_moves_stranded_racks_to_free_room_in_reroute_days() {
    let r = run("ka_site_bound", &["allocation.reroute_days=2"]);
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..11),
        cat(&[rep(0.0, 3), rep(50.0, 2), rep(100.0, 5), vec![150.0]])
    );
    // Days 3..=4: 5 racks wait at `a` and 5 are on the road to `b`: all power.
    assert_eq!(
        r.exact(Metric::ShortfallPowerGpus, 0..11),
        cat(&[rep(0.0, 3), rep(100.0, 2), rep(50.0, 5), vec![0.0]])
    );
    assert_eq!(
        r.site_online(1, 0..11),
        cat(&[rep(0.0, 3), rep(50.0, 2), rep(100.0, 6)])
    );
    assert_eq!(r.site_online(0, 0..11), cat(&[rep(0.0, 10), vec![50.0]]));
    r.assert_full_capacity_on(10);
}

#[test]
fn pool_staging_gives_the_old_behaviour() {
    // One fleet pool: racks go wherever there is room on the day they arrive.
    let r = run("ka_site_bound", &["allocation.staging=pool"]);
    assert_eq!(
        r.exact(Metric::OnlineGpus, 0..11),
        cat(&[rep(0.0, 3), rep(100.0, 7), vec![150.0]])
    );
    assert_eq!(r.site_online(1, 0..11), cat(&[rep(0.0, 3), rep(100.0, 8)]));
    assert_eq!(r.site_online(0, 0..11), cat(&[rep(0.0, 10), vec![50.0]]));
    assert_eq!(
        r.exact(Metric::StagedGpus, 0..11),
        cat(&[rep(0.0, 3), rep(50.0, 7), vec![0.0]])
    );
    r.assert_full_capacity_on(10);
}

// ---------------------------------------------------------------------------------------------
// Per-trial probabilities and correlation groups (trials.csv)
// ---------------------------------------------------------------------------------------------

/// Average ranks (ties share their mean rank).
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && xs[idx[j + 1]] == xs[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[test]
fn the_failure_probability_is_drawn_once_per_trial() {
    // ka_failure_lots.toml: p is 0 or 0.9 per trial; its row in trials.csv decides the
    // full-capacity date (day 3 or day 7) of that trial.
    let out = run_cli(
        &fixture("valid/ka_failure_lots.toml"),
        &["--trials-csv", "--no-charts", "--cost-trials", "0"],
    );
    let t = out.trials();
    assert_eq!(t.rows.len(), 200);
    let p = t.numbers("failure_probability");
    let dates = t.column("full_capacity_date");
    for (i, (p, d)) in p.iter().zip(&dates).enumerate() {
        let expected = if *p == 0.0 {
            "2026-01-08"
        } else if *p == 0.9 {
            "2026-01-12"
        } else {
            panic!("trial {i}: failure_probability {p} is neither 0 nor 0.9")
        };
        assert_eq!(*d, expected, "trial {i}: failure_probability {p}");
    }
    // Equal weights: the share of lots at 0.9 is 0.5 ± 5 SE (SE = 0.035 at n = 200).
    let bad = p.iter().filter(|&&x| x == 0.9).count() as f64 / 200.0;
    assert_near("share of trials with p = 0.9", bad, 0.5, 0.18);
}

#[test]
fn correlation_groups_couple_failure_and_disruption_probabilities() {
    // ka_correlated_inputs.toml: rho = 0.7 between U(0, 0.4) and U(0, 0.2). At n = 1,000 the
    // standard error of Spearman's coefficient near 0.7 is about (1 - 0.49) / sqrt(1000) = 0.016;
    // the tolerance is 0.05 (3 SE; these are continuous inputs, so no ties round rho away).
    // Marginals keep their means: 0.2 ± 5 x 0.1155 / sqrt(1000) = ± 0.018 and 0.1 ± 0.009.
    let args = ["--trials-csv", "--no-charts", "--cost-trials", "0"];
    let path = fixture("valid/ka_correlated_inputs.toml");
    let out = run_cli(&path, &args);
    let t = out.trials();
    assert_eq!(t.rows.len(), 1_000);
    let f = t.numbers("failure_probability");
    let d = t.numbers("disruption_probability.line");
    assert!(f.iter().all(|x| (0.0..=0.4).contains(x)), "{f:?}");
    assert!(d.iter().all(|x| (0.0..=0.2).contains(x)), "{d:?}");
    assert_near("mean failure probability", mean(&f), 0.2, 0.018);
    assert_near("mean disruption probability", mean(&d), 0.1, 0.009);
    assert_near("Spearman rho", spearman(&f, &d), 0.7, 0.05);

    // rho = 0: independent (SE 1 / sqrt(999) = 0.032; tolerance 4 SE), same marginals.
    let mut with_zero = args.to_vec();
    with_zero.extend(["--set", "correlations.lot-and-line.rho=0"]);
    let out = run_cli(&path, &with_zero);
    let t = out.trials();
    let f0 = t.numbers("failure_probability");
    let d0 = t.numbers("disruption_probability.line");
    assert_near(
        "Spearman rho without correlation",
        spearman(&f0, &d0),
        0.0,
        0.13,
    );
    assert_near("mean failure probability", mean(&f0), 0.2, 0.018);
    assert_near("mean disruption probability", mean(&d0), 0.1, 0.009);
}

// ---------------------------------------------------------------------------------------------
// Defaults and determinism
// ---------------------------------------------------------------------------------------------

#[test]
fn the_defaults_spelled_out_give_bit_identical_results() {
    // ka_defaults.toml uses none of the new fields; ka_defaults_explicit.toml writes each at its
    // documented default (pulled_fraction 0.3, fix 2 days, site staging, constant crews, no
    // ramp, commissioning, lead, transit or pod test).
    let args = ["--no-charts", "--cost-trials", "100"];
    let implicit = run_cli(&fixture("valid/ka_defaults.toml"), &args);
    let explicit = run_cli(&fixture("valid/ka_defaults_explicit.toml"), &args);
    assert!(
        implicit.summary_bytes == explicit.summary_bytes,
        "summary.json differs:\n{}\n---\n{}",
        String::from_utf8_lossy(&implicit.summary_bytes),
        String::from_utf8_lossy(&explicit.summary_bytes)
    );
    assert!(
        implicit.daily_bytes == explicit.daily_bytes,
        "daily.csv differs"
    );
    // The scenario is not degenerate: the target is uncertain and the defaults matter. Pulling
    // every failed rack (the old behaviour) or one fleet pool changes the answer.
    let p = json_f64(&implicit.summary, "/p_target_by_deadline/estimate");
    assert!((0.1..0.95).contains(&p), "P(target) = {p}");
    for set in ["bring_up.pulled_fraction=1", "allocation.staging=pool"] {
        let mut a = args.to_vec();
        a.extend(["--set", set]);
        let other = run_cli(&fixture("valid/ka_defaults_explicit.toml"), &a);
        assert!(
            other.summary_bytes != implicit.summary_bytes,
            "`{set}` should change the results"
        );
    }
}

#[test]
fn constraint_costs_do_not_depend_on_threads_or_batches() {
    // A random scenario with two sites, failures, rework and phase delays; plus transit, pods
    // and a power ramp so that every new generator takes part.
    let s = scenario(
        "ka_defaults",
        &[
            "supply.main.transit_days={ kind = \"uniform\", min = 0, max = 6 }",
            "sites.north.pod_racks=4",
            "sites.north.pod_acceptance_days={ kind = \"uniform\", min = 0, max = 3 }",
            "sites.south.phases.0.ramp_days=7",
        ],
    );
    let model = Model::compile(&s).expect("compiles");
    let costs = |threads: usize, batch_size: u64| {
        let cfg = EngineConfig {
            trials: 150,
            first_trial: 0,
            seed: 3,
            threads,
            batch_size,
        };
        constraint_costs(&model, &cfg, &|_| {}).expect("constraint costs")
    };
    let one = costs(1, EngineConfig::DEFAULT_BATCH_SIZE);
    assert_eq!(one, costs(2, EngineConfig::DEFAULT_BATCH_SIZE));
    assert_eq!(one, costs(2, 7));
    // Not vacuous: something costs something.
    assert!(
        one.costs
            .iter()
            .any(|c| c.online_gpus_at_deadline_gain.estimate > 0.0),
        "{one:?}"
    );
}
