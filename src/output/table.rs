//! The compact terminal table printed after a run.

use std::fmt::Write;

use crate::numeric::thousands;
use crate::stats::{Bottleneck, ConstraintCosts, IdleByCause, Money, Summary, UsdDistribution};

/// A share as a percentage with one decimal: `0.504` → `50.4%`.
pub fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// How the terminal names a cause of missing GPUs.
fn cause_label(b: Bottleneck) -> &'static str {
    match b {
        Bottleneck::BringUp => "bring-up",
        other => other.name(),
    }
}

/// US dollars, short: `$18.62 bn`, `$412.5 M`, `$950,000`.
fn usd(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("${:.2} bn", v / 1e9)
    } else if v.abs() >= 1e6 {
        format!("${:.1} M", v / 1e6)
    } else {
        format!("${}", thousands(v))
    }
}

/// The money lines: capital deployed and idle inventory at the deadline, and where the idle
/// dollar-days up to the deadline were; one line saying why when no rack type has a price.
fn render_money(m: &Money) -> String {
    let mut t = String::new();
    if m.prices.iter().all(|p| p.price_per_rack_usd.is_none()) {
        let _ = writeln!(
            t,
            "  {:<31}no rack type has a price_per_rack_usd",
            "Capital deployed"
        );
        return t;
    }
    let spread = |d: &UsdDistribution| {
        format!(
            "mean {}   P10 {}   P50 {}   P90 {}",
            usd(d.mean),
            usd(d.p10),
            usd(d.p50),
            usd(d.p90)
        )
    };
    let days = &m.usd_days_idle_to_deadline;
    let total: f64 = IdleByCause::CAUSES.iter().map(|&b| days.get(b)).sum();
    let shares = IdleByCause::CAUSES
        .iter()
        .map(|&b| {
            let share = if total > 0.0 {
                days.get(b) / total
            } else {
                0.0
            };
            format!("{} {}", cause_label(b), percent(share))
        })
        .collect::<Vec<_>>()
        .join("   ");
    let mostly = match days.largest() {
        Some(b) => format!(": mostly {}", idle_label(b)),
        None => String::new(),
    };
    let rows = [
        (
            "Capital deployed at deadline".to_string(),
            spread(&m.capital_deployed_at_deadline_usd),
        ),
        (
            "Idle inventory at deadline".to_string(),
            spread(&m.idle_inventory_at_deadline_usd),
        ),
        (
            "Idle dollar-days to deadline".to_string(),
            format!("{shares}{mostly}"),
        ),
    ];
    for (label, value) in rows {
        let _ = writeln!(t, "  {label:<31}{value}");
    }
    for note in &m.notes {
        let _ = writeln!(t, "  note: {note}");
    }
    t
}

/// What idle racks held by `b` are doing, for "mostly …".
fn idle_label(b: Bottleneck) -> &'static str {
    match b {
        Bottleneck::Power => "waiting for power",
        Bottleneck::Install => "waiting for install crews",
        Bottleneck::Space => "waiting for floor space",
        Bottleneck::BringUp => "in bring-up",
        Bottleneck::Supply => "not delivered",
    }
}

/// Signed percentage points: `0.123` → `+12.3 pts`; a value that rounds to zero is `+0.0`.
fn points(v: f64) -> String {
    let p = v * 100.0;
    let p = if p.abs() < 0.05 { 0.0 } else { p };
    format!("{p:+.1} pts")
}

