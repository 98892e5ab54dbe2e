//! The percentile definition used everywhere in capsim.
//!
//! Type 7 of Hyndman & Fan (1996), "Sample quantiles in statistical packages", *The American
//! Statistician* 50(4): the default of R's `quantile`, NumPy's `percentile` and Excel's
//! `PERCENTILE.INC`. With n sorted values x₀ ≤ … ≤ xₙ₋₁ and h = (n − 1)·p, the p-quantile is
//! x⌊h⌋ + (h − ⌊h⌋)(x⌊h⌋₊₁ − x⌊h⌋). A researcher who loads `trials.csv` into pandas and calls
//! `quantile` gets the same numbers (up to the histogram's bin width).

/// The type-7 `p`-quantile of `n` values, given a function returning the `k`-th smallest.
pub fn type7(p: f64, n: u64, order_statistic: impl Fn(u64) -> f64) -> f64 {
    debug_assert!(n > 0);
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as u64;
    let hi = (h.ceil() as u64).min(n - 1);
    let x_lo = order_statistic(lo);
    if hi == lo {
        return x_lo;
    }
    x_lo + (h - lo as f64) * (order_statistic(hi) - x_lo)
}

/// Wilson score interval for a binomial proportion: `successes` of `n` at 95% confidence
/// (z = 1.959964). Wilson (1927), JASA 22(158). Well-behaved at 0 and n, unlike the Wald interval.
pub fn wilson95(successes: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let z = 1.959_963_984_540_054_f64;
    let n = n as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    // At 0 of n and n of n the bound on that side is exactly 0 or 1; the formula gets there
    // only up to rounding.
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if successes as f64 == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_a_worked_example() {
        // 81 of 263: Wilson 95% interval (0.2553, 0.3662), e.g. statsmodels proportion_confint(method="wilson").
        let (lo, hi) = wilson95(81, 263);
        assert!(
            (lo - 0.2553).abs() < 1e-4 && (hi - 0.3662).abs() < 1e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson95(0, 10);
        assert_eq!(lo, 0.0);
        assert!((hi - 0.2775).abs() < 1e-4, "{hi}");
        let (lo, hi) = wilson95(300, 300);
        assert_eq!(hi, 1.0);
        assert!(lo > 0.98 && lo < 1.0, "{lo}");
    }
}
