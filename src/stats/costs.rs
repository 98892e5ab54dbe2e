//! What each constraint costs, as the outputs report it: the result of
//! `analysis::constraint_costs` (which reruns the trials with one constraint class lifted at a
//! time). Plain data, so that [`Summary`](super::Summary) can carry it.

use serde::Serialize;

use super::paired::Difference;

/// The cost of one class of constraint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstraintCost {
    /// The class: `supply`, `power`, `install`, `space` or `bring_up`.
    pub constraint: &'static str,
    /// What "lifted" means for this class.
    pub lifted: &'static str,
    /// P(target by deadline) with the constraint lifted.
    pub p_target_lifted: f64,
    /// Gain in P(target by deadline) from lifting it (lifted − baseline), with its paired 95%
    /// interval.
    pub p_target_gain: Difference,
    /// Days the median full-capacity date moves earlier when it is lifted (baseline median −
    /// lifted median); `None` when either median falls among trials that never reach the target.
    pub median_full_capacity_days_earlier: Option<f64>,
    /// Gain in mean online GPUs at the deadline, with its paired 95% interval.
    pub online_gpus_at_deadline_gain: Difference,
}

/// Every constraint's cost, on one subset of trials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConstraintCosts {
    /// Trials compared: trials `0..trials` of the run.
    pub trials: u64,
    /// P(target by deadline) of the baseline on those trials.
    pub p_target_baseline: f64,
    /// One entry per class, in the order supply, power, install, space, bring-up.
    pub costs: Vec<ConstraintCost>,
}

impl ConstraintCosts {
    /// The costs sorted by gain in P(target), largest first (ties: the larger GPU gain first).
    pub fn ranked(&self) -> Vec<&ConstraintCost> {
        let mut v: Vec<&ConstraintCost> = self.costs.iter().collect();
        v.sort_by(|a, b| {
            b.p_target_gain
                .estimate
                .total_cmp(&a.p_target_gain.estimate)
                .then(
                    b.online_gpus_at_deadline_gain
                        .estimate
                        .total_cmp(&a.online_gpus_at_deadline_gain.estimate),
                )
        });
        v
    }
}
