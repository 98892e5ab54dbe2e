//! Sensitivity statistics, free of the engine: Spearman rank correlation, and first-order and
//! total Sobol indices from pick-freeze samples with bootstrap intervals.
//!
//! References: Spearman (1904) with average ranks for ties (the Pearson correlation of the
//! ranks, as `scipy.stats.spearmanr`); Saltelli et al. (2010), "Variance based sensitivity
//! analysis of model output", *Comput. Phys. Commun.* 181(2), table 2 (b) for the first-order
//! index; Jansen (1999), *Comput. Phys. Commun.* 117, for the total index (table 2 (f) of
//! Saltelli 2010).

use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::quantile::type7;

/// Ranks 1..=n of `xs`, ties sharing the average of the ranks they span. Infinite values sort
/// like any other (`+∞` last), so "never" can be coded as `+∞`. NaN sorts after `+∞`.
pub fn average_ranks(xs: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut ranks = vec![0.0; xs.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && xs[order[j]] == xs[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) hold ranks i+1..=j: their average is (i + 1 + j) / 2.
        let r = (i + 1 + j) as f64 / 2.0;
        for &k in &order[i..j] {
            ranks[k] = r;
        }
        i = j;
    }
    ranks
}

/// Pearson's correlation of two equally long series; `None` when either is constant or they
/// hold fewer than two values.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len().min(y.len());
    if n < 2 {
        return None;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x[..n].iter().zip(&y[..n]) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
}

/// Spearman's rank correlation ρ of `x` and `y` (average ranks for ties); `None` when either
/// is constant. Time O(n log n), memory O(n).
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    pearson(&average_ranks(x), &average_ranks(y))
}

/// A Sobol index with its bootstrap interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Index {
    /// The estimate from all samples.
    pub estimate: f64,
    /// 2.5th percentile of the bootstrap estimates.
    pub ci95_low: f64,
    /// 97.5th percentile of the bootstrap estimates.
    pub ci95_high: f64,
}

/// First-order and total Sobol indices of one input.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SobolIndices {
    /// First-order index S_i (Saltelli 2010).
    pub first_order: Index,
    /// Total index T_i (Jansen 1999).
    pub total: Index,
}

/// The two estimators on samples `idx` (indices into the three series).
fn estimate(fa: &[f64], fb: &[f64], fab: &[f64], idx: &[usize]) -> (f64, f64) {
    let n = idx.len() as f64;
    // V from A and B together (2n values).
    let mean = idx.iter().map(|&j| fa[j] + fb[j]).sum::<f64>() / (2.0 * n);
    let var = idx
        .iter()
        .map(|&j| (fa[j] - mean).powi(2) + (fb[j] - mean).powi(2))
        .sum::<f64>()
        / (2.0 * n - 1.0).max(1.0);
    if var <= 0.0 {
        return (0.0, 0.0);
    }
    let (mut s, mut t) = (0.0, 0.0);
    for &j in idx {
        s += fb[j] * (fab[j] - fa[j]);
        t += (fa[j] - fab[j]).powi(2);
    }
    (s / n / var, t / n / (2.0 * var))
}

