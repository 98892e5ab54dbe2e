//! Paired statistics for comparing scenarios run with common random numbers.
//!
//! Trial `i` of every scenario in a comparison draws the same random numbers for the inputs the
//! scenarios share, so the per-trial differences `d_i = b_i − a_i` (scenario minus baseline)
//! remove the luck both trials had in common. Every interval here is a 95% interval for the
//! difference *scenario − baseline*.
//!
//! - [`paired_mean_diff`]: mean of `d_i` ± 1.96 · sd(d) / √n (sample sd, n − 1 denominator). For a
//!   0/1 outcome (met the target or not) `d_i ∈ {−1, 0, 1}` and this is the Wald interval for a
//!   difference of paired proportions. When every pair is concordant (all `d_i` equal) the sd is
//!   exactly 0 and the interval is exactly `[mean, mean]`, e.g. `[0, 0]` for a scenario compared
//!   with itself.
//! - [`newcombe_diff`]: the interval one would report if the two runs were *independent*
//!   (Newcombe's hybrid score interval, method 10 of Newcombe 1998), for contrast.
//! - [`unpaired_mean_diff`]: the Welch-style interval for a difference of means of two
//!   independent samples, for contrast.
//! - [`PairedComparison`]: all of the above from the compact per-trial records of two runs.

use serde::{Deserialize, Serialize};

use super::quantile::{type7, wilson95};

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// What a comparison keeps of each trial: 16 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrialRecord {
    /// Available GPUs at the end of the deadline day.
    pub available_gpus_at_deadline: u64,
    /// First day (index from the start) with online GPUs ≥ target; [`TrialRecord::NEVER`] if none
    /// within the horizon.
    pub full_capacity_day: u32,
    /// Whether the target was met on or before the deadline.
    pub met_by_deadline: bool,
}

impl TrialRecord {
    /// `full_capacity_day` of a trial that never reaches the target within the horizon.
    pub const NEVER: u32 = u32::MAX;

    /// A record from a trial's outcome; `deadline_day` is the deadline's day index.
    pub fn new(
        full_capacity_day: Option<u32>,
        available_gpus_at_deadline: u64,
        deadline_day: usize,
    ) -> Self {
        TrialRecord {
            available_gpus_at_deadline,
            full_capacity_day: full_capacity_day.unwrap_or(Self::NEVER),
            met_by_deadline: full_capacity_day.is_some_and(|d| d as usize <= deadline_day),
        }
    }

    /// The full-capacity day, if the trial reached the target within the horizon.
    pub fn reached(&self) -> Option<u32> {
        (self.full_capacity_day != Self::NEVER).then_some(self.full_capacity_day)
    }
}

/// A difference with a 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    /// Point estimate (scenario − baseline).
    pub estimate: f64,
    /// Lower end of the 95% interval.
    pub ci95_low: f64,
    /// Upper end of the 95% interval.
    pub ci95_high: f64,
}

impl Difference {
    /// Width of the interval.
    pub fn width(&self) -> f64 {
        self.ci95_high - self.ci95_low
    }
}

/// Mean of the paired differences `d_i` with the normal-approximation 95% interval
/// mean ± 1.96 · sd / √n (sample sd). With fewer than two values, or all values equal, the interval
/// is the point (exactly). Empty input gives 0 with an interval of [0, 0].
pub fn paired_mean_diff(d: &[f64]) -> Difference {
    let n = d.len();
    if n == 0 {
        return Difference {
            estimate: 0.0,
            ci95_low: 0.0,
            ci95_high: 0.0,
        };
    }
    let mean = d.iter().sum::<f64>() / n as f64;
    if n < 2 || d.iter().all(|&x| x == d[0]) {
        // Exact: no discordant pairs (or a single pair) means no spread to estimate.
        let v = d[0];
        return Difference {
            estimate: v,
            ci95_low: v,
            ci95_high: v,
        };
    }
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = Z95 * (var / n as f64).sqrt();
    Difference {
        estimate: mean,
        ci95_low: mean - half,
        ci95_high: mean + half,
    }
}

