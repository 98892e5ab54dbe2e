//! capsim: a Monte Carlo simulator for AI compute build-outs.
//!
//! capsim answers "with these assumptions, how likely are we to have the target number of GPUs
//! online by the deadline, when do we reach full capacity, and what holds us back?". A scenario
//! describes supply streams (racks from Nvidia and its assemblers), sites with phased power,
//! bring-up and operations; every uncertain input is a distribution. Each trial draws every
//! input and simulates the ramp day by day across every site; many trials are aggregated into
//! probabilities, percentile bands over time, where the missing GPUs are (the shortfall by cause)
//! and what each constraint costs ([`analysis::constraint_costs()`]).
//!
//! # A practical overview
//!
//! 1. **Read a scenario.** [`scenario::load`] reads a TOML file, follows its `extends` chain,
//!    applies `--set` style overrides and checks everything, returning a
//!    [`scenario::Scenario`] or a [`scenario::ScenarioError`] that names file, line and field.
//! 2. **Compile it.** [`model::Model::compile`] turns dates into day indices, schedules into
//!    weekly batches and distributions into samplers. A `Model` is immutable and `Sync`.
//! 3. **Run trials.** [`engine::run`] runs trials in parallel and returns a
//!    [`stats::Accumulator`]: exact integer histograms and sums whose memory does not grow with
//!    the trial count.
//! 4. **Summarise and export.** [`stats::Summary::new`] and [`stats::daily_rows`] compute the
//!    conclusions; [`output`] turns them into JSON, CSV and a terminal table.
//! 5. **Draw.** [`chart::ChartData::read_dir`] reads `summary.json` and `daily.csv` back, and
//!    [`chart::render`] draws each [`chart::ChartKind`] as PNG or SVG.
//! 6. **Scale out.** [`shard::Shard`] splits a run's trials over array-job tasks; each writes
//!    its accumulator as a partial result ([`shard::write_partial`]) and [`shard::check_set`]
//!    plus [`stats::Accumulator::merge`] combine them into exactly the unsharded result.
//! 7. **Backtest.** A scenario's `[[observations]]` (recorded actuals) compile to probes that
//!    each trial records ([`model::Probe`]); [`analysis::backtest()`] ranks each observation in
//!    its simulated distribution and summarises the calibration
//!    ([`analysis::backtest::Calibration`]).
//!
//! ```text
//! scenario.toml ─parse─► Node tree ─merge extends, --set─► RawScenario ─check─► Scenario
//! Scenario ─compile─► Model ─engine::run (rayon, per-thread Accumulators, integer merge)─► Accumulator
//! Accumulator ─► Summary, daily rows ─► table | summary.json | daily.csv
//! ```
//!
//! # Architecture
//!
//! The modules form layers, top to bottom; each may use only the modules its arrow names, all
//! below it, so there is no import cycle:
//!
//! ```text
//! cli       → anything (the binary: src/main.rs, src/cli/)
//! results   → chart, output, analysis, shard, engine, model, stats, scenario, numeric
//! chart     → output, analysis, engine, model, stats, scenario, numeric
//! output    → analysis, engine, model, stats, scenario, numeric
//! analysis  → shard, engine, model, stats, scenario, numeric
//! shard     → engine, model, stats, scenario, numeric
//! engine    → model, stats, scenario, numeric
//! model     → scenario, numeric
//! scenario  → numeric
//! stats     → numeric
//! numeric   → nothing: seeding, the normal distribution, rate integration
//! ```
//!
//! `stats` knows no scenarios, models or threads. The charts themselves read only files, and the
//! writers of `output` need only `stats`: the upper edges of `chart` and `output` (and `shard`'s
//! to `engine` and `model`) serve their tests, which run the whole pipeline. Tests in any module
//! may use the test-scenario builder (`test_support`, compiled for tests only).
//!
//! The engine reads the model's own types ([`model::AllocationPolicy`], [`model::Staging`]), not
//! the scenario file's. The `architecture` integration test checks every `crate::` path in
//! `src/` against these layers.
//!
//! # Each simulated day
//!
//! 1. power events: phases open for racks `install_lead_days` before energization, energize on
//!    planned + delay (negative = early), and become usable for burn-in `commissioning_days`
//!    later, their MW arriving over `ramp_days`;
//! 2. ship the weekly batches due that day: each is assigned to sites by the allocation policy
//!    (by planned room at its arrival, then over the whole plan) and travels `transit_days`, or,
//!    with `staging = "pool"`, goes to the fleet-wide pool;
//! 3. arrivals: new batches, reworked racks and moved racks reach their site (or the pool);
//! 4. set each site's crews (a constant pace, or per phase with mobilization and a campus cap)
//!    and install racks where there are waiting racks, crews, floor space and open hall room
//!    under the power caps;
//! 5. power on installed racks as far as usable power allows: burn-in starts, with one burn-in
//!    length and a Binomial number of failures per batch;
//! 6. finish burn-in, fixes and pod tests: passes join their pod (or go online), failures are
//!    pulled for rework (back to their site or the pool) or fixed in place, full pods and partial
//!    pods with nothing left to join them are tested, then accepted online; then check full
//!    capacity;
//! 7. reroute racks stranded without room to other sites, if `reroute_days` is set;
//! 8. take interrupted GPUs out of service;
//! 9. record the day, with where the missing GPUs are (target − online split into bring-up,
//!    install, power, space and supply).
//!
//! `docs/model.md` describes every step exactly.
//!
//! # Determinism
//!
//! Every random input of every trial has its own generator, a pure function of (seed, trial,
//! input name) ([`numeric::seed`]), and every statistic is an integer count or sum. So the same
//! scenario, seed and trial count give bit-identical results with any thread count, batch size
//! or split of the trials into shards.
//!
//! # Example
//!
//! ```
//! use capsim::{engine, model::Model, scenario, stats};
//!
//! let text = r#"
//! [scenario]
//! name = "one hall"
//! start = 2026-01-01
//! deadline = 2026-03-31
//! horizon = 2026-06-30
//! target_gpus = 7200
//!
//! [[supply]]
//! id = "gb300"
//! accelerator = "gb300-nvl72"
//! schedule = [ { date = 2026-01-01, racks_per_week = 10 }, { date = 2026-06-30, racks_per_week = 10 } ]
//! slip_days = { kind = "triangular", min = 0, mode = 7, max = 30 }
//!
//! [[sites]]
//! id = "hall-1"
//! pue = 1.15
//! accepts = ["gb300-nvl72"]
//! install_racks_per_day = 4
//! phases = [ { mw = 20, planned = 2026-01-15, delay_days = { kind = "uniform", min = 0, max = 60 } } ]
//! "#;
//! let scenario = scenario::parse(text, std::path::Path::new("one-hall.toml"))?;
//! let model = Model::compile(&scenario)?;
//! let config = engine::EngineConfig { trials: 500, first_trial: 0, seed: 1, threads: 1, batch_size: 64 };
//! let acc = engine::run(&model, &config, engine::RunHooks::default())?;
//! let summary = stats::Summary::new(&acc, &engine::run_info(&scenario, 1));
//! assert_eq!(summary.trials, 500);
//! assert!((0.0..=1.0).contains(&summary.p_target_by_deadline.estimate));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Glossary
//!
//! - **rack**: the unit delivered, installed, burned in and failed (an NVL72 rack holds 72 GPUs).
//! - **supply stream**: planned deliveries of one rack type, in racks per week.
//! - **site**: a data center with phased facility power, floor space and install crews.
//! - **power phase**: a tranche of facility MW energized on a (delayed) date.
//! - **staging**: delivered racks waiting to be installed, at the site each batch was assigned to
//!   when it shipped, or in a fleet-wide pool (`allocation.staging = "pool"`).
//! - **trial**: one simulated ramp with one draw of every input; a run has many trials.
//! - **batch**: trials handed to one worker at a time (affects speed, never results).
//! - **full capacity**: the first day online GPUs reach the target.
//! - **shortfall**: target − online GPUs on a day, split by cause (supply, power, install, space,
//!   bring-up); `bottleneck_share` is each cause's share of the missing GPU-days up to the
//!   deadline.
//! - **constraint cost**: what lifting one class of constraint (the same trials rerun with it
//!   removed) gains in P(target), days to full capacity and GPUs at the deadline.
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

pub mod analysis;
pub mod chart;
pub mod engine;
pub mod model;
pub mod numeric;
pub mod output;
pub mod results;
pub mod scenario;
pub mod shard;
pub mod stats;
#[cfg(test)]
mod test_support;
