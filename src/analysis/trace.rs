//! "Why did it miss?": one trial re-simulated day by day, with each site's state and the
//! constraint that held it each day.
//!
//! A trial is a pure function of (model, seed, trial index) (`crate::numeric::seed`), so the
//! trace of trial `t` is exactly trial `t` of any run with that seed, whatever its thread count:
//! its [`TrialOutcome`] is that trial's row of `trials.csv`.

use crate::engine::{self, SiteDay, TrialState};
use crate::model::Model;
use crate::stats::{Accumulator, Bottleneck, DailyBuffer, TrialOutcome};

/// One trial, day by day and site by site.
#[derive(Debug, Clone, PartialEq)]
pub struct Trace {
    /// The trial's index (as in `trials.csv`'s `trial` column).
    pub trial: u64,
    /// Site ids, in scenario order.
    pub site_ids: Vec<String>,
    /// Each site's phase count, in scenario order.
    pub site_phases: Vec<usize>,
    /// Day index of the deadline (0 = the scenario's start).
    pub deadline_day: usize,
    /// The trial's outcome, as `trials.csv` reports it.
    pub outcome: TrialOutcome,
    /// `days[day * sites + site]`: each site's state at the end of each simulated day.
    days: Vec<SiteDay>,
}

impl Trace {
    /// Number of simulated days.
    pub fn days(&self) -> usize {
        self.days.len() / self.site_ids.len().max(1)
    }

    /// Site `site`'s state at the end of `day`.
    pub fn site_day(&self, day: usize, site: usize) -> &SiteDay {
        &self.days[day * self.site_ids.len() + site]
    }

    /// Phases of site `site` energized by the end of `day`.
    pub fn phases_energized(&self, day: usize, site: usize) -> usize {
        let first: usize = self.site_phases[..site].iter().sum();
        self.outcome.phase_energized_day[first..first + self.site_phases[site]]
            .iter()
            .filter(|&&d| d <= day as i64)
            .count()
    }

    /// Days each cause held site `site`, up to and including the deadline, in
    /// [`Bottleneck::ALL`] order, then the days nothing did.
    pub fn held_days_to_deadline(&self, site: usize) -> [usize; Bottleneck::COUNT + 1] {
        let mut out = [0; Bottleneck::COUNT + 1];
        for day in 0..=self.deadline_day.min(self.days().saturating_sub(1)) {
            let slot = self
                .site_day(day, site)
                .held_by
                .map_or(Bottleneck::COUNT, |b| b as usize);
            out[slot] += 1;
        }
        out
    }
}

/// Re-simulates trial `trial` of `model` with `seed`: the same draws as that trial of any run
/// with that seed.
pub fn trace(model: &Model, seed: u64, trial: u64) -> Trace {
    let layout = engine::layout(model);
    let mut daily = DailyBuffer::new(&layout, 1);
    let mut accumulator = Accumulator::new(layout);
    let mut state = TrialState::new(model);
    let mut days = Vec::with_capacity(model.days() * model.sites().len());
    engine::trace_trial(
        model,
        seed,
        trial,
        &mut state,
        &mut daily,
        &mut accumulator,
        &mut days,
    );
    Trace {
        trial,
        site_ids: model.sites().iter().map(|s| s.id().to_string()).collect(),
        site_phases: model.sites().iter().map(|s| s.phases.len()).collect(),
        deadline_day: model.deadline_day(),
        outcome: state.outcome().clone(),
        days,
    }
}

/// How many trials, from trial 0, [`typical_examples`] traces to choose its examples.
pub const EXAMPLE_TRIALS: u64 = 64;

/// A typical trial that missed the target and a typical trial that met it, for the report's
/// "a run that missed and a run that met the target".
#[derive(Debug, Clone, PartialEq)]
pub struct Examples {
    /// Trials traced to choose: trials 0 to `traced - 1`.
    pub traced: u64,
    /// Of those, how many missed the target by the deadline.
    pub missed_count: u64,
    /// The median missed trial; `None` when every traced trial met the target.
    pub missed: Option<Trace>,
    /// The median trial that met the target; `None` when every traced trial missed it.
    pub met: Option<Trace>,
}

impl Trace {
    /// Whether the trial reached the target by the deadline (`trials.csv`'s
    /// `met_target_by_deadline`).
    pub fn met_target(&self) -> bool {
        self.outcome
            .full_capacity_day
            .is_some_and(|d| d as usize <= self.deadline_day)
    }
}

/// Chooses typical examples among the first `min(EXAMPLE_TRIALS, trials)` trials of the run of
/// `model` with `seed`: of the trials that missed the target, the one whose online GPUs at the
/// deadline are their median, and likewise of those that met it. For an even count the median
/// is the lower of the two middle values; among trials with that value, the lowest index wins.
/// Each trial is a pure function of its index, so the choice does not depend on threads.
pub fn typical_examples(model: &Model, seed: u64, trials: u64) -> Examples {
    let traced = trials.min(EXAMPLE_TRIALS);
    let (mut missed, mut met) = (Vec::new(), Vec::new());
    for t in 0..traced {
        let trace = trace(model, seed, t);
        let entry = (trace.outcome.online_gpus_at_deadline, t);
        if trace.met_target() {
            met.push(entry);
        } else {
            missed.push(entry);
        }
    }
    let missed_count = missed.len() as u64;
    Examples {
        traced,
        missed_count,
        missed: median_trial(missed).map(|t| trace(model, seed, t)),
        met: median_trial(met).map(|t| trace(model, seed, t)),
    }
}

/// The trial of `(gpus, trial)` pairs whose GPUs are the (lower) median, lowest index first.
fn median_trial(mut trials: Vec<(u64, u64)>) -> Option<u64> {
    trials.sort_unstable();
    trials
        .get(trials.len().saturating_sub(1) / 2)
        .map(|&(gpus, _)| {
            trials
                .iter()
                .find(|&&(g, _)| g == gpus)
                .map_or(0, |&(_, t)| t)
        })
}

#[cfg(test)]
mod tests {
    use super::median_trial;

    #[test]
    fn median_trial_takes_the_lower_median_and_the_lowest_index_on_ties() {
        assert_eq!(median_trial(vec![]), None);
        assert_eq!(median_trial(vec![(5, 9)]), Some(9));
        // GPUs 1, 3, 7, 9: the lower median is 3 (trial 4).
        assert_eq!(median_trial(vec![(9, 0), (3, 4), (1, 2), (7, 1)]), Some(4));
        // GPUs 2, 5, 5, 5, 8: the median 5 is held by trials 6, 3 and 11; the lowest is 3.
        assert_eq!(
            median_trial(vec![(5, 6), (8, 0), (5, 11), (2, 1), (5, 3)]),
            Some(3)
        );
    }
}
