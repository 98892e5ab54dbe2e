//! capsim as a library: run a shipped scenario, compare it with a variant and read the results,
//! with no CLI. Run it from the repository's root:
//!
//! ```text
//! cargo run --release --example library
//! ```

use std::path::Path;

use capsim::analysis::compare::{CompareRequest, CompareScenario};
use capsim::analysis::{self, RunRequest};
use capsim::model::Model;
use capsim::scenario;
use capsim::stats::{Bottleneck, DailyStat, Metric};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Read a scenario (following its `extends` chain) with one override, as `--set` would.
    let path = Path::new("scenarios/aws-openai-2026.toml");
    let base = scenario::load(path, &[])?;
    let slow = scenario::load(path, &["supply.gb300.rate_scale=0.8".to_string()])?;

    // Run it: 2,000 trials, seed 7, every core; no constraint costs.
    let request = RunRequest {
        trials: 2_000,
        seed: 7,
        cost_trials: 0,
        ..RunRequest::for_scenario(&base)
    };
    let model = Model::compile(&base)?;
    let result = analysis::run(&base, &model, &request, None, &|_trials_done| {})?;

    // The headline figures: what `summary.json` holds.
    let summary = result.summary();
    let p = summary.p_target_by_deadline;
    println!(
        "{}: P(target by {}) = {:.1}% (95% interval {:.1}-{:.1}%)",
        summary.scenario,
        summary.deadline,
        100.0 * p.estimate,
        100.0 * p.ci95_low,
        100.0 * p.ci95_high
    );
    let (cause, share) = Bottleneck::ALL
        .iter()
        .map(|&b| (b, summary.bottleneck_share.get(b)))
        .fold((Bottleneck::Supply, f64::MIN), |best, c| {
            if c.1 > best.1 { c } else { best }
        });
    println!(
        "most missing GPU-days are waiting on {} ({:.0}%)",
        cause.name(),
        100.0 * share
    );

    // The daily bands: what `daily.csv` holds, one row per day.
    let deadline = jiff::civil::Date::strptime("%Y-%m-%d", &summary.deadline)?;
    if let Some(row) = result.daily_rows().iter().find(|r| r.date == deadline) {
        println!(
            "online GPUs on the deadline: P10 {:.0}, median {:.0}, P90 {:.0}",
            row.get(Metric::OnlineGpus, DailyStat::P10),
            row.get(Metric::OnlineGpus, DailyStat::P50),
            row.get(Metric::OnlineGpus, DailyStat::P90)
        );
    }

    // Compare with the slower supply, trial by trial (common random numbers).
    let comparison = analysis::compare(
        &CompareRequest {
            scenarios: vec![
                CompareScenario {
                    label: "base".into(),
                    file: path.display().to_string(),
                    scenario: base,
                },
                CompareScenario {
                    label: "slow-supply".into(),
                    file: path.display().to_string(),
                    scenario: slow,
                },
            ],
            trials: 2_000,
            shard: None,
            seed: 7,
            threads: 0,
        },
        None,
        &|_| {},
    )?;
    let report = comparison.report();
    let diff = &report.comparisons[0].diff.p_target_by_deadline;
    println!(
        "80% GB300 supply changes P(target) by {:+.1} points (paired 95% interval {:+.1} to {:+.1})",
        100.0 * diff.estimate,
        100.0 * diff.paired_ci95_low,
        100.0 * diff.paired_ci95_high
    );
    Ok(())
}
