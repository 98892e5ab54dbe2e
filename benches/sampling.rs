//! Draws per second of every sampler a model is built from.
//!
//! - `dist`: each [`Dist`] variant (fixed, uniform, triangular, PERT, normal, truncated normal,
//!   log-normal, Bernoulli, discrete), built through [`Dist::new`] exactly as a scenario builds
//!   it, with parameters taken from `scenarios/aws-openai-2026.toml` where it has one.
//! - `day_dist`: [`DayDist`], the whole-day table the engine uses for delays, slips, burn-in and
//!   rework, built from the same PERT and triangular laws. `day_dist/pert` against `dist/pert`
//!   is the saving that motivated the table (a PERT draw goes through two Gamma variates).
//!
//! Every draw uses `Xoshiro256PlusPlus`, the engine's generator, so the figures include its
//! cost. Each iteration makes [`DRAWS`] draws and sums them through `black_box`, so the loop is
//! neither optimised away nor dominated by timing overhead; throughput reads as draws/s.

use std::hint::black_box;

use capsim::model::{DayDist, Dist};
use capsim::scenario::DistSpec;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::distr::Distribution;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Draws per iteration.
const DRAWS: u64 = 1_000;
/// Generator seed (any value; the cost of a draw does not depend on it).
const SEED: u64 = 20_251_103;
/// σ of the base scenario's weekly supply noise: log-normal with median 1.0 and P90 1.3, so
/// σ = ln 1.3 / z₀.₉₀.
const NOISE_SIGMA: f64 = 0.204_7;

/// The `Dist` variants measured, each with a realistic spec.
fn dist_specs() -> Vec<(&'static str, DistSpec)> {
    vec![
        ("fixed", DistSpec::Fixed(5.0)),
        // Disruption severity.
        ("uniform", DistSpec::Uniform { min: 0.2, max: 0.6 }),
        // A campus's install crews, racks per day.
        (
            "triangular",
            DistSpec::Triangular {
                min: 4.0,
                mode: 7.0,
                max: 12.0,
            },
        ),
        // A phase's energization delay, days.
        (
            "pert",
            DistSpec::Pert {
                min: 0.0,
                mode: 45.0,
                max: 180.0,
                shape: 4.0,
            },
        ),
        (
            "normal",
            DistSpec::Normal {
                mean: 30.0,
                sd: 20.0,
                min: None,
                max: None,
            },
        ),
        // Cut at zero: about 93% of candidates are accepted.
        (
            "truncated_normal",
            DistSpec::Normal {
                mean: 30.0,
                sd: 20.0,
                min: Some(0.0),
                max: None,
            },
        ),
        // Weekly supply noise.
        (
            "lognormal",
            DistSpec::LogNormal {
                mu: 0.0,
                sigma: NOISE_SIGMA,
            },
        ),
        ("bernoulli", DistSpec::Bernoulli { p: 0.15 }),
        // A grid-connection delay with four outcomes.
        (
            "discrete",
            DistSpec::Discrete {
                values: vec![0.0, 60.0, 120.0, 270.0],
                weights: vec![0.25, 0.35, 0.25, 0.15],
            },
        ),
    ]
}

/// The whole-day laws measured.
fn day_specs() -> Vec<(&'static str, DistSpec)> {
    vec![
        (
            "pert",
            DistSpec::Pert {
                min: 0.0,
                mode: 45.0,
                max: 180.0,
                shape: 4.0,
            },
        ),
        (
            "triangular",
            DistSpec::Triangular {
                min: 0.0,
                mode: 14.0,
                max: 60.0,
            },
        ),
    ]
}

fn dist(c: &mut Criterion) {
    let mut g = c.benchmark_group("dist");
    g.throughput(Throughput::Elements(DRAWS));
    for (name, spec) in dist_specs() {
        let d = Dist::new(&spec).expect("a valid spec");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
        g.bench_function(name, |b| {
            b.iter(|| {
                let d = black_box(&d);
                let mut sum = 0.0;
                for _ in 0..DRAWS {
                    sum += black_box(d.sample(&mut rng));
                }
                sum
            })
        });
    }
    g.finish();
}

fn day_dist(c: &mut Criterion) {
    let mut g = c.benchmark_group("day_dist");
    g.throughput(Throughput::Elements(DRAWS));
    for (name, spec) in day_specs() {
        let d = DayDist::new(&spec);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
        g.bench_function(name, |b| {
            b.iter(|| {
                let d = black_box(&d);
                let mut sum = 0i64;
                for _ in 0..DRAWS {
                    sum += black_box(d.sample(&mut rng));
                }
                sum
            })
        });
    }
    g.finish();
}

criterion_group!(benches, dist, day_dist);
criterion_main!(benches);