/// Sobol indices of one input from pick-freeze samples: `fa[j]` and `fb[j]` are the outputs of
/// sample `j` of the independent matrices A and B, `fab[j]` the output of A with this input's
/// column taken from B. S = mean(f_B (f_AB − f_A)) / V (Saltelli 2010), T = mean((f_A − f_AB)²)
/// / (2V) (Jansen 1999), V the variance of f_A and f_B pooled. Intervals are percentile
/// bootstrap intervals over `resamples` resamples of the sample indices, drawn from a generator
/// seeded with `seed`, so they are reproducible. Time O(resamples × n).
///
/// # Panics
/// If the three series differ in length or are empty.
pub fn sobol(fa: &[f64], fb: &[f64], fab: &[f64], resamples: usize, seed: u64) -> SobolIndices {
    let n = fa.len();
    assert!(n > 0 && fb.len() == n && fab.len() == n, "sobol: lengths");
    let all: Vec<usize> = (0..n).collect();
    let (s, t) = estimate(fa, fb, fab, &all);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut ss = Vec::with_capacity(resamples);
    let mut ts = Vec::with_capacity(resamples);
    let mut idx = vec![0usize; n];
    for _ in 0..resamples {
        for j in idx.iter_mut() {
            *j = rng.random_range(0..n);
        }
        let (s, t) = estimate(fa, fb, fab, &idx);
        ss.push(s);
        ts.push(t);
    }
    let interval = |mut v: Vec<f64>, est: f64| {
        if v.is_empty() {
            return Index {
                estimate: est,
                ci95_low: est,
                ci95_high: est,
            };
        }
        v.sort_by(f64::total_cmp);
        let q = |p: f64| type7(p, v.len() as u64, |k| v[k as usize]);
        Index {
            estimate: est,
            ci95_low: q(0.025),
            ci95_high: q(0.975),
        }
    };
    SobolIndices {
        first_order: interval(ss, s),
        total: interval(ts, t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_ranks_share_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 20.0, 5.0, f64::INFINITY, f64::INFINITY]),
            [2.0, 3.5, 3.5, 1.0, 5.5, 5.5]
        );
    }

    #[test]
    fn spearman_matches_hand_computed_values() {
        // No ties: d = rank differences (0, 0, 1, -1, 0), Σd² = 2, ρ = 1 − 6·2/(5·24) = 0.9.
        let rho = spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[10.0, 20.0, 40.0, 30.0, 50.0]).unwrap();
        assert!((rho - 0.9).abs() < 1e-12, "{rho}");
        // Ties: x ranks (1, 2.5, 2.5, 4), y ranks (1, 2, 3, 4). Pearson of the ranks:
        // Σdx·dy = (−1.5)(−1.5) + 0 + 0 + 1.5·1.5 = 4.5, Σdx² = 4.5, Σdy² = 5, ρ = 4.5/√22.5.
        let rho = spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert!((rho - 4.5 / 22.5f64.sqrt()).abs() < 1e-12, "{rho}");
        // "never" coded as +∞ ranks last, tied.
        let rho = spearman(
            &[1.0, 2.0, 3.0, 4.0],
            &[5.0, 7.0, f64::INFINITY, f64::INFINITY],
        )
        .unwrap();
        assert!((rho - 4.5 / 22.5f64.sqrt()).abs() < 1e-12, "{rho}");
        // Monotone but not linear: exactly −1.
        let rho = spearman(&[1.0, 2.0, 3.0], &[8.0, 1.0, 0.5]).unwrap();
        assert!((rho + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
    }

    /// The Ishigami function, a = 7, b = 0.1.
    fn ishigami(x: [f64; 3]) -> f64 {
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    #[test]
    fn sobol_estimators_recover_the_ishigami_indices() {
        // Known values (Ishigami & Homma 1990; e.g. Sobol' & Levitan 1999, Saltelli et al.
        // 2010): V = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2, V1 = (1 + bπ⁴/5)²/2, V2 = a²/8, V3 = 0, so
        // S2 = T2 = 0.4424 (x2 enters additively), S3 = 0 but T3 = 0.2437 (x3 only interacts
        // with x1).
        let s_true = [0.3139, 0.4424, 0.0];
        let t_true = [0.5576, 0.4424, 0.2437];
        let n = 40_000;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2010);
        let pi = std::f64::consts::PI;
        let mut draw = || -> [f64; 3] { std::array::from_fn(|_| rng.random_range(-pi..pi)) };
        let a: Vec<[f64; 3]> = (0..n).map(|_| draw()).collect();
        let b: Vec<[f64; 3]> = (0..n).map(|_| draw()).collect();
        let fa: Vec<f64> = a.iter().map(|x| ishigami(*x)).collect();
        let fb: Vec<f64> = b.iter().map(|x| ishigami(*x)).collect();
        for i in 0..3 {
            let fab: Vec<f64> = a
                .iter()
                .zip(&b)
                .map(|(xa, xb)| {
                    let mut x = *xa;
                    x[i] = xb[i];
                    ishigami(x)
                })
                .collect();
            let r = sobol(&fa, &fb, &fab, 200, 7);
            // Tolerance: 4 standard errors, each estimated from the bootstrap (95% width / 3.92),
            // so it shrinks as 1/√n; at n = 40,000 it is about 0.02–0.04.
            for (idx, truth, what) in [(r.first_order, s_true[i], "S"), (r.total, t_true[i], "T")] {
                let se = (idx.ci95_high - idx.ci95_low) / 3.92;
                assert!(se > 0.0 && se < 0.02, "{what}{}: se {se}", i + 1);
                assert!(
                    (idx.estimate - truth).abs() <= 4.0 * se,
                    "{what}{}: {} vs {truth} (se {se})",
                    i + 1,
                    idx.estimate
                );
                assert!(idx.ci95_low <= idx.estimate && idx.estimate <= idx.ci95_high);
            }
        }
    }

    #[test]
    fn sobol_is_reproducible_and_zero_for_a_constant_output() {
        let fa = [1.0, 2.0, 3.0, 4.0];
        let fb = [2.0, 1.0, 4.0, 3.0];
        let fab = [2.0, 2.0, 3.0, 3.0];
        assert_eq!(sobol(&fa, &fb, &fab, 50, 1), sobol(&fa, &fb, &fab, 50, 1));
        let c = [5.0; 4];
        let r = sobol(&c, &c, &c, 10, 1);
        assert_eq!(r.first_order.estimate, 0.0);
        assert_eq!(r.total.estimate, 0.0);
    }
}