/// Welch-style 95% interval for `mean(b) − mean(a)` treating `a` and `b` as independent samples:
/// difference ± 1.96 · √(var(a)/n_a + var(b)/n_b).
pub fn unpaired_mean_diff(a: &[f64], b: &[f64]) -> Difference {
    let stats = |x: &[f64]| -> (f64, f64) {
        let n = x.len();
        if n == 0 {
            return (0.0, 0.0);
        }
        let mean = x.iter().sum::<f64>() / n as f64;
        let var = if n < 2 {
            0.0
        } else {
            x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
        };
        (mean, var / n as f64)
    };
    let (ma, va) = stats(a);
    let (mb, vb) = stats(b);
    let est = mb - ma;
    let half = Z95 * (va + vb).sqrt();
    Difference {
        estimate: est,
        ci95_low: est - half,
        ci95_high: est + half,
    }
}

/// Newcombe's hybrid score interval (Newcombe 1998, *Statistics in Medicine* 17, method 10) for
/// `p_b − p_a` of two **independent** proportions `x_a / n_a` and `x_b / n_b`, built from their
/// 95% Wilson intervals.
pub fn newcombe_diff(x_a: u64, n_a: u64, x_b: u64, n_b: u64) -> Difference {
    let p = |x: u64, n: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
    let (pa, pb) = (p(x_a, n_a), p(x_b, n_b));
    let (la, ua) = wilson95(x_a, n_a);
    let (lb, ub) = wilson95(x_b, n_b);
    let d = pb - pa;
    Difference {
        estimate: d,
        ci95_low: d - ((pb - lb).powi(2) + (ua - pa).powi(2)).sqrt(),
        ci95_high: d + ((ub - pb).powi(2) + (pa - la).powi(2)).sqrt(),
    }
}

/// The paired difference in P(target by deadline).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TargetDifference {
    /// `P_scenario − P_baseline`.
    pub estimate: f64,
    /// Paired 95% interval (from the per-trial differences).
    pub paired_ci95_low: f64,
    /// Paired 95% interval, upper end.
    pub paired_ci95_high: f64,
    /// Unpaired 95% interval (Newcombe's hybrid score interval), for contrast.
    pub unpaired_ci95_low: f64,
    /// Unpaired 95% interval, upper end.
    pub unpaired_ci95_high: f64,
    /// Share of trials where only the scenario meets the target.
    pub only_scenario_fraction: f64,
    /// Share of trials where only the baseline meets the target.
    pub only_baseline_fraction: f64,
}

/// The paired difference in the full-capacity day.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FullCapacityDifference {
    /// Median over trials where both reach the target of (scenario day − baseline day); `None`
    /// when no trial reaches it in both.
    pub median_days: Option<f64>,
    /// Share of trials where both reach the target within the horizon.
    pub both_fraction: f64,
    /// Share where only the scenario reaches it.
    pub only_scenario_fraction: f64,
    /// Share where only the baseline reaches it.
    pub only_baseline_fraction: f64,
    /// Share where neither does.
    pub neither_fraction: f64,
}

/// The paired difference in mean available GPUs at the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MeanDifference {
    /// `mean_scenario − mean_baseline`.
    pub estimate: f64,
    /// Paired 95% interval.
    pub paired_ci95_low: f64,
    /// Paired 95% interval, upper end.
    pub paired_ci95_high: f64,
    /// Unpaired (Welch-style) 95% interval, for contrast.
    pub unpaired_ci95_low: f64,
    /// Unpaired 95% interval, upper end.
    pub unpaired_ci95_high: f64,
}

/// Everything the comparison of one scenario with the baseline reports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    /// Trials paired.
    pub trials: u64,
    /// Difference in P(target by deadline).
    pub p_target_by_deadline: TargetDifference,
    /// Difference in the full-capacity day.
    pub full_capacity_days: FullCapacityDifference,
    /// Difference in available GPUs at the deadline.
    pub available_gpus_at_deadline: MeanDifference,
}

