//! `capsim validate` counts regional and fleet power caps in the most GPUs a plan can host by the
//! deadline, and warns, naming the cap and the numbers, when a cap makes the target unreachable.
//! The numbers of `valid/capped_region.toml` are worked out in its header.

use capsim::scenario::{BindingCap, Scenario};
use predicates::prelude::*;
use predicates::str::contains;

use crate::util::{capsim, fixture, json_at, json_f64, load, run_cli};

const CAPPED: &str = "valid/capped_region.toml";

/// The warning `validate` and `run` give for the capped fixture.
const CAP_WARNING: &str = "regional cap `east-grid` (12 MW facility, region `east`) limits the plan to 1,180 GPUs by 2026-06-30, below the target of 1,300 (planned power and floor space alone would host 1,450)";

/// The figure as `capsim validate` computed it before power caps counted: for each site, whole
/// racks of its most GPU-dense accepted type in the power of the phases planned by `by` (every
/// phase when `None`) after PUE, capped by floor space.
fn power_and_floor_only(s: &Scenario, by: Option<jiff::civil::Date>) -> f64 {
    s.sites
        .iter()
        .map(|site| {
            let a = site
                .accepts
                .iter()
                .map(|&a| &s.accelerators[a])
                .max_by(|x, y| {
                    (f64::from(x.gpus_per_rack) / x.rack_it_kw)
                        .total_cmp(&(f64::from(y.gpus_per_rack) / y.rack_it_kw))
                })
                .expect("a site accepts a rack type");
            let mw: f64 = site
                .phases
                .iter()
                .filter(|p| by.is_none_or(|d| p.planned <= d))
                .map(|p| p.mw * site.power_scale)
                .sum();
            let racks = (mw * 1000.0 / site.pue / a.rack_it_kw).floor();
            let racks = site.max_racks.map_or(racks, |m| racks.min(m as f64));
            racks * f64::from(a.gpus_per_rack)
        })
        .sum()
}

#[test]
fn a_binding_regional_cap_lowers_the_figure_to_the_hand_computed_value() {
    let s = load(CAPPED);
    let f = s.figures();
    // By the deadline: west 25 racks + east-a 80 racks (10,000 of the cap's 12,000 kW) + east-b
    // 2,000 kW / 150 kW = 13 racks: 118 racks = 1,180 GPUs; without the cap 80 + 40 + 25 = 145.
    assert_eq!(f.max_gpus_hosted_by_deadline, 1180.0);
    assert_eq!(f.max_gpus_hosted_by_deadline_without_caps, 1450.0);
    assert_eq!(
        f.binding_caps_by_deadline,
        vec![BindingCap {
            limit: 0,
            id: "east-grid".into(),
            region: Some("east".into()),
            mw: 12.0,
            gpus: 930.0,
        }]
    );
    // Whole plan: the cap at 20 MW holds east-a's 160 racks and leaves east-b nothing: 25 + 160
    // racks = 1,850 GPUs (2,250 without the cap).
    assert_eq!(f.max_gpus_hosted, 1850.0);
    let whole = s.hosting_capacity(None);
    assert_eq!(whole.gpus, 1850.0);
    assert_eq!(whole.gpus_without_caps, 2250.0);
    assert_eq!(whole.binding_caps.len(), 1);
    assert_eq!(whole.binding_caps[0].mw, 20.0);
    // The whole plan can reach the target, so the only capacity warning is the deadline one.
    assert_eq!(s.warnings, [CAP_WARNING]);
}

#[test]
fn validate_prints_the_figure_and_names_the_binding_cap() {
    capsim()
        .arg("validate")
        .arg(fixture(CAPPED))
        .assert()
        .success()
        .stdout(contains(
            "most GPUs hostable by the deadline  1180 (held by power cap `east-grid`; 1450 without caps)",
        ))
        .stdout(contains("most GPUs power and floor can host  1850"))
        .stdout(contains(format!("# warning: {CAP_WARNING}")));
}

#[test]
fn validate_says_when_the_cap_holds_the_whole_plan_below_the_target() {
    capsim()
        .args(["validate", "--set", "scenario.target_gpus=2000"])
        .arg(fixture(CAPPED))
        .assert()
        .success()
        .stdout(contains(
            "# warning: the target of 2,000 GPUs can never be reached: regional cap `east-grid` (20 MW facility, region `east`) limits the whole plan to 1,850 GPUs (all planned power, 29 MW facility, and floor space alone would host 2,250)",
        ));
}

#[test]
fn validate_warns_without_naming_a_cap_when_power_and_floor_bind() {
    // With the cap raised out of the way, 1,450 GPUs fit by the deadline: short of 1,460.
    capsim()
        .args([
            "validate",
            "--set",
            "scenario.target_gpus=1460",
            "--set",
            "power_limits.east-grid.mw=100",
        ])
        .arg(fixture(CAPPED))
        .assert()
        .success()
        .stdout(contains("most GPUs hostable by the deadline  1450\n"))
        .stdout(contains(
            "# warning: the power planned by the deadline 2026-06-30 (19 MW facility) and floor space host at most 1,450 GPUs, below the target of 1,460",
        ))
        .stdout(contains("regional cap").not());
}

#[test]
fn a_run_carries_the_warning_and_stays_within_the_figure() {
    let out = run_cli(&fixture(CAPPED), &["--trials", "20", "--no-charts"]);
    assert_eq!(json_at(&out.summary, "/warnings")[0], CAP_WARNING);
    assert_eq!(
        json_f64(&out.summary, "/p_target_by_deadline/estimate"),
        0.0
    );
    assert!(json_f64(&out.summary, "/available_gpus_at_deadline/p90") <= 1180.0);
}

#[test]
fn without_caps_the_figures_are_power_and_floor_as_before() {
    for rel in [
        "valid/tiny.toml",
        "valid/crew_limited.toml",
        "valid/power_limited.toml",
        "valid/one_phase_delay.toml",
        "valid/lognormal_noise.toml",
        "valid/coin_flip_delay.toml",
        CAPPED,
    ] {
        let mut s = load(rel);
        s.power_limits.clear();
        let f = s.figures();
        assert_eq!(f.max_gpus_hosted, power_and_floor_only(&s, None), "{rel}");
        assert_eq!(
            f.max_gpus_hosted_by_deadline,
            power_and_floor_only(&s, Some(s.deadline)),
            "{rel}"
        );
        assert_eq!(
            f.max_gpus_hosted_by_deadline, f.max_gpus_hosted_by_deadline_without_caps,
            "{rel}"
        );
        assert!(f.binding_caps_by_deadline.is_empty(), "{rel}");
    }
    // tiny's cap (8 MW, 14 MW from 2026-03-02) never binds: alpha draws 100 racks x 120 kW =
    // 12 MW. alpha 10 MW IT = 100 racks, beta 10 / 1.1 = 9.09 MW IT = 90 racks: 1,900 GPUs.
    let f = load("valid/tiny.toml").figures();
    assert_eq!(f.max_gpus_hosted_by_deadline, 1900.0);
    assert!(f.binding_caps_by_deadline.is_empty());
    capsim()
        .arg("validate")
        .arg(fixture("valid/tiny.toml"))
        .assert()
        .success()
        .stdout(contains("most GPUs hostable by the deadline  1900\n"))
        .stdout(contains("held by power cap").not());
}
