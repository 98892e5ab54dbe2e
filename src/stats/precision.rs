//! Precision targets: how wide the run's key intervals are, and how many trials would make them
//! narrow enough. Used by `capsim run --precision` to add trials until a target is met.

use serde::Serialize;

use super::accumulator::Accumulator;
use super::quantile::wilson95;

/// Half-widths the run should reach; `None` means no target for that figure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecisionTarget {
    /// Largest acceptable half-width of the 95% interval of P(target by deadline).
    pub p_target_half_width: Option<f64>,
    /// Largest acceptable half-width, in days, of the 95% interval of the median
    /// full-capacity day.
    pub median_day_half_width: Option<f64>,
}

/// Where a run stands against its [`PrecisionTarget`]; written into `summary.json`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct PrecisionReport {
    /// The requested half-width for P(target by deadline), if any.
    pub p_target_half_width_target: Option<f64>,
    /// The half-width reached: (Wilson high − Wilson low) / 2.
    pub p_target_half_width: f64,
    /// The requested half-width for the median full-capacity day, days, if any.
    pub median_day_half_width_target: Option<f64>,
    /// The half-width reached, days; `null` when the interval reaches past the horizon (too many
    /// trials never reach the target).
    pub median_day_half_width: Option<f64>,
    /// Whether every requested target is met.
    pub met: bool,
    /// Trials used.
    pub trials: u64,
}

/// The distribution-free 95% interval of the median full-capacity day, from order statistics:
/// ranks n/2 ∓ 0.98·√n (normal approximation to the binomial, Conover 1999, §3.2). Trials that
/// never reach the target sort last; `None` when the upper rank falls among them.
fn median_day_interval(acc: &Accumulator) -> Option<(f64, f64)> {
    let n = acc.trials() as f64;
    if n == 0.0 {
        return None;
    }
    let spread = 0.98 * n.sqrt();
    let lower = (n / 2.0 - spread).floor().max(0.0) as u64;
    let upper = ((n / 2.0 + spread).ceil() as u64).min(acc.trials() - 1);
    let days = acc.full_capacity_day();
    let lo = days.order_statistic(lower)?;
    let hi = days.order_statistic(upper)?;
    Some((lo as f64, hi as f64))
}

/// Measures `acc` against `target`.
pub fn assess(acc: &Accumulator, target: &PrecisionTarget) -> PrecisionReport {
    let (lo, hi) = wilson95(acc.met_by_deadline(), acc.trials());
    let p_half = (hi - lo) / 2.0;
    let median_half = median_day_interval(acc).map(|(lo, hi)| (hi - lo) / 2.0);
    let p_ok = target.p_target_half_width.is_none_or(|t| p_half <= t);
    let median_ok = target
        .median_day_half_width
        .is_none_or(|t| median_half.is_some_and(|h| h <= t));
    PrecisionReport {
        p_target_half_width_target: target.p_target_half_width,
        p_target_half_width: p_half,
        median_day_half_width_target: target.median_day_half_width,
        median_day_half_width: median_half,
        met: p_ok && median_ok,
        trials: acc.trials(),
    }
}

/// Total trials likely to meet `target`, given where `report` stands: interval half-widths
/// shrink as 1/√n, so n grows by (reached / wanted)², with 10% to spare. Grows by at least a
/// quarter per step so that a run converges in a few steps, and never beyond `max_trials`.
pub fn trials_needed(report: &PrecisionReport, max_trials: u64) -> u64 {
    let n = report.trials as f64;
    let mut factor: f64 = 1.25;
    if let Some(t) = report.p_target_half_width_target {
        factor = factor.max((report.p_target_half_width / t).powi(2) * 1.1);
    }
    if let Some(t) = report.median_day_half_width_target {
        match report.median_day_half_width {
            Some(h) => factor = factor.max((h / t).powi(2) * 1.1),
            None => factor = factor.max(2.0),
        }
    }
    // Round up to a multiple of 1,000 trials so the schedule is easy to read back.
    let wanted = ((n * factor) / 1000.0).ceil() * 1000.0;
    (wanted as u64).clamp(report.trials + 1, max_trials.max(report.trials))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(p_half: f64, target: f64, trials: u64) -> PrecisionReport {
        PrecisionReport {
            p_target_half_width_target: Some(target),
            p_target_half_width: p_half,
            median_day_half_width_target: None,
            median_day_half_width: None,
            met: p_half <= target,
            trials,
        }
    }

    #[test]
    fn trials_scale_with_the_square_of_the_width_ratio() {
        // Twice too wide: four times the trials, plus 10%.
        assert_eq!(
            trials_needed(&report(0.01, 0.005, 10_000), 1_000_000),
            44_000
        );
        // Nearly there: at least a quarter more.
        assert_eq!(
            trials_needed(&report(0.0051, 0.005, 10_000), 1_000_000),
            13_000
        );
        // Never past the cap.
        assert_eq!(trials_needed(&report(0.1, 0.001, 10_000), 50_000), 50_000);
    }
}
