//! The aggregation and output steps of a run, on realistic content from the base scenario.
//!
//! - `absorb`: [`Accumulator::absorb`] of a full [`DailyBuffer`] of 256 trials (the engine's
//!   buffer size) into an accumulator that already holds those trials once, so its histograms
//!   have their steady-state size. This is the per-trial recording cost that the buffer exists to
//!   amortise; read it as trials absorbed per second.
//! - `merge`: [`Accumulator::merge`] of one 5,000-trial accumulator into another, the step that
//!   combines worker threads (once each per run) and shards (`capsim merge`). Read it as trials
//!   merged per second.
//! - `output`: [`Summary::new`] plus [`daily_rows`] on a 10,000-trial accumulator: everything a
//!   run computes after its last trial, once per run. Its cost follows days × histogram spread,
//!   not trials, so it is reported as time per output step (no throughput).
//!
//! Content comes from real trials of `scenarios/aws-openai-2026.toml`: synthetic values would
//! give histograms of the wrong width, and histogram width is what these steps cost.

use std::hint::black_box;
use std::path::PathBuf;

use capsim::engine::{self, EngineConfig, Recorder, RunHooks, Scratch, run_trial};
use capsim::model::Model;
use capsim::scenario::Scenario;
use capsim::stats::{Accumulator, DailyBuffer, Summary, daily_rows};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

/// The shipped base case, relative to the crate root.
const SCENARIO: &str = "scenarios/aws-openai-2026.toml";
/// The seed of every bench run (the scenario files' own seed).
const SEED: u64 = 20_251_103;
/// Trials in one full daily buffer, as in the engine.
const BUFFER_TRIALS: u64 = 256;
/// Trials in each of the two merged accumulators.
const MERGE_TRIALS: u64 = 5_000;
/// Trials in the accumulator the output step summarises.
const OUTPUT_TRIALS: u64 = 10_000;
/// Worker threads used to build the fixtures (not measured).
const SETUP_THREADS: usize = 2;

fn base() -> (Scenario, Model) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SCENARIO);
    let scenario = capsim::scenario::load(&path, &[]).expect("the base scenario loads");
    let model = Model::compile(&scenario).expect("the base scenario compiles");
    (scenario, model)
}

/// The accumulator of trials `first..first + trials`.
fn accumulate(model: &Model, first: u64, trials: u64) -> Accumulator {
    let cfg = EngineConfig {
        trials,
        first_trial: first,
        seed: SEED,
        threads: SETUP_THREADS,
        batch_size: EngineConfig::DEFAULT_BATCH_SIZE,
    };
    engine::run(model, &cfg, RunHooks::default()).expect("the fixture run completes")
}

fn absorb(c: &mut Criterion) {
    let (_, model) = base();
    let layout = engine::layout(&model);
    // One spare slot: `run_trial` absorbs the buffer itself the moment it is full, and this
    // fixture must stay full.
    let mut full = DailyBuffer::new(&layout, BUFFER_TRIALS as usize + 1);
    let mut scratch = Scratch::new(&model);
    let mut acc = Accumulator::new(layout);
    for t in 0..BUFFER_TRIALS {
        let recorder = Recorder::Record {
            daily: &mut full,
            acc: &mut acc,
        };
        run_trial(&model, SEED, t, &mut scratch, recorder);
    }
    assert_eq!(full.len() as u64, BUFFER_TRIALS);
    // Warm the target: its histograms already span these trials' values.
    acc.absorb(&mut full.clone());

    let mut g = c.benchmark_group("absorb");
    g.throughput(Throughput::Elements(BUFFER_TRIALS));
    g.bench_function("256_trials", |b| {
        b.iter_batched_ref(
            || full.clone(),
            |buf| acc.absorb(black_box(buf)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn merge(c: &mut Criterion) {
    let (_, model) = base();
    let left = accumulate(&model, 0, MERGE_TRIALS);
    let right = accumulate(&model, MERGE_TRIALS, MERGE_TRIALS);
    let mut g = c.benchmark_group("merge");
    g.throughput(Throughput::Elements(MERGE_TRIALS));
    g.bench_function("5000_into_5000", |b| {
        b.iter_batched(
            || left.clone(),
            |mut into| {
                into.merge(black_box(&right));
                into
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

fn output(c: &mut Criterion) {
    let (scenario, model) = base();
    let acc = accumulate(&model, 0, OUTPUT_TRIALS);
    let info = engine::run_info(&scenario, SEED);
    let mut g = c.benchmark_group("output");
    g.bench_function("summary_and_daily_rows", |b| {
        b.iter(|| {
            let summary = Summary::new(black_box(&acc), black_box(&info));
            let rows = daily_rows(black_box(&acc), black_box(scenario.start));
            (summary, rows)
        })
    });
    g.finish();
}

criterion_group!(benches, absorb, merge, output);
criterion_main!(benches);
