//! `DayDist`: the exact distribution of an input that the model uses in whole days.
//!
//! Delays, slips, burn-in and rework times are drawn as real numbers in the scenario but used
//! rounded half up to whole days, K = ⌊X + ½⌋. Sampling K directly from its own law,
//! P(K <= k) = P(X < k + ½), costs one uniform draw and a binary search, instead of a rejection
//! sampler per draw (a PERT draw goes through two Gamma variates). The table is built once per
//! run from the exact CDF ([`super::cdf`]); tails beyond 1e-15 are folded into the end days, and
//! so is any mass beyond ±[`MAX_DAYS_DRAWN`] days (which `validate` refuses): a table has at most
//! 2 × 7,320 + 1 entries whatever the spec, and a huge draw lands on the last day of the table
//! instead of wrapping around.

use rand::RngExt;

use super::cdf::prob_below;
use crate::scenario::DistSpec;
use crate::scenario::limits::MAX_DAYS_DRAWN;

/// Probability mass left out of the table at each end.
const TAIL: f64 = 1e-15;
/// Buckets of the guide table that starts each draw's search.
const GUIDE: usize = 64;
// The guide table stores indices into a table of at most 2 × MAX_DAYS_DRAWN + 1 days as `u16`.
const _: () = assert!(2 * MAX_DAYS_DRAWN < u16::MAX as i64);

/// A distribution over whole days (or whole weeks).
#[derive(Debug, Clone, PartialEq)]
pub struct DayDist {
    first: i64,
    /// `cumulative[i]` = P(K <= first + i); the last entry is 1.
    cumulative: Vec<f64>,
    /// `guide[b]`: the first index whose cumulative probability exceeds b / 64. A draw u in
    /// [b / 64, (b + 1) / 64) scans forward from there, which finds the same index as a binary
    /// search over the whole table in one or two steps, with few mispredicted branches.
    guide: Vec<u16>,
}

impl DayDist {
    /// The law of ⌊X + ½⌋ for X distributed as `spec`.
    pub fn new(spec: &DistSpec) -> DayDist {
        let below = |k: i64| prob_below(spec, k as f64 + 0.5);
        let (lo, hi) = spec.support();
        // Whole days within the window; `as` saturates, and NaN (no spec has one) gives 0.
        let day = |x: f64| ((x + 0.5).floor() as i64).clamp(-MAX_DAYS_DRAWN, MAX_DAYS_DRAWN);
        let centre = day(spec.mean());
        let mut first = if lo.is_finite() { day(lo) } else { centre };
        while !lo.is_finite() && first > -MAX_DAYS_DRAWN && below(first - 1) > TAIL {
            first -= 1;
        }
        let mut last = if hi.is_finite() {
            day(hi)
        } else {
            centre.max(first)
        };
        while !hi.is_finite() && last < MAX_DAYS_DRAWN && below(last) < 1.0 - TAIL {
            last += 1;
        }
        let last = last.max(first);
        let mut cumulative: Vec<f64> = (first..last).map(|k| below(k).clamp(0.0, 1.0)).collect();
        cumulative.push(1.0);
        // Drop leading days of zero probability (a finite `lo` may round below the mass).
        let skip = cumulative.iter().take_while(|&&c| c <= 0.0).count();
        cumulative.drain(..skip.min(cumulative.len() - 1));
        first += skip as i64;
        // Enforce monotonicity against rounding in the CDF.
        for i in 1..cumulative.len() {
            if cumulative[i] < cumulative[i - 1] {
                cumulative[i] = cumulative[i - 1];
            }
        }
        let guide = (0..GUIDE)
            .map(|b| {
                let at = b as f64 / GUIDE as f64;
                cumulative.partition_point(|&c| c <= at) as u16
            })
            .collect();
        DayDist {
            first,
            cumulative,
            guide,
        }
    }

    /// Draws a whole number of days. A one-point law consumes no randomness.
    #[inline]
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> i64 {
        if self.cumulative.len() == 1 {
            return self.first;
        }
        let u: f64 = rng.random();
        self.first + self.index_of(u) as i64
    }

    /// The index of the day a uniform draw `u` in [0, 1) maps to: the first whose cumulative
    /// probability exceeds u (the last if rounding leaves none).
    #[inline]
    fn index_of(&self, u: f64) -> usize {
        let mut i = usize::from(self.guide[(u * GUIDE as f64) as usize]);
        let last = self.cumulative.len() - 1;
        while i < last && self.cumulative[i] <= u {
            i += 1;
        }
        i
    }

    /// P(K <= k).
    pub fn cdf(&self, k: i64) -> f64 {
        if k < self.first {
            return 0.0;
        }
        let i = (k - self.first) as usize;
        self.cumulative.get(i).copied().unwrap_or(1.0)
    }

