//! Correlated inputs (`[[correlations]]`): a Gaussian copula imposes the requested rank
//! correlation, keeps every marginal exactly, and widens fleet-level spread.

use capsim::engine::{self, EngineConfig, RunHooks};
use capsim::model::Model;
use capsim::stats::TrialOutcome;

// The crate's test-scenario builder, the same file the unit tests use; this binary needs only
// part of it.
#[allow(dead_code)]
#[path = "../../src/test_support.rs"]
mod test_support;
use test_support::TestScenario;

/// Eight sites, each with one 6 MW phase whose delay is uniform on 0..120 days; 100 racks a
/// week arrive from day 0 and each site can host 40 racks, so the GPUs online at the deadline
/// count the sites energized in time. `rho`, when given, correlates the delays.
fn scenario(rho: Option<f64>) -> capsim::scenario::Scenario {
    let mut test_scenario = TestScenario::new("correlated delays")
        .dates("2026-04-01", "2026-06-30")
        .target_gpus(23040)
        .supply(100, "2026-06-30");
    for i in 0..8 {
        test_scenario = test_scenario
            .site(
                &format!("site-{i}"),
                1.0,
                40,
                r#"{ mw = 6, planned = 2026-01-01, delay_days = { kind = "uniform", min = 0, max = 120 } }"#,
            )
            .site_key("max_racks = 40");
    }
    if let Some(rho) = rho {
        test_scenario = test_scenario.table(&format!(
            "[[correlations]]\nid = \"grid\"\ninputs = [\"delay_days.*\"]\nrho = {rho}"
        ));
    }
    let text = test_scenario.text();
    capsim::scenario::parse(&text, std::path::Path::new("correlated.toml")).unwrap()
}

/// Per-trial inputs and outcomes of `trials` trials.
fn run(rho: Option<f64>, trials: u64) -> Vec<TrialOutcome> {
    let s = scenario(rho);
    let model = Model::compile(&s).unwrap();
    let cfg = EngineConfig {
        trials,
        first_trial: 0,
        seed: 17,
        threads: 2,
        batch_size: 128,
    };
    let mut rows = Vec::new();
    let mut sink = |_t: u64, o: &TrialOutcome| {
        rows.push(o.clone());
        Ok(())
    };
    engine::run(
        &model,
        &cfg,
        RunHooks {
            progress: None,
            trial_sink: Some(&mut sink),
            ..RunHooks::default()
        },
    )
    .unwrap();
    rows
}

/// Average ranks (ties share their mean rank).
fn ranks(xs: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..xs.len()).collect();
    idx.sort_by(|&a, &b| xs[a].total_cmp(&xs[b]));
    let mut r = vec![0.0; xs.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && xs[idx[j + 1]] == xs[idx[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0;
        for &k in &idx[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

fn column(rows: &[TrialOutcome], i: usize) -> Vec<f64> {
    rows.iter().map(|o| o.inputs[i]).collect()
}

/// Inputs are: slip (0), then per site its install rate and its phase delay.
fn delay_column(site: usize) -> usize {
    1 + 2 * site + 1
}

#[test]
fn sampled_rank_correlation_matches_the_requested_one() {
    // 4,000 trials: the standard error of a Spearman coefficient near 0.6 is about
    // (1 − ρ²)/√n ≈ 0.01; we allow 5 of them. Rounding to whole days ties a few values, which
    // moves ρ by far less than that.
    let rows = run(Some(0.6), 4_000);
    for (a, b) in [(0, 1), (2, 5), (3, 7)] {
        let rho = pearson(
            &ranks(&column(&rows, delay_column(a))),
            &ranks(&column(&rows, delay_column(b))),
        );
        assert!((rho - 0.6).abs() < 0.05, "sites {a}, {b}: ρ = {rho}");
    }
    // Without the group the delays are independent.
    let rows = run(None, 4_000);
    let rho = pearson(
        &ranks(&column(&rows, delay_column(0))),
        &ranks(&column(&rows, delay_column(1))),
    );
    assert!(rho.abs() < 0.05, "independent: ρ = {rho}");
}

#[test]
fn marginals_are_unchanged_by_the_correlation() {
    // Each delay is round(U(0, 120)): P(K <= k) = (k + 0.5) / 120 for k in 0..119.
    // Kolmogorov–Smirnov on 4,000 draws at α = 0.001: critical value 1.95 / √4000 = 0.031.
    let rows = run(Some(0.8), 4_000);
    for site in [0, 4] {
        let xs = column(&rows, delay_column(site));
        let n = xs.len() as f64;
        let mut worst: f64 = 0.0;
        for k in 0..120 {
            let empirical = xs.iter().filter(|&&x| x <= k as f64).count() as f64 / n;
            let exact = (k as f64 + 0.5) / 120.0;
            worst = worst.max((empirical - exact).abs());
        }
        assert!(worst < 0.031, "site {site}: KS distance {worst}");
    }
}

#[test]
fn correlation_widens_the_fleet_level_spread() {
    // Eight sites energize independently or together: GPUs online at the deadline is (up to
    // burn-in) 40 racks × the number energized in time, binomial-like when independent and far
    // more spread out when the delays move together. With ρ = 0.8 the standard deviation is
    // well over 1.5 times the independent one (about 2.4 times for a Gaussian copula); 1,000
    // trials estimate each within a few percent.
    let sd = |rows: &[TrialOutcome]| {
        let xs: Vec<f64> = rows
            .iter()
            .map(|o| o.online_gpus_at_deadline as f64)
            .collect();
        let n = xs.len() as f64;
        let m = xs.iter().sum::<f64>() / n;
        (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    };
    let independent = sd(&run(None, 1_000));
    let correlated = sd(&run(Some(0.8), 1_000));
    assert!(
        correlated > 1.5 * independent,
        "sd {correlated} vs {independent}"
    );
}

#[test]
fn correlation_groups_are_checked() {
    let base = |extra: &str| {
        format!(
            "{}\n{extra}",
            std::fs::read_to_string(crate::util::root().join("tests/fixtures/valid/tiny.toml"))
                .unwrap()
        )
    };
    let err = |extra: &str| {
        capsim::scenario::parse(&base(extra), std::path::Path::new("c.toml"))
            .unwrap_err()
            .to_string()
    };
    let e = err("[[correlations]]\nid = \"g\"\ninputs = [\"delay_days.*\"]\nrho = 1.0\n");
    assert!(e.contains("correlations[0].rho"), "{e}");
    let e = err("[[correlations]]\nid = \"g\"\ninputs = [\"delay_dayz.*\"]\nrho = 0.5\n");
    assert!(e.contains("matches no per-trial input"), "{e}");
}
