//! Cumulative distribution functions of [`DistSpec`]s, and the repair-survival table built from
//! them. Used where the engine needs a distribution's exact shape rather than draws.
//!
//! References: the regularized incomplete beta function by Lentz's continued fraction, Press et
//! al., *Numerical Recipes*, 3rd ed., §6.4; the normal CDF through `erfc` (libm, the pure-Rust
//! port of FreeBSD's msun, so results are identical on every platform).

use crate::numeric::std_normal_cdf;
use crate::scenario::DistSpec;

/// P(X <= x).
pub fn cdf(spec: &DistSpec, x: f64) -> f64 {
    mass_up_to(spec, x, true)
}

/// P(X < x): the CDF's left limit, which differs from P(X <= x) only at atoms.
pub fn prob_below(spec: &DistSpec, x: f64) -> f64 {
    mass_up_to(spec, x, false)
}

/// The probability of values below `x`, counting an atom at `x` itself when `inclusive`.
fn mass_up_to(spec: &DistSpec, x: f64, inclusive: bool) -> f64 {
    let reached = |atom: f64| if inclusive { x >= atom } else { x > atom };
    let clamp01 = |v: f64| v.clamp(0.0, 1.0);
    match spec {
        DistSpec::Fixed(v) => step(reached(*v)),
        DistSpec::Uniform { min, max }
        | DistSpec::Triangular { min, max, .. }
        | DistSpec::Pert { min, max, .. }
            if min == max =>
        {
            step(reached(*min))
        }
        DistSpec::Uniform { min, max } => clamp01((x - min) / (max - min)),
        DistSpec::Triangular { min, mode, max } => {
            let (a, c, b) = (*min, *mode, *max);
            if x <= a {
                0.0
            } else if x >= b {
                1.0
            } else if x <= c {
                (x - a).powi(2) / ((b - a) * (c - a))
            } else {
                1.0 - (b - x).powi(2) / ((b - a) * (b - c))
            }
        }
        DistSpec::Pert {
            min,
            mode,
            max,
            shape,
        } => {
            let (a, c, b) = (*min, *mode, *max);
            let alpha = 1.0 + shape * (c - a) / (b - a);
            let beta = 1.0 + shape * (b - c) / (b - a);
            regularized_incomplete_beta(clamp01((x - a) / (b - a)), alpha, beta)
        }
        DistSpec::Normal { mean, sd, min, max } => {
            let lo = min.unwrap_or(f64::NEG_INFINITY);
            let hi = max.unwrap_or(f64::INFINITY);
            if x < lo {
                return 0.0;
            }
            if x >= hi {
                return 1.0;
            }
            let phi = |v: f64| std_normal_cdf((v - mean) / sd);
            clamp01((phi(x) - phi(lo)) / (phi(hi) - phi(lo)))
        }
        DistSpec::LogNormal { mu, sigma } if *sigma == 0.0 => step(reached(mu.exp())),
        DistSpec::LogNormal { mu, sigma } => {
            if x <= 0.0 {
                0.0
            } else {
                std_normal_cdf((x.ln() - mu) / sigma)
            }
        }
        DistSpec::Bernoulli { p } => {
            if !reached(0.0) {
                0.0
            } else if !reached(1.0) {
                1.0 - p
            } else {
                1.0
            }
        }
        DistSpec::Discrete { values, weights } => {
            let total: f64 = weights.iter().sum();
            values
                .iter()
                .zip(weights)
                .filter(|(v, _)| reached(**v))
                .map(|(_, w)| w)
                .sum::<f64>()
                / total
        }
    }
}

fn step(reached: bool) -> f64 {
    if reached { 1.0 } else { 0.0 }
}

/// I_x(a, b), the regularized incomplete beta function, for a, b > 0.
pub(crate) fn regularized_incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front =
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    // The continued fraction converges fast for x < (a + 1)/(a + b + 2); use the symmetry
    // I_x(a, b) = 1 − I_{1−x}(b, a) otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// Lentz's method for the incomplete beta continued fraction (Numerical Recipes `betacf`).
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-15;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// Nodes and weights of 8-point Gauss–Legendre quadrature on [−1, 1].
const GAUSS_LEGENDRE_8: [(f64, f64); 8] = [
    (-0.960_289_856_497_536_2, 0.101_228_536_290_376_26),
    (-0.796_666_477_413_626_7, 0.222_381_034_453_374_47),
    (-0.525_532_409_916_329, 0.313_706_645_877_887_3),
    (-0.183_434_642_495_649_8, 0.362_683_783_378_362),
    (0.183_434_642_495_649_8, 0.362_683_783_378_362),
    (0.525_532_409_916_329, 0.313_706_645_877_887_3),
    (0.796_666_477_413_626_7, 0.222_381_034_453_374_47),
    (0.960_289_856_497_536_2, 0.101_228_536_290_376_26),
];

