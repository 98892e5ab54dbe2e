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
