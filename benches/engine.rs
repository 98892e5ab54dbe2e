//! Engine throughput, in trials per second, on the shipped base scenario.
//!
//! - `trial`: one trial of `scenarios/aws-openai-2026.toml` on one thread, the way a worker runs
//!   it: consecutive trial indices through [`run_trial`] with one reused [`TrialState`],
//!   [`DailyBuffer`] and [`Accumulator`], so the cost of absorbing the daily buffer (once per
//!   256 trials) is amortised in, as in a real run. This is the number to watch when changing
//!   the day loop.
//! - `run`: a whole [`engine::run`] of 10,000 trials at 1 and 2 threads (the parameter), so the
//!   thread-pool start, batching, the end-of-run merge and the scaling show up. Compare the two
//!   to see parallel efficiency; compare `run/1` with `trial` to see the engine's overhead.
//!
//! The base scenario is the one users run (about 20 months of days, five sites, two supply
//! streams), so these figures are what `capsim run` costs per trial. Quote them as medians,
//! together with the machine and the command that produced them.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use capsim::engine::{self, EngineConfig, Recorder, RunHooks, TrialState, run_trial};
use capsim::model::Model;
use capsim::stats::{Accumulator, DailyBuffer};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};

/// The shipped base case, relative to the crate root.
const SCENARIO: &str = "scenarios/aws-openai-2026.toml";
/// The seed of every bench run (the scenario files' own seed).
const SEED: u64 = 20_251_103;
/// Trials in one whole run.
const RUN_TRIALS: u64 = 10_000;
/// Thread counts of the whole-run group (the bench machine has 2 cores).
const THREADS: [usize; 2] = [1, 2];
/// Trials a worker buffers before absorbing them, as in the engine.
const DAILY_BUFFER_TRIALS: usize = 256;
/// Samples of a whole run. A run takes seconds (about 4 s at 1 thread on the 2-core bench VM),
/// so criterion's default of 100 samples would take minutes per thread count.
const RUN_SAMPLES: usize = 10;
/// Measurement time per thread count: room for 10 one-run samples at 1 thread. With flat
/// sampling criterion runs the same number of runs per sample, never fewer than one.
const RUN_MEASUREMENT: Duration = Duration::from_secs(50);

fn base_model() -> Model {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let scenario = capsim::scenario::load(&path, &[]).expect("the base scenario loads");
    Model::compile(&scenario).expect("the base scenario compiles")
}

fn trial(c: &mut Criterion) {
    let model = base_model();
    let layout = engine::layout(&model);
    let mut state = TrialState::new(&model);
    let mut daily = DailyBuffer::new(&layout, DAILY_BUFFER_TRIALS);
    let mut acc = Accumulator::new(layout);
    let mut g = c.benchmark_group("trial");
    g.throughput(Throughput::Elements(1));
    g.bench_function("base", |b| {
        let mut t = 0u64;
        b.iter(|| {
            run_trial(
                black_box(&model),
                black_box(SEED),
                black_box(t),
                &mut state,
                Recorder::Record {
                    daily: &mut daily,
                    accumulator: &mut acc,
                },
            );
            t += 1;
        })
    });
    g.finish();
    black_box(&acc);
}

fn run(c: &mut Criterion) {
    let model = base_model();
    let mut g = c.benchmark_group("run");
    g.throughput(Throughput::Elements(RUN_TRIALS));
    g.sample_size(RUN_SAMPLES);
    g.measurement_time(RUN_MEASUREMENT);
    g.sampling_mode(SamplingMode::Flat);
    for threads in THREADS {
        let cfg = EngineConfig {
            trials: RUN_TRIALS,
            first_trial: 0,
            seed: SEED,
            threads,
            batch_size: EngineConfig::DEFAULT_BATCH_SIZE,
        };
        g.bench_with_input(BenchmarkId::from_parameter(threads), &cfg, |b, cfg| {
            b.iter(|| {
                engine::run(black_box(&model), black_box(cfg), RunHooks::default())
                    .expect("the run completes")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, trial, run);
criterion_main!(benches);
