//! The aggregation and output steps of a run, on realistic content from the base scenario.
//!
//! - `record`: [`DailyBuffer::record_day`] for every simulated day of one trial (605 days of the
//!   14 daily metrics), then [`DailyBuffer::end_trial`], into a buffer of 256 trials (the
//!   engine's size) that cycles through its rows as in a run; emptying the full buffer (an
//!   absorb, measured by `absorb`) is left out of the timing. This is the recording step at the
//!   end of each simulated day, the part of a trial's cost that grows with days but not with
//!   sites; read it as trials recorded per second.
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
//! give histograms of the wrong width, and histogram width is what these steps cost. The values
//! `record` replays are those trials' own daily values, read back exactly from an accumulator's
//! per-cell sums (a one-trial buffer is absorbed as each trial ends, so each cell's exact sum
//! grows by that trial's value).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use capsim::engine::{self, EngineConfig, Recorder, RunHooks, TrialState, run_trial};
use capsim::model::Model;
use capsim::scenario::Scenario;
use capsim::stats::{Accumulator, DailyBuffer, Metric, Summary, daily_rows};
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
/// Trials whose daily values `record` replays, cycling.
const RECORD_TRIALS: u64 = 64;
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

/// The daily values of trials `0..trials`, exactly as the engine records them:
/// `[trial][day][metric]` in base units.
fn daily_values(model: &Model, trials: u64) -> Vec<Vec<[i64; Metric::COUNT]>> {
    let layout = engine::layout(model);
    let mut state = TrialState::new(model);
    // A one-trial buffer is absorbed as each trial ends, so after trial t every cell's exact sum
    // has grown by trial t's value.
    let mut daily = DailyBuffer::new(&layout, 1);
    let mut acc = Accumulator::new(layout.clone());
    let mut before = vec![[0i128; Metric::COUNT]; layout.days];
    (0..trials)
        .map(|t| {
            let recorder = Recorder::Record {
                daily: &mut daily,
                accumulator: &mut acc,
            };
            run_trial(model, SEED, t, &mut state, recorder);
            assert!(daily.is_empty(), "the one-trial buffer is absorbed");
            (0..layout.days)
                .map(|d| {
                    std::array::from_fn(|m| {
                        let total = acc.daily(Metric::ALL[m], d).sum;
                        let v = total - before[d][m];
                        before[d][m] = total;
                        i64::try_from(v).expect("one trial's value fits i64")
                    })
                })
                .collect()
        })
        .collect()
}

fn record(c: &mut Criterion) {
    let (_, model) = base();
    let trials = daily_values(&model, RECORD_TRIALS);
    let delivered = Metric::DeliveredGpus as usize;
    assert!(
        trials
            .iter()
            .all(|days| days[days.len() - 1][delivered] > 0),
        "every replayed trial delivers GPUs"
    );
    let layout = engine::layout(&model);
    let mut buf = DailyBuffer::new(&layout, BUFFER_TRIALS as usize);
    // Where full buffers are emptied, untimed.
    let mut sink = Accumulator::new(layout);
    let mut next = 0;
    let mut g = c.benchmark_group("record");
    g.throughput(Throughput::Elements(1));
    g.bench_function("one_trial", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let days = &trials[next % trials.len()];
                next += 1;
                let started = Instant::now();
                for (day, values) in days.iter().enumerate() {
                    buf.record_day(black_box(day), black_box(values));
                }
                let full = buf.end_trial();
                timed += started.elapsed();
                if full {
                    sink.absorb(&mut buf);
                }
            }
            timed
        })
    });
    g.finish();
    black_box(&sink);
}

fn absorb(c: &mut Criterion) {
    let (_, model) = base();
    let layout = engine::layout(&model);
    // One spare slot: `run_trial` absorbs the buffer itself the moment it is full, and this
    // fixture must stay full.
    let mut full = DailyBuffer::new(&layout, BUFFER_TRIALS as usize + 1);
    let mut state = TrialState::new(&model);
    let mut acc = Accumulator::new(layout);
    for t in 0..BUFFER_TRIALS {
        let recorder = Recorder::Record {
            daily: &mut full,
            accumulator: &mut acc,
        };
        run_trial(&model, SEED, t, &mut state, recorder);
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

criterion_group!(benches, record, absorb, merge, output);
criterion_main!(benches);
