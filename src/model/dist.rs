//! `Dist`: a [`DistSpec`] turned into a sampler, implementing `rand::distr::Distribution<f64>`.
//!
//! Parameterisations (see also `DistSpec`):
//! - uniform on [a, b]; triangular (a, c, b) by inverse CDF (rand_distr `Triangular`);
//! - Beta-PERT (a, c, b, λ): a + (b − a)·Beta(α, β) with α = 1 + λ(c − a)/(b − a),
//!   β = 1 + λ(b − c)/(b − a) (Malcolm et al. 1959; Vose, *Risk Analysis*, 2008), rand_distr `Pert`;
//! - normal (μ, σ) truncated to [lo, hi] by rejection (the scenario check guarantees at least
//!   0.1% acceptance);
//! - log-normal exp(N(μ, σ²)); Bernoulli(p) as 0/1 from one uniform; discrete by binary
//!   search over cumulative weights (rand `WeightedIndex`).
//!
//! Determinism: for a given generator state every variant consumes a fixed sequence of draws
//! (rejection excepted, which is still a pure function of the generator), so results are
//! reproducible for a fixed seed. Degenerate ranges (min = max) become fixed values and consume
//! no randomness.

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_distr::{LogNormal, Normal, Pert, Triangular, Uniform};

use crate::scenario::DistSpec;

/// A ready-to-draw distribution of `f64` values.
#[derive(Debug, Clone)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Uniform.
    Uniform(Uniform<f64>),
    /// Triangular.
    Triangular(Triangular<f64>),
    /// Beta-PERT.
    Pert(Pert<f64>),
    /// Normal, truncated to [lo, hi].
    Normal {
        /// The untruncated normal.
        normal: Normal<f64>,
        /// Lower bound (may be −∞).
        lo: f64,
        /// Upper bound (may be +∞).
        hi: f64,
    },
    /// Log-normal.
    LogNormal(LogNormal<f64>),
    /// 1 with probability `p`, else 0.
    Bernoulli(f64),
    /// `values[i]` with the given weights.
    Discrete {
        /// Possible values.
        values: Vec<f64>,
        /// Weighted index sampler.
        index: WeightedIndex<f64>,
    },
}

/// A spec that passed the scenario checks but that rand_distr still refused (should not happen).
#[derive(Debug, thiserror::Error)]
#[error("invalid distribution {spec}: {reason}")]
pub struct DistError {
    spec: String,
    reason: String,
}

impl Dist {
    /// Builds the sampler for a checked spec.
    pub fn new(spec: &DistSpec) -> Result<Dist, DistError> {
        let err = |reason: String| DistError {
            spec: spec.describe(),
            reason,
        };
        Ok(match spec {
            DistSpec::Fixed(v) => Dist::Fixed(*v),
            DistSpec::Uniform { min, max }
            | DistSpec::Triangular { min, max, .. }
            | DistSpec::Pert { min, max, .. }
                if min == max =>
            {
                Dist::Fixed(*min)
            }
            DistSpec::Uniform { min, max } => {
                Dist::Uniform(Uniform::new_inclusive(*min, *max).map_err(|e| err(e.to_string()))?)
            }
            DistSpec::Triangular { min, mode, max } => Dist::Triangular(
                Triangular::new(*min, *max, *mode).map_err(|e| err(e.to_string()))?,
            ),
            DistSpec::Pert {
                min,
                mode,
                max,
                shape,
            } => Dist::Pert(
                Pert::new(*min, *max)
                    .with_shape(*shape)
                    .with_mode(*mode)
                    .map_err(|e| err(e.to_string()))?,
            ),
            DistSpec::Normal { mean, sd, min, max } => Dist::Normal {
                normal: Normal::new(*mean, *sd).map_err(|e| err(e.to_string()))?,
                lo: min.unwrap_or(f64::NEG_INFINITY),
                hi: max.unwrap_or(f64::INFINITY),
            },
            DistSpec::LogNormal { mu, sigma } if *sigma == 0.0 => Dist::Fixed(mu.exp()),
            DistSpec::LogNormal { mu, sigma } => {
                Dist::LogNormal(LogNormal::new(*mu, *sigma).map_err(|e| err(e.to_string()))?)
            }
            DistSpec::Bernoulli { p } => Dist::Bernoulli(*p),
            DistSpec::Discrete { values, weights } => Dist::Discrete {
                values: values.clone(),
                index: WeightedIndex::new(weights.iter().copied())
                    .map_err(|e| err(e.to_string()))?,
            },
        })
    }

    /// True when every draw is the same value (no randomness is consumed).
    pub fn is_fixed(&self) -> bool {
        matches!(self, Dist::Fixed(_))
    }
}