    /// Draws K conditional on K > `k`, exactly, from one uniform u: the day of the uniform
    /// p₀ + u(1 − p₀) with p₀ = P(K <= k). When p₀ = 0 this is the same draw as
    /// [`DayDist::sample`] (paired with it); when nothing lies above `k` (p₀ = 1) it returns
    /// `k + 1`, the earliest day the condition allows. A one-point law consumes no randomness.
    pub fn sample_above<R: rand::Rng + ?Sized>(&self, rng: &mut R, k: i64) -> i64 {
        let p0 = self.cdf(k);
        if p0 >= 1.0 {
            if !self.is_fixed() {
                // Keep the generator's position as an unconditional draw would.
                let _: f64 = rng.random();
            }
            return k + 1;
        }
        if self.cumulative.len() == 1 {
            return self.first;
        }
        let u: f64 = rng.random();
        // p₀ + u(1 − p₀) < 1 exactly, but rounding may reach 1.
        let v = (p0 + u * (1.0 - p0)).min(1.0f64.next_down());
        (self.first + self.index_of(v) as i64).max(k + 1)
    }

    /// The day of probability `p` given K > `k`: [`DayDist::quantile`] of p₀ + p(1 − p₀) with
    /// p₀ = P(K <= k), and at least `k + 1` (for correlated draws).
    pub fn quantile_above(&self, p: f64, k: i64) -> i64 {
        let p0 = self.cdf(k);
        if p0 >= 1.0 {
            return k + 1;
        }
        self.quantile(p0 + p * (1.0 - p0)).max(k + 1)
    }

    /// The `p`-quantile: the smallest `k` with P(K <= k) >= p (the first day for p <= 0, the
    /// last for p >= 1).
    pub fn quantile(&self, p: f64) -> i64 {
        let i = self.cumulative.partition_point(|&c| c < p);
        self.first + i.min(self.cumulative.len() - 1) as i64
    }

    /// True when every draw is the same day (no randomness is consumed).
    pub fn is_fixed(&self) -> bool {
        self.cumulative.len() == 1
    }