/// The constraint-cost lines: one per class, largest gain in P(target) first.
fn render_costs(c: &ConstraintCosts, run_trials: u64) -> String {
    let mut t = String::new();
    let subset = if c.trials < run_trials {
        format!("first {} of the trials", thousands(c.trials as f64))
    } else {
        format!("all {} trials", thousands(c.trials as f64))
    };
    let _ = writeln!(
        t,
        "  {:<31}lift one class at a time, same draws ({subset}, baseline P {}):",
        "What each constraint costs",
        percent(c.p_target_baseline)
    );
    for cost in c.ranked() {
        let g = &cost.p_target_gain;
        let days = match cost.median_full_capacity_days_earlier {
            Some(d) if d.round() == 1.0 => "median full capacity 1 day earlier".to_string(),
            Some(d) if d.round() == -1.0 => "median full capacity 1 day later".to_string(),
            Some(d) if d < 0.0 => format!("median full capacity {:.0} days later", -d),
            Some(d) => format!("median full capacity {d:.0} days earlier"),
            None => "median full capacity not reached in one of the two".to_string(),
        };
        let gpus = &cost.online_gpus_at_deadline_gain;
        let _ = writeln!(
            t,
            "    {:<29}P(target) {} (95% CI {} to {}) · {days} · {} GPUs at deadline",
            cost.constraint.replace('_', "-"),
            points(g.estimate),
            points(g.ci95_low).trim_end_matches(" pts"),
            points(g.ci95_high),
            format_args!(
                "{}{}",
                if gpus.estimate >= 0.0 { "+" } else { "" },
                thousands(gpus.estimate)
            )
        );
    }
    t
}

/// Renders the run's headline figures and one line per site.
pub fn render_table(s: &Summary) -> String {
    let mut t = String::new();
    let p = &s.p_target_by_deadline;
    let f = &s.full_capacity_date;
    let a = &s.available_gpus_at_deadline;
    let b = &s.bottleneck_share;
    let m = &s.shortfall_at_deadline;
    let date = |d: &Option<String>| d.clone().unwrap_or_else(|| "not reached".into());
    let _ = writeln!(
        t,
        "{} · {} trials · seed {}\n",
        s.scenario,
        thousands(s.trials as f64),
        s.seed
    );
    let _ = writeln!(
        t,
        "Target: {} GPUs online by {}",
        thousands(s.target_gpus as f64),
        s.deadline
    );
    let rows = [
        (
            "P(target by deadline)",
            format!(
                "{}   (95% CI {} – {})",
                percent(p.estimate),
                percent(p.ci95_low),
                percent(p.ci95_high)
            ),
        ),
        (
            "Full-capacity date",
            format!(
                "P10 {}   P50 {}   P90 {}   never by {}: {}",
                date(&f.p10),
                date(&f.p50),
                date(&f.p90),
                s.horizon,
                percent(f.never_fraction)
            ),
        ),
        (
            "GPUs available at deadline",
            format!(
                "mean {}   P10 {}   P50 {}   P90 {}",
                thousands(a.mean),
                thousands(a.p10),
                thousands(a.p50),
                thousands(a.p90)
            ),
        ),
        (
            "Missing at deadline (mean)",
            format!(
                "{} GPUs: {}",
                thousands(m.total),
                Bottleneck::ALL
                    .iter()
                    .map(|&k| format!("{} {}", cause_label(k), thousands(m.get(k))))
                    .collect::<Vec<_>>()
                    .join("   ")
            ),
        ),
        (
            "Missing GPU-days to deadline",
            Bottleneck::ALL
                .iter()
                .map(|&k| format!("{} {}", cause_label(k), percent(b.get(k))))
                .collect::<Vec<_>>()
                .join("   "),
        ),
    ];
    for (label, value) in rows {
        let _ = writeln!(t, "  {label:<31}{value}");
    }
    t.push_str(&render_money(&s.money));
    if let Some(c) = &s.constraint_costs {
        t.push_str(&render_costs(c, s.trials));
    }
    let id_w = s.sites.iter().map(|x| x.id.len()).max().unwrap_or(4).max(4);
    let region_w = s
        .sites
        .iter()
        .map(|x| x.region.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let _ = writeln!(
        t,
        "\n  {:<id_w$}  {:<region_w$}  {:>9}  {:>14}  median energized per phase",
        "site", "region", "MW", "racks@deadline"
    );
    for site in &s.sites {
        let mw: f64 = site.phases.iter().map(|p| p.mw).sum();
        let energized: Vec<&str> = site
            .phases
            .iter()
            .map(|p| p.median_energized.as_str())
            .collect();
        let _ = writeln!(
            t,
            "  {:<id_w$}  {:<region_w$}  {:>9}  {:>14}  {}",
            site.id,
            site.region,
            thousands(mw),
            thousands(site.median_racks_online_at_deadline),
            energized.join(", ")
        );
    }
    for w in &s.warnings {
        let _ = writeln!(t, "\n  warning: {w}");
    }
    t
}