impl Distribution<f64> for Dist {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Dist::Fixed(v) => *v,
            Dist::Uniform(d) => d.sample(rng),
            Dist::Triangular(d) => d.sample(rng),
            Dist::Pert(d) => d.sample(rng),
            Dist::Normal { normal, lo, hi } => loop {
                let x = normal.sample(rng);
                if x >= *lo && x <= *hi {
                    break x;
                }
            },
            Dist::LogNormal(d) => d.sample(rng),
            Dist::Bernoulli(p) => {
                let u: f64 = rand::distr::StandardUniform.sample(rng);
                if u < *p { 1.0 } else { 0.0 }
            }
            Dist::Discrete { values, index } => values[index.sample(rng)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::seed::test_rng;

    /// Sample mean and variance of `n` draws.
    fn moments(d: &Dist, n: usize, seed: u64) -> (f64, f64) {
        let mut rng = test_rng(seed);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0);
        (mean, var)
    }

    /// Checks the sample mean against theory within 5 standard errors (a correct sampler fails
    /// with probability below 1e-6 whatever the seed) and the variance within 5% (relative SE of
    /// a sample variance at n = 200,000 is about sqrt(2/n)·sqrt(1 + excess kurtosis / 2) < 1%).
    fn check(spec: DistSpec, mean: f64, var: f64) {
        const N: usize = 200_000;
        let d = Dist::new(&spec).unwrap();
        let (m, v) = moments(&d, N, 7);
        let se = (var / N as f64).sqrt();
        assert!(
            (m - mean).abs() <= 5.0 * se + 1e-12,
            "{spec:?}: mean {m} vs {mean} (se {se})"
        );
        assert!(
            (v - var).abs() <= 0.05 * var + 1e-12,
            "{spec:?}: var {v} vs {var}"
        );
        assert!(
            (spec.mean() - mean).abs() < 1e-9 * mean.abs().max(1.0),
            "{spec:?}: DistSpec::mean"
        );
    }

    #[test]
    fn uniform_moments() {
        check(DistSpec::Uniform { min: 2.0, max: 8.0 }, 5.0, 36.0 / 12.0);
    }

    #[test]
    fn triangular_moments() {
        let (a, c, b): (f64, f64, f64) = (0.0, 14.0, 60.0);
        let var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0;
        check(
            DistSpec::Triangular {
                min: a,
                mode: c,
                max: b,
            },
            (a + b + c) / 3.0,
            var,
        );
    }

    #[test]
    fn pert_moments() {
        // Pert(0, 3, 10), shape 4: alpha = 1 + 4*0.3 = 2.2, beta = 1 + 4*0.7 = 3.8;
        // mean = 3.667; var = (b-a)^2 * ab/((a+b)^2 (a+b+1)) = 100 * 8.36 / (36 * 7) = 3.3175.
        check(
            DistSpec::Pert {
                min: 0.0,
                mode: 3.0,
                max: 10.0,
                shape: 4.0,
            },
            22.0 / 6.0,
            100.0 * 2.2 * 3.8 / (36.0 * 7.0),
        );
    }

    #[test]
    fn normal_and_truncated_normal_moments() {
        check(
            DistSpec::Normal {
                mean: 10.0,
                sd: 2.0,
                min: None,
                max: None,
            },
            10.0,
            4.0,
        );
        // Half-normal (truncated at the mean): mean sqrt(2/pi), variance 1 - 2/pi.
        let pi = std::f64::consts::PI;
        check(
            DistSpec::Normal {
                mean: 0.0,
                sd: 1.0,
                min: Some(0.0),
                max: None,
            },
            (2.0 / pi).sqrt(),
            1.0 - 2.0 / pi,
        );
    }

    #[test]
    fn lognormal_moments() {
        let (mu, sigma): (f64, f64) = (0.0, 0.2);
        let mean = (mu + sigma * sigma / 2.0).exp();
        let var = ((sigma * sigma).exp() - 1.0) * (2.0 * mu + sigma * sigma).exp();
        check(DistSpec::LogNormal { mu, sigma }, mean, var);
    }

    #[test]
    fn bernoulli_and_discrete_moments() {
        check(DistSpec::Bernoulli { p: 0.3 }, 0.3, 0.21);
        // values 1, 2, 10 with weights 1, 1, 2: mean 23/4, E[x^2] = (1 + 4 + 200)/4.
        let mean = 23.0 / 4.0;
        check(
            DistSpec::Discrete {
                values: vec![1.0, 2.0, 10.0],
                weights: vec![1.0, 1.0, 2.0],
            },
            mean,
            205.0 / 4.0 - mean * mean,
        );
    }

    #[test]
    fn degenerate_ranges_are_fixed() {
        let d = Dist::new(&DistSpec::Triangular {
            min: 3.0,
            mode: 3.0,
            max: 3.0,
        })
        .unwrap();
        assert!(d.is_fixed());
        assert_eq!(d.sample(&mut test_rng(1)), 3.0);
    }
}