/// The `p`-quantile of `spec`: the smallest x with P(X <= x) >= p, found by bisection on
/// [`cdf`] to 1e-9 relative (at most 200 halvings). For an infinite end of the support the
/// bracket is widened from the mean in doubling steps first.
pub fn quantile(spec: &DistSpec, p: f64) -> f64 {
    let p = p.clamp(0.0, 1.0);
    let (lo, hi) = spec.support();
    if lo == hi {
        return lo;
    }
    let centre = spec.mean();
    let mut step = 1.0f64.max(centre.abs());
    let mut a = lo;
    while !a.is_finite() || (a > lo && cdf(spec, a) >= p) {
        a = centre - step;
        step *= 2.0;
        if step > 1e300 {
            break;
        }
    }
    let mut step = 1.0f64.max(centre.abs());
    let mut b = hi;
    while !b.is_finite() {
        b = centre + step;
        step *= 2.0;
        if cdf(spec, b) >= p || step > 1e300 {
            break;
        }
    }
    if cdf(spec, a) >= p {
        return a;
    }
    // Invariant: cdf(a) < p <= cdf(b).
    for _ in 0..200 {
        let m = 0.5 * (a + b);
        if cdf(spec, m) >= p {
            b = m;
        } else {
            a = m;
        }
        if b - a <= 1e-9 * b.abs().max(1.0) {
            break;
        }
    }
    b
}

/// `table[j]` = P(M > j) for the number of daily snapshots M = ⌊R + U⌋ that an outage of length
/// R (days, distributed as `spec`, negative values taken as 0) covers when it starts at a
/// uniform time U of its day. P(M > j) = ∫_j^{j+1} P(R > x) dx, integrated with 8-point
/// Gauss–Legendre on 4 sub-intervals of every piece between the distribution's breakpoints
/// (min, mode, max), so kinks and endpoint singularities sit on piece boundaries. The table
/// stops where the survival falls below 1e-12, and at 10 years.
pub fn outage_survival(spec: &DistSpec) -> Vec<f64> {
    const MAX_DAYS: usize = crate::scenario::limits::MAX_REPAIR_DAYS as usize;
    let survival = |x: f64| 1.0 - cdf(spec, x);
    let breaks: Vec<f64> = match spec {
        DistSpec::Uniform { min, max } => vec![*min, *max],
        DistSpec::Triangular { min, mode, max } | DistSpec::Pert { min, mode, max, .. } => {
            vec![*min, *mode, *max]
        }
        DistSpec::Fixed(v) => vec![*v],
        DistSpec::Discrete { values, .. } => values.clone(),
        DistSpec::Normal { min, max, .. } => min.iter().chain(max.iter()).copied().collect(),
        DistSpec::Bernoulli { .. } => vec![0.0, 1.0],
        DistSpec::LogNormal { .. } => Vec::new(),
    };
    let integrate = |lo: f64, hi: f64| -> f64 {
        let step = (hi - lo) / 4.0;
        (0..4)
            .map(|part| {
                let half = step / 2.0;
                let mid = lo + step * f64::from(part) + half;
                GAUSS_LEGENDRE_8
                    .iter()
                    .map(|(node, weight)| weight * survival(mid + half * node))
                    .sum::<f64>()
                    * half
            })
            .sum()
    };
    let mut table = Vec::new();
    for j in 0..MAX_DAYS {
        let (lo, hi) = (j as f64, j as f64 + 1.0);
        let mut points = vec![lo];
        points.extend(breaks.iter().copied().filter(|b| *b > lo && *b < hi));
        points.push(hi);
        points.sort_by(f64::total_cmp);
        let integral: f64 = points.windows(2).map(|w| integrate(w[0], w[1])).sum();
        if integral < 1e-12 {
            break;
        }
        table.push(integral.min(1.0));
    }
    table
}