impl PairedComparison {
    /// Compares `scenario` with `baseline`, trial by trial. Both must hold the same trials in the
    /// same order (panics otherwise).
    pub fn new(baseline: &[TrialRecord], scenario: &[TrialRecord]) -> Self {
        assert_eq!(
            baseline.len(),
            scenario.len(),
            "paired runs must have the same trials"
        );
        let n = baseline.len();
        let frac = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
        let pairs = || baseline.iter().zip(scenario);

        let d_met: Vec<f64> = pairs()
            .map(|(a, b)| {
                f64::from(u8::from(b.met_by_deadline)) - f64::from(u8::from(a.met_by_deadline))
            })
            .collect();
        let paired = paired_mean_diff(&d_met);
        let met_a = baseline.iter().filter(|r| r.met_by_deadline).count() as u64;
        let met_b = scenario.iter().filter(|r| r.met_by_deadline).count() as u64;
        let unpaired = newcombe_diff(met_a, n as u64, met_b, n as u64);

        let mut day_diffs: Vec<i64> = Vec::new();
        let (mut only_a, mut only_b, mut neither) = (0, 0, 0);
        for (a, b) in pairs() {
            match (a.reached(), b.reached()) {
                (Some(x), Some(y)) => day_diffs.push(i64::from(y) - i64::from(x)),
                (Some(_), None) => only_a += 1,
                (None, Some(_)) => only_b += 1,
                (None, None) => neither += 1,
            }
        }
        day_diffs.sort_unstable();
        let median_days = (!day_diffs.is_empty()).then(|| {
            type7(0.5, day_diffs.len() as u64, |k| {
                day_diffs[k as usize] as f64
            })
        });

        let avail_a: Vec<f64> = baseline
            .iter()
            .map(|r| r.available_gpus_at_deadline as f64)
            .collect();
        let avail_b: Vec<f64> = scenario
            .iter()
            .map(|r| r.available_gpus_at_deadline as f64)
            .collect();
        let d_avail: Vec<f64> = avail_a.iter().zip(&avail_b).map(|(a, b)| b - a).collect();
        let pa = paired_mean_diff(&d_avail);
        let ua = unpaired_mean_diff(&avail_a, &avail_b);

        PairedComparison {
            trials: n as u64,
            p_target_by_deadline: TargetDifference {
                estimate: paired.estimate,
                paired_ci95_low: paired.ci95_low,
                paired_ci95_high: paired.ci95_high,
                unpaired_ci95_low: unpaired.ci95_low,
                unpaired_ci95_high: unpaired.ci95_high,
                only_scenario_fraction: frac(d_met.iter().filter(|&&d| d > 0.0).count()),
                only_baseline_fraction: frac(d_met.iter().filter(|&&d| d < 0.0).count()),
            },
            full_capacity_days: FullCapacityDifference {
                median_days,
                both_fraction: frac(day_diffs.len()),
                only_scenario_fraction: frac(only_b),
                only_baseline_fraction: frac(only_a),
                neither_fraction: frac(neither),
            },
            available_gpus_at_deadline: MeanDifference {
                estimate: pa.estimate,
                paired_ci95_low: pa.ci95_low,
                paired_ci95_high: pa.ci95_high,
                unpaired_ci95_low: ua.ci95_low,
                unpaired_ci95_high: ua.ci95_high,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn record_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<TrialRecord>(), 16);
    }

    #[test]
    fn record_scores_the_deadline_inclusively() {
        assert!(TrialRecord::new(Some(10), 0, 10).met_by_deadline);
        assert!(!TrialRecord::new(Some(11), 0, 10).met_by_deadline);
        assert!(!TrialRecord::new(None, 0, 10).met_by_deadline);
        assert_eq!(TrialRecord::new(None, 0, 10).reached(), None);
    }

    #[test]
    fn paired_mean_of_hand_computed_differences() {
        // d = [1, 0, 0, -1, 1]: mean 0.2; sample variance = (0.64+0.04+0.04+1.44+0.64)/4 = 0.7;
        // half-width = 1.959964 · √(0.7/5) = 1.959964 · 0.374166 = 0.733353.
        let d = paired_mean_diff(&[1.0, 0.0, 0.0, -1.0, 1.0]);
        assert!(close(d.estimate, 0.2, 1e-12));
        assert!(close(d.ci95_low, 0.2 - 0.733353, 1e-5), "{d:?}");
        assert!(close(d.ci95_high, 0.2 + 0.733353, 1e-5), "{d:?}");
    }

    #[test]
    fn concordant_pairs_give_an_exact_point_interval() {
        let d = paired_mean_diff(&[0.0; 100]);
        assert_eq!((d.estimate, d.ci95_low, d.ci95_high), (0.0, 0.0, 0.0));
        let d = paired_mean_diff(&[3.0; 7]);
        assert_eq!((d.estimate, d.ci95_low, d.ci95_high), (3.0, 3.0, 3.0));
        let d = paired_mean_diff(&[]);
        assert_eq!(d.width(), 0.0);
    }

    #[test]
    fn newcombe_matches_the_published_example() {
        // Newcombe (1998), Table II example (b): 56/70 vs 48/80, difference 0.2000,
        // method 10 interval 0.0524 to 0.3339. Here the difference is b − a, so swap.
        let d = newcombe_diff(48, 80, 56, 70);
        assert!(close(d.estimate, 0.2, 1e-12));
        assert!(close(d.ci95_low, 0.0524, 1e-4), "{d:?}");
        assert!(close(d.ci95_high, 0.3339, 1e-4), "{d:?}");
    }

    #[test]
    fn unpaired_mean_of_hand_computed_samples() {
        // a = [1, 3]: mean 2, var 2; b = [4, 6]: mean 5, var 2; se = √(2/2 + 2/2) = √2.
        let d = unpaired_mean_diff(&[1.0, 3.0], &[4.0, 6.0]);
        assert!(close(d.estimate, 3.0, 1e-12));
        assert!(close(d.ci95_high - 3.0, Z95 * 2f64.sqrt(), 1e-12));
    }

    fn rec(day: Option<u32>, avail: u64) -> TrialRecord {
        TrialRecord::new(day, avail, 10)
    }

    #[test]
    fn comparison_of_hand_built_records() {
        let base = [
            rec(Some(5), 100),
            rec(Some(9), 90),
            rec(Some(12), 80),
            rec(None, 50),
        ];
        let scen = [
            rec(Some(8), 90),   // both met; +3 days; −10 GPUs
            rec(Some(12), 80),  // only baseline met; +3 days
            rec(Some(10), 100), // only scenario met; −2 days
            rec(Some(20), 60),  // only scenario reaches the target at all
        ];
        let c = PairedComparison::new(&base, &scen);
        assert_eq!(c.trials, 4);
        let p = c.p_target_by_deadline;
        // met: base [1,1,0,0], scen [1,0,1,0] → d = [0,−1,1,0], mean 0.
        assert_eq!(p.estimate, 0.0);
        assert_eq!(p.only_scenario_fraction, 0.25);
        assert_eq!(p.only_baseline_fraction, 0.25);
        // var = 2/3, half = 1.959964 · √(2/3 / 4) = 0.800152.
        assert!(close(p.paired_ci95_high, 0.800152, 1e-5), "{p:?}");
        let f = c.full_capacity_days;
        // diffs over both-reached trials: [3, 3, −2] → median 3.
        assert_eq!(f.median_days, Some(3.0));
        assert_eq!(f.both_fraction, 0.75);
        assert_eq!(f.only_scenario_fraction, 0.25);
        assert_eq!(f.only_baseline_fraction, 0.0);
        assert_eq!(f.neither_fraction, 0.0);
        // GPUs: d = [−10, −10, 20, 10] → mean 2.5.
        assert_eq!(c.available_gpus_at_deadline.estimate, 2.5);
    }

    #[test]
    fn comparing_records_with_themselves_is_exactly_zero() {
        let base: Vec<TrialRecord> = (0..50)
            .map(|i| rec((i % 3 != 0).then_some(i), u64::from(i) * 7))
            .collect();
        let c = PairedComparison::new(&base, &base);
        let p = c.p_target_by_deadline;
        assert_eq!(
            (p.estimate, p.paired_ci95_low, p.paired_ci95_high),
            (0.0, 0.0, 0.0)
        );
        assert!(p.unpaired_ci95_high > 0.1);
        assert_eq!(c.full_capacity_days.median_days, Some(0.0));
        let a = c.available_gpus_at_deadline;
        assert_eq!(
            (a.estimate, a.paired_ci95_low, a.paired_ci95_high),
            (0.0, 0.0, 0.0)
        );
    }
}
