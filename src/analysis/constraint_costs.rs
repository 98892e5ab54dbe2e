//! What each constraint costs: the same trials rerun with one class of constraint lifted at a
//! time ([`Lift`]), compared trial by trial with the baseline (common random numbers).
//!
//! The costs are computed on trials `0..n` of the run (a deterministic subset when the run has
//! more trials), in outcome-only mode: no daily statistics and no interruptions, so "GPUs at the
//! deadline" here means *online* GPUs. Definitions and a worked example: `docs/model.md`, "What
//! each constraint costs".

use crate::engine::{self, EngineConfig, EngineError};
use crate::model::{Lift, Model};
use crate::stats::{
    Bottleneck, ConstraintCost, ConstraintCosts, Difference, PairedComparison, TrialRecord, type7,
};

/// The name and meaning of a lifted class, as the outputs spell them: the name is the cause of
/// missing GPUs it lifts ([`Bottleneck::name`]).
pub fn describe(lift: Lift) -> (&'static str, &'static str) {
    let (cause, meaning) = match lift {
        Lift::Supply => (
            Bottleneck::Supply,
            "racks are always waiting at every site that accepts them",
        ),
        Lift::Power => (
            Bottleneck::Power,
            "every phase energized and commissioned in full on day 0; no power caps",
        ),
        Lift::Install => (
            Bottleneck::Install,
            "crews install any number of racks a day",
        ),
        Lift::Space => (Bottleneck::Space, "unlimited floor space at every site"),
        Lift::BringUp => (
            Bottleneck::BringUp,
            "burn-in takes no time, no rack fails, pods are accepted at once",
        ),
    };
    (cause.name(), meaning)
}

/// The median full-capacity day of `records`, `None` if it falls among trials that never
/// reach the target.
fn median_day(records: &[TrialRecord]) -> Option<f64> {
    let mut days: Vec<u32> = records.iter().map(|r| r.full_capacity_day).collect();
    days.sort_unstable();
    let n = days.len() as u64;
    if n == 0 {
        return None;
    }
    let m = type7(0.5, n, |k| f64::from(days[k as usize]));
    (m < f64::from(TrialRecord::NEVER) / 2.0).then_some(m)
}

/// Runs trials `first_trial..first_trial + trials` of `model` (from `cfg`) once as they are and
/// once per class with that class lifted, and reports each class's cost. Time: six
/// outcome-only runs of `cfg.trials` trials; `progress` is called from worker threads with the
/// number of trials just finished.
pub fn constraint_costs(
    model: &Model,
    cfg: &EngineConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ConstraintCosts, EngineError> {
    let baseline = engine::records(model, cfg, Some(progress))?;
    let base_median = median_day(&baseline);
    let mut costs = Vec::with_capacity(Lift::ALL.len());
    for lift in Lift::ALL {
        let lifted = engine::records(&model.lifted(lift), cfg, Some(progress))?;
        let c = PairedComparison::new(&baseline, &lifted);
        let (constraint, meaning) = describe(lift);
        let p = &c.p_target_by_deadline;
        let g = &c.available_gpus_at_deadline;
        costs.push(ConstraintCost {
            constraint,
            lifted: meaning,
            p_target_lifted: share_met(&lifted),
            p_target_gain: Difference {
                estimate: p.estimate,
                ci95_low: p.paired_ci95_low,
                ci95_high: p.paired_ci95_high,
            },
            median_full_capacity_days_earlier: match (base_median, median_day(&lifted)) {
                (Some(b), Some(l)) => Some(b - l),
                _ => None,
            },
            online_gpus_at_deadline_gain: Difference {
                estimate: g.estimate,
                ci95_low: g.paired_ci95_low,
                ci95_high: g.paired_ci95_high,
            },
        });
    }
    Ok(ConstraintCosts {
        trials: cfg.trials,
        p_target_baseline: share_met(&baseline),
        costs,
    })
}

fn share_met(records: &[TrialRecord]) -> f64 {
    if records.is_empty() {
        0.0
    } else {
        records.iter().filter(|r| r.met_by_deadline).count() as f64 / records.len() as f64
    }
}