#[cfg(test)]
mod tests {
    #[test]
    fn quantiles_invert_the_cdf() {
        use crate::scenario::DistSpec;
        let u = DistSpec::Uniform { min: 2.0, max: 5.0 };
        assert!((super::quantile(&u, 0.1) - 2.3).abs() < 1e-8);
        assert!((super::quantile(&u, 0.9) - 4.7).abs() < 1e-8);
        let n = DistSpec::Normal {
            mean: 10.0,
            sd: 2.0,
            min: None,
            max: None,
        };
        // z(0.9) = 1.2815516.
        assert!((super::quantile(&n, 0.9) - (10.0 + 2.0 * 1.281_551_6)).abs() < 1e-6);
        assert!((super::quantile(&n, 0.1) - (10.0 - 2.0 * 1.281_551_6)).abs() < 1e-6);
        assert_eq!(super::quantile(&DistSpec::Fixed(3.0), 0.4), 3.0);
    }

    use super::*;
    use statrs::distribution::{Beta, ContinuousCDF, LogNormal, Normal, Triangular};

    #[test]
    fn pert_cdf_matches_statrs_beta() {
        let spec = DistSpec::Pert {
            min: 0.2,
            mode: 1.0,
            max: 14.0,
            shape: 4.0,
        };
        let (alpha, beta) = (1.0 + 4.0 * 0.8 / 13.8, 1.0 + 4.0 * 13.0 / 13.8);
        let reference = Beta::new(alpha, beta).unwrap();
        for x in [0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 13.9] {
            let expect = reference.cdf((x - 0.2) / 13.8);
            assert!((cdf(&spec, x) - expect).abs() < 1e-10, "x = {x}");
        }
    }

    #[test]
    fn continuous_cdfs_match_statrs() {
        let tri = Triangular::new(0.0, 60.0, 14.0).unwrap();
        let normal = Normal::new(10.0, 2.0).unwrap();
        let lognormal = LogNormal::new(0.1, 0.3).unwrap();
        for x in [-1.0, 0.5, 7.0, 10.0, 14.0, 30.0, 59.0] {
            let t = DistSpec::Triangular {
                min: 0.0,
                mode: 14.0,
                max: 60.0,
            };
            assert!((cdf(&t, x) - tri.cdf(x)).abs() < 1e-12, "triangular {x}");
            let n = DistSpec::Normal {
                mean: 10.0,
                sd: 2.0,
                min: None,
                max: None,
            };
            // statrs has its own erfc: agreement to 1e-10 is what two good implementations give.
            assert!((cdf(&n, x) - normal.cdf(x)).abs() < 1e-10, "normal {x}");
            let l = DistSpec::LogNormal {
                mu: 0.1,
                sigma: 0.3,
            };
            assert!(
                (cdf(&l, x / 10.0) - lognormal.cdf(x / 10.0)).abs() < 1e-10,
                "lognormal {x}"
            );
        }
    }

    #[test]
    fn outage_survival_of_a_fixed_duration() {
        // R = 2.5 days: covers 2 snapshots or 3, each with probability 1/2, so
        // P(M > 0) = P(M > 1) = 1, P(M > 2) = 0.5, P(M > 3) = 0.
        let t = outage_survival(&DistSpec::Fixed(2.5));
        assert_eq!(t.len(), 3);
        assert!((t[0] - 1.0).abs() < 1e-12 && (t[1] - 1.0).abs() < 1e-12);
        assert!((t[2] - 0.5).abs() < 1e-12);
    }

    #[test]
    fn outage_survival_sums_to_the_mean_duration() {
        // Σ_j P(M > j) = E[M] = E[R] (Little's law at daily resolution).
        for spec in [
            DistSpec::Pert {
                min: 0.2,
                mode: 1.0,
                max: 14.0,
                shape: 4.0,
            },
            DistSpec::Triangular {
                min: 0.0,
                mode: 1.0,
                max: 3.0,
            },
            DistSpec::Uniform { min: 0.5, max: 1.5 },
        ] {
            let total: f64 = outage_survival(&spec).iter().sum();
            assert!((total - spec.mean()).abs() < 1e-6, "{spec:?}: {total}");
        }
    }
}