    /// The smallest and largest value a draw can take.
    pub fn range(&self) -> (i64, i64) {
        (self.first, self.first + self.cumulative.len() as i64 - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::seed::test_rng;

    #[test]
    fn the_guided_search_finds_what_a_binary_search_finds() {
        let specs = [
            DistSpec::Triangular {
                min: 3.0,
                mode: 5.0,
                max: 10.0,
            },
            DistSpec::Uniform {
                min: -20.0,
                max: 400.0,
            },
        ];
        for spec in &specs {
            let d = DayDist::new(spec);
            let last = d.cumulative.len() - 1;
            // Every bucket edge, every cumulative value and its neighbours, and a grid.
            let mut us: Vec<f64> = (0..GUIDE).map(|b| b as f64 / GUIDE as f64).collect();
            for &c in &d.cumulative {
                us.extend([c, c.next_down(), c.next_up()]);
            }
            us.extend((0..10_000).map(|k| k as f64 / 10_000.0));
            for u in us.into_iter().filter(|u| (0.0..1.0).contains(u)) {
                let want = d.cumulative.partition_point(|&c| c <= u).min(last);
                assert_eq!(d.index_of(u), want, "{spec:?} at {u}");
            }
        }
    }

    #[test]
    fn fixed_values_round_half_up() {
        assert_eq!(DayDist::new(&DistSpec::Fixed(2.5)).range(), (3, 3));
        assert_eq!(DayDist::new(&DistSpec::Fixed(-2.5)).range(), (-2, -2));
        assert_eq!(
            DayDist::new(&DistSpec::Fixed(4.0)).sample(&mut test_rng(1)),
            4
        );
    }

    #[test]
    fn uniform_days_have_the_expected_masses() {
        // X ~ U(0, 10): K = 0 on [0, .5), K = 10 on [9.5, 10], others on a width-1 interval.
        let d = DayDist::new(&DistSpec::Uniform {
            min: 0.0,
            max: 10.0,
        });
        assert_eq!(d.range(), (0, 10));
        assert!((d.cdf(0) - 0.05).abs() < 1e-12);
        assert!((d.cdf(1) - 0.15).abs() < 1e-12);
        assert!((d.cdf(9) - 0.95).abs() < 1e-12);
        assert_eq!(d.cdf(10), 1.0);
    }

    #[test]
    fn discrete_atoms_at_halves_round_up() {
        let d = DayDist::new(&DistSpec::Discrete {
            values: vec![0.5, 3.0],
            weights: vec![1.0, 3.0],
        });
        assert_eq!(d.range(), (1, 3));
        assert!((d.cdf(1) - 0.25).abs() < 1e-12 && (d.cdf(2) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn quantiles_are_the_smallest_day_reaching_p() {
        // U(0, 10) in whole days: P(K <= 0) = 0.05, P(K <= 1) = 0.15, ..., P(K <= 9) = 0.95.
        let d = DayDist::new(&DistSpec::Uniform {
            min: 0.0,
            max: 10.0,
        });
        assert_eq!(d.quantile(0.0), 0);
        assert_eq!(d.quantile(0.05), 0);
        assert_eq!(d.quantile(0.10), 1);
        assert_eq!(d.quantile(0.5), 5);
        assert_eq!(d.quantile(0.9), 9);
        assert_eq!(d.quantile(1.0), 10);
        for p in [0.01, 0.1, 0.37, 0.5, 0.9, 0.99] {
            let k = d.quantile(p);
            assert!(d.cdf(k) >= p && d.cdf(k - 1) < p, "{p}");
        }
        let fixed = DayDist::new(&DistSpec::Fixed(4.0));
        assert!(fixed.is_fixed() && !d.is_fixed());
        assert_eq!(fixed.quantile(0.9), 4);
    }

    #[test]
    fn draws_above_a_day_follow_the_conditional_law() {
        // round(Triangular(0, 14, 60)) given K > 20: P(K <= j | K > 20) =
        // (F(j) − F(20)) / (1 − F(20)), within 5 standard errors over 100,000 draws.
        let d = DayDist::new(&DistSpec::Triangular {
            min: 0.0,
            mode: 14.0,
            max: 60.0,
        });
        let mut rng = test_rng(5);
        let n = 100_000;
        let draws: Vec<i64> = (0..n).map(|_| d.sample_above(&mut rng, 20)).collect();
        assert!(draws.iter().all(|&x| x > 20));
        let p0 = d.cdf(20);
        for j in [21, 25, 30, 45, 59] {
            let empirical = draws.iter().filter(|&&x| x <= j).count() as f64 / n as f64;
            let p = (d.cdf(j) - p0) / (1.0 - p0);
            let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-9);
            assert!(
                (empirical - p).abs() <= 5.0 * se,
                "j {j}: {empirical} vs {p}"
            );
        }
        // Below the support the condition is void: the very draw `sample` makes.
        let (mut a, mut b) = (test_rng(9), test_rng(9));
        for _ in 0..1000 {
            assert_eq!(d.sample_above(&mut a, -1), d.sample(&mut b));
        }
        // Nothing above: the day after; a fixed law consumes nothing.
        assert_eq!(d.sample_above(&mut a, 60), 61);
        let fixed = DayDist::new(&DistSpec::Fixed(4.0));
        assert_eq!(fixed.sample_above(&mut a, 10), 11);
        assert_eq!(fixed.sample_above(&mut a, 3), 4);
        assert_eq!(d.quantile_above(0.0, 20), 21);
        assert!(d.quantile_above(0.5, 20) > 21);
        assert_eq!(d.quantile_above(0.3, -5), d.quantile(0.3));
    }

    #[test]
    fn huge_ranges_fold_into_a_bounded_table_instead_of_wrapping() {
        // Once: an 8 TB table, a capacity overflow, and 1e19 wrapping to day 0.
        let wide = DayDist::new(&DistSpec::Uniform {
            min: -1e300,
            max: 1e300,
        });
        assert_eq!(wide.range(), (-MAX_DAYS_DRAWN, MAX_DAYS_DRAWN));
        let far = DayDist::new(&DistSpec::Fixed(1e19));
        assert_eq!(far.sample(&mut test_rng(3)), MAX_DAYS_DRAWN);
        let spread = DayDist::new(&DistSpec::Normal {
            mean: 0.0,
            sd: 1e12,
            min: None,
            max: None,
        });
        assert_eq!(spread.range(), (-MAX_DAYS_DRAWN, MAX_DAYS_DRAWN));
        let draws: Vec<i64> = (0..100).map(|_| spread.sample(&mut test_rng(4))).collect();
        assert!(draws.iter().all(|d| d.abs() <= MAX_DAYS_DRAWN));
    }

    #[test]
    fn normal_tails_are_bounded() {
        let d = DayDist::new(&DistSpec::Normal {
            mean: 30.0,
            sd: 10.0,
            min: None,
            max: None,
        });
        let (lo, hi) = d.range();
        assert!(lo > -70 && lo < -40 && hi > 100 && hi < 130, "{lo} {hi}");
    }

    #[test]
    fn samples_follow_the_table() {
        // 100,000 draws of round(Triangular(0, 14, 60)): the empirical CDF at each day is within
        // 5 standard errors (sqrt(p(1-p)/n) <= 0.0016) of the table.
        let spec = DistSpec::Triangular {
            min: 0.0,
            mode: 14.0,
            max: 60.0,
        };
        let d = DayDist::new(&spec);
        let mut rng = test_rng(11);
        let n = 100_000;
        let draws: Vec<i64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        for k in [0, 5, 14, 30, 45, 59] {
            let empirical = draws.iter().filter(|&&x| x <= k).count() as f64 / n as f64;
            let p = d.cdf(k);
            let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-9);
            assert!(
                (empirical - p).abs() <= 5.0 * se + 1e-12,
                "k {k}: {empirical} vs {p}"
            );
        }
        // And the table is the rounded law: P(K <= 14) = P(X < 14.5).
        assert!((d.cdf(14) - crate::model::cdf::cdf(&spec, 14.5)).abs() < 1e-12);
    }
}
